package deployment

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// kind is what events name as the involved object's kind.
const kind = "Deployment"

// sync brings the Deployment with key one step closer to its spec, from the
// current state, as kube-controller-manager's syncDeployment:
//
//	cache behind our own writes? ─▶ wait for it
//	       │
//	claim ReplicaSets ─▶ deleting? ─▶ status only
//	       │
//	Paused/Resumed condition ─▶ find the new ReplicaSet, sync revisions
//	       │
//	paused or scaled? ─▶ syncScale (resize, no rollout step)
//	       │
//	rolloutRolling | rolloutRecreate ─▶ status (conditions, progress deadline)
func (c *Controller) sync(ctx context.Context, key string) error {
	cached, ok := c.deployments.Get(key)
	if !ok {
		c.expected.forget(key, "")
		return nil // deleted; the garbage collector removes its ReplicaSets
	}
	d := api.DeepCopy(cached)

	// Every decision below is made from the cache: none from one that has not
	// shown this controller's last writes yet. Their events bring d back (and,
	// should one be lost, the expectation's timeout).
	if name, ok := c.expected.pending(key, func(name string) (*api.ReplicaSet, bool) {
		return c.replicaSets.Get(d.Namespace + "/" + name)
	}, c.now()); ok {
		c.log.Debug("waiting for the cache to show a replica set write", "deployment", key, "replicaSet", name)
		c.queue.AddAfter(key, expectationsTimeout)
		return nil
	}

	if sel := d.Spec.Selector; sel == nil || len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		c.events.Eventf(d, kind, api.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			return c.updateStatus(ctx, d)
		}
		return nil
	}

	rsList, err := c.replicaSetsFor(ctx, d)
	if err != nil {
		return err
	}

	if d.DeletionTimestamp != nil {
		newRS, oldRSs, err := c.syncRevision(ctx, d, rsList)
		if err != nil {
			return err
		}
		return c.writeStatus(ctx, d, calculateStatus(withNew(oldRSs, newRS), newRS, d, c.now()))
	}

	// Pausing and resuming say so in Progressing, so that the time spent paused
	// never counts against the progress deadline.
	if pausedCondition(d, c.now()) {
		if err := c.updateStatus(ctx, d); err != nil {
			return err
		}
	}

	newRS, oldRSs, err := c.syncRevision(ctx, d, rsList)
	if err != nil {
		return err
	}
	if d.Spec.Paused || isScalingEvent(d, newRS, oldRSs) {
		return c.syncScale(ctx, d, newRS, oldRSs)
	}
	switch d.Spec.Strategy.Type {
	case api.RecreateDeploymentStrategyType:
		return c.rolloutRecreate(ctx, d, newRS, oldRSs)
	case api.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(ctx, d, newRS, oldRSs)
	}
	return fmt.Errorf("deployment strategy %q is not supported", d.Spec.Strategy.Type)
}

// replicaSetsFor returns the ReplicaSets d controls, after adopting matching
// orphans and releasing its own that no longer match. Before the first
// adoption it checks with the apiserver that d is still there and not being
// deleted, since the cache may be behind.
func (c *Controller) replicaSetsFor(ctx context.Context, d *api.Deployment) ([]*api.ReplicaSet, error) {
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s has an invalid selector: %w", d.Namespace, d.Name, err)
	}
	cl := claimReplicaSets(d, sel, c.replicaSets.ByIndex(namespaceIndex, d.Namespace))
	rsClient := client.ReplicaSets(c.client, d.Namespace)
	owned := cl.owned
	if len(cl.adopt) > 0 {
		fresh, err := client.Deployments(c.client, d.Namespace).Get(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		if fresh.UID != d.UID {
			return nil, fmt.Errorf("deployment %s/%s is gone: got uid %s, want %s", d.Namespace, d.Name, fresh.UID, d.UID)
		}
		if fresh.DeletionTimestamp != nil {
			return nil, fmt.Errorf("deployment %s/%s is being deleted: not adopting replica sets", d.Namespace, d.Name)
		}
		for _, rs := range cl.adopt {
			out, err := rsClient.Patch(ctx, rs.Name, client.StrategicMergePatch, adoptPatch(d, rs), "")
			if api.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("adopt replica set %s: %w", rs.Name, err)
			}
			c.log.Debug("adopted a replica set", "deployment", keyOf(d), "replicaSet", rs.Name)
			owned = append(owned, out)
		}
	}
	for _, rs := range cl.release {
		// NotFound: gone already. Invalid: its uid changed (deleted and created
		// again) or our reference is gone; either way it is not ours.
		_, err := rsClient.Patch(ctx, rs.Name, client.StrategicMergePatch, releasePatch(d, rs), "")
		if err != nil && !api.IsNotFound(err) && !api.IsInvalid(err) {
			return nil, fmt.Errorf("release replica set %s: %w", rs.Name, err)
		}
		c.log.Debug("released a replica set", "deployment", keyOf(d), "replicaSet", rs.Name)
	}
	return owned, nil
}

// The strategic merge patches that adopt and release a ReplicaSet.
// ownerReferences merge by uid, so they touch only d's reference; the
// ReplicaSet's own uid makes the patch fail if it was deleted and another one
// of its name created meanwhile.
type ownerPatch struct {
	Metadata ownerPatchMeta `json:"metadata"`
}

type ownerPatchMeta struct {
	OwnerReferences []any  `json:"ownerReferences"`
	UID             string `json:"uid"`
}

func adoptPatch(d *api.Deployment, rs *api.ReplicaSet) []byte {
	data, _ := json.Marshal(ownerPatch{Metadata: ownerPatchMeta{
		OwnerReferences: []any{newControllerRef(d)}, UID: rs.UID}})
	return data
}

func releasePatch(d *api.Deployment, rs *api.ReplicaSet) []byte {
	data, _ := json.Marshal(ownerPatch{Metadata: ownerPatchMeta{
		OwnerReferences: []any{map[string]string{"$patch": "delete", "uid": d.UID}}, UID: rs.UID}})
	return data
}

// syncRevision splits rsList into the new ReplicaSet (nil if there is none
// yet) and the old ones, and brings the new one's annotations and
// minReadySeconds up to date: its revision becomes the highest, the
// Deployment's revision becomes its, and a Deployment with a progress deadline
// but no Progressing condition gets FoundNewReplicaSet.
func (c *Controller) syncRevision(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) (*api.ReplicaSet, []*api.ReplicaSet, error) {
	newRS := findNewReplicaSet(d, rsList)
	oldRSs := oldReplicaSets(rsList, newRS)
	if newRS == nil {
		return nil, oldRSs, nil
	}
	newRevision := strconv.FormatInt(maxRevision(oldRSs)+1, 10)
	rs := api.DeepCopy(newRS)
	if setNewReplicaSetAnnotations(d, rs, newRevision, true) || rs.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		out, err := client.ReplicaSets(c.client, d.Namespace).Update(ctx, rs)
		if err != nil {
			return nil, nil, err
		}
		c.expected.expect(keyOf(d), out, c.now())
		rs = out
	}
	changed := setDeploymentRevision(d, rs.Annotations[RevisionAnnotation])
	if hasProgressDeadline(d) && getCondition(d.Status, api.DeploymentProgressing) == nil {
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonFoundNewReplicaSet,
			fmt.Sprintf("Found new replica set %q", rs.Name), c.now()))
		changed = true
	}
	if changed {
		if err := c.updateStatus(ctx, d); err != nil {
			return nil, nil, err
		}
	}
	return rs, oldRSs, nil
}

// createNewReplicaSet creates the ReplicaSet of d's template, named
// <deployment>-<pod-template-hash>, as large as the strategy allows at once,
// with the next revision. Should a ReplicaSet of that name exist with another
// template (a hash collision), status.collisionCount goes up so the next try
// hashes to another name.
//
// Its size and revision come from oldRSs, the cache's, and no
// resourceVersion guards a create: if the apiserver has a ReplicaSet of d's
// that oldRSs lack or show at another size (one the cache has not caught up
// with, including an orphan to adopt and this very ReplicaSet), it creates
// nothing and returns nil, to be called again once the cache has caught up.
func (c *Controller) createNewReplicaSet(ctx context.Context, d *api.Deployment, oldRSs []*api.ReplicaSet) (*api.ReplicaSet, error) {
	if name, err := c.unseenReplicaSet(ctx, d, oldRSs); err != nil || name != "" {
		if name != "" {
			c.log.Debug("not creating the new replica set until the cache shows another", "deployment", keyOf(d), "replicaSet", name)
		}
		return nil, err
	}
	hash := ComputeHash(&d.Spec.Template, d.Status.CollisionCount)
	tpl := api.DeepCopy(d.Spec.Template)
	tpl.Labels = withLabel(d.Spec.Template.Labels, HashLabel, hash)
	sel := api.DeepCopy(d.Spec.Selector)
	sel.MatchLabels = withLabel(sel.MatchLabels, HashLabel, hash)
	replicas := int32(0)
	rs := &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			Labels:          maps.Clone(tpl.Labels),
			OwnerReferences: []api.OwnerReference{newControllerRef(d)},
		},
		Spec: api.ReplicaSetSpec{Replicas: &replicas, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tpl},
	}
	n, err := newRSNewReplicas(d, withNew(oldRSs, rs), rs)
	if err != nil {
		return nil, err
	}
	replicas = n
	newRevision := strconv.FormatInt(maxRevision(oldRSs)+1, 10)
	setNewReplicaSetAnnotations(d, rs, newRevision, false)

	rsClient := client.ReplicaSets(c.client, d.Namespace)
	created, err := rsClient.Create(ctx, rs)
	switch {
	case api.IsAlreadyExists(err):
		// Our own, created since unseenReplicaSet looked (by an earlier
		// instance of the controller), or a collision.
		existing, getErr := rsClient.Get(ctx, rs.Name)
		if getErr != nil {
			return nil, getErr
		}
		if ref := controllerRefOf(&existing.ObjectMeta); ref != nil && ref.UID == d.UID && equalIgnoreHash(&d.Spec.Template, &existing.Spec.Template) {
			// Not to be used until the cache shows it with the others.
			c.expected.expect(keyOf(d), existing, c.now())
			return nil, nil
		}
		count := int32(0)
		if d.Status.CollisionCount != nil {
			count = *d.Status.CollisionCount
		}
		count++
		d.Status.CollisionCount = &count
		if uerr := c.updateStatus(ctx, d); uerr != nil {
			return nil, uerr
		}
		return nil, fmt.Errorf("replica set %s/%s exists with another template (a hash collision): collisionCount is now %d", d.Namespace, rs.Name, count)
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) {
			setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonReplicaSetCreateError, msg, c.now()))
			// The create error is the one to report; this write is best effort.
			_ = c.updateStatus(ctx, d)
		}
		c.events.Eventf(d, kind, api.EventTypeWarning, ReasonReplicaSetCreateError, "%s", msg)
		return nil, err
	}
	c.expected.expect(keyOf(d), created, c.now())
	if n > 0 {
		c.events.Eventf(d, kind, api.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s to %d", created.Name, n)
	}
	changed := setDeploymentRevision(d, newRevision)
	if hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated,
			fmt.Sprintf("Created new replica set %q", created.Name), c.now()))
		changed = true
	}
	if changed {
		if err := c.updateStatus(ctx, d); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// unseenReplicaSet returns the name of a ReplicaSet that d owns or would
// adopt which the apiserver has and rsList (the cache's) does not, or has at
// another size; "" if there is none.
func (c *Controller) unseenReplicaSet(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) (string, error) {
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", fmt.Errorf("deployment %s/%s has an invalid selector: %w", d.Namespace, d.Name, err)
	}
	live, err := client.ReplicaSets(c.client, d.Namespace).List(ctx, client.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", err
	}
	seen := make(map[string]int32, len(rsList))
	for _, rs := range rsList {
		seen[rs.UID] = specReplicas(rs)
	}
	cl := claimReplicaSets(d, sel, live.Items)
	for _, rs := range append(cl.owned, cl.adopt...) {
		if n, ok := seen[rs.UID]; !ok || n != specReplicas(rs) {
			return rs.Name, nil
		}
	}
	return "", nil
}

// withLabel returns a copy of m with k=v.
func withLabel(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	out[k] = v
	return out
}

// scaleReplicaSet sets rs's size, and its replica annotations to d's current
// spec.replicas and spec.replicas + maxSurge, in one update; it reports whether
// the size changed, and records a ScalingReplicaSet event if so. rs itself
// (usually the cache's) is not changed.
func (c *Controller) scaleReplicaSet(ctx context.Context, rs *api.ReplicaSet, replicas int32, d *api.Deployment) (bool, error) {
	from := specReplicas(rs)
	desired := desiredReplicas(d)
	maxReplicas := desired + maxSurge(d)
	if from == replicas && !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false, nil
	}
	cp := api.DeepCopy(rs)
	cp.Spec.Replicas = &replicas
	setReplicasAnnotations(cp, desired, maxReplicas)
	out, err := client.ReplicaSets(c.client, rs.Namespace).Update(ctx, cp)
	if err != nil {
		return false, err
	}
	c.expected.expect(keyOf(d), out, c.now())
	if from == replicas {
		return false, nil
	}
	dir := "up"
	if replicas < from {
		dir = "down"
	}
	c.events.Eventf(d, kind, api.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s to %d from %d", dir, rs.Name, replicas, from)
	return true, nil
}

// cleanupHistory deletes the old ReplicaSets beyond revisionHistoryLimit.
func (c *Controller) cleanupHistory(ctx context.Context, d *api.Deployment, oldRSs []*api.ReplicaSet) error {
	for _, rs := range historyToDelete(d, oldRSs) {
		err := client.ReplicaSets(c.client, rs.Namespace).Delete(ctx, rs.Name, nil)
		if err != nil && !api.IsNotFound(err) {
			// Stop at the first failure rather than pile on a struggling apiserver.
			return fmt.Errorf("delete old replica set %s: %w", rs.Name, err)
		}
		c.log.Debug("deleted an old replica set", "deployment", keyOf(d), "replicaSet", rs.Name)
	}
	return nil
}

// writeStatus writes status if it differs from d's.
func (c *Controller) writeStatus(ctx context.Context, d *api.Deployment, status api.DeploymentStatus) error {
	if statusEqual(d.Status, status) {
		return nil
	}
	d.Status = status
	return c.updateStatus(ctx, d)
}

// updateStatus writes d through the status subresource (which also keeps d's
// annotations: the revision travels this way, as in Kubernetes) and replaces
// d with what was stored, so a second write in the same sync does not
// conflict with the first.
func (c *Controller) updateStatus(ctx context.Context, d *api.Deployment) error {
	out, err := client.Deployments(c.client, d.Namespace).UpdateStatus(ctx, d)
	if err != nil {
		return err
	}
	*d = *out
	return nil
}
