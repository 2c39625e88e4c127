package replicaset

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
	"skiff/pkg/client"
)

// Reasons of the events about the pods the controller creates and deletes,
// as Kubernetes' controller.PodControl records them.
const (
	ReasonSuccessfulCreate = "SuccessfulCreate"
	ReasonSuccessfulDelete = "SuccessfulDelete"
)

// errNamespaceTerminating: the pod was refused because its namespace is being
// deleted, which is no failure of the ReplicaSet.
var errNamespaceTerminating = errors.New("replicaset: namespace is terminating")

// reconcile brings one ReplicaSet's pods to spec.replicas and writes its
// status (Kubernetes' syncReplicaSet).
func (rc *Controller) reconcile(ctx context.Context, key string) error {
	rs, ok := rc.rsets.Get(key)
	if !ok {
		rc.exp.forget(key)
		return nil
	}
	// Read the expectations before the pods: a pod the informer reports in
	// between then shows up in the cache too.
	mayManage := rc.exp.satisfied(key)
	sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		// Validation keeps invalid selectors out; nothing to do but wait for a fix.
		rc.log.Warn("invalid selector", "replicaset", key, "err", err)
		return nil
	}
	var active []*api.Pod
	for _, p := range rc.pods.ByIndex(byNamespace, rs.Namespace) {
		if isPodActive(p) {
			active = append(active, p)
		}
	}
	owned, err := rc.claim(ctx, rs, sel, active)
	if err != nil {
		return err
	}
	var manageErr error
	if mayManage && rs.DeletionTimestamp == nil {
		manageErr = rc.manageReplicas(ctx, key, rs, owned)
	}
	st, recheck := computeStatus(rs, owned, manageErr, rc.now())
	if err := rc.writeStatus(ctx, rs, st); err != nil {
		switch {
		case api.IsConflict(err):
			// The cache is behind; the newer ReplicaSet is on its way and
			// will be reconciled again.
			rc.queue.Add(key)
		case api.IsNotFound(err):
		default:
			return errors.Join(manageErr, fmt.Errorf("update status of replicaset %s: %w", key, err))
		}
	}
	if manageErr == nil && recheck > 0 {
		rc.queue.AddAfter(key, recheck)
	}
	return manageErr
}

// claim adopts the orphans rs should adopt and releases the pods it should
// release, and returns the pods rs now owns.
func (rc *Controller) claim(ctx context.Context, rs *api.ReplicaSet, sel labels.Selector, active []*api.Pod) ([]*api.Pod, error) {
	c := claimPods(rs, sel, active)
	owned := c.owned
	pods := client.Pods(rc.client, rs.Namespace)
	var errs []error
	if len(c.adopt) > 0 {
		if err := rc.canAdopt(ctx, rs); err != nil {
			errs = append(errs, err)
			c.adopt = nil
		}
	}
	for _, p := range c.adopt {
		adopted, err := pods.Patch(ctx, p.Name, client.StrategicMergePatch, adoptPatch(rs, p), "")
		switch {
		case err == nil:
			rc.log.Debug("adopted pod", "replicaset", rs.Namespace+"/"+rs.Name, "pod", p.Name)
			owned = append(owned, adopted)
		case api.IsNotFound(err):
			// Gone meanwhile.
		default:
			errs = append(errs, fmt.Errorf("adopt pod %s: %w", p.Name, err))
		}
	}
	for _, p := range c.release {
		_, err := pods.Patch(ctx, p.Name, client.StrategicMergePatch, releasePatch(rs, p), "")
		switch {
		case err == nil:
			rc.log.Debug("released pod", "replicaset", rs.Namespace+"/"+rs.Name, "pod", p.Name)
		case api.IsNotFound(err), api.IsInvalid(err):
			// Gone, or replaced by another pod of the same name: not ours.
		default:
			errs = append(errs, fmt.Errorf("release pod %s: %w", p.Name, err))
		}
	}
	return owned, errors.Join(errs...)
}

// canAdopt reads rs from the apiserver, not the cache, before orphans are
// adopted: a ReplicaSet that was just deleted (or deleted and created again)
// must not take pods the garbage collector is about to orphan or delete.
func (rc *Controller) canAdopt(ctx context.Context, rs *api.ReplicaSet) error {
	fresh, err := client.ReplicaSets(rc.client, rs.Namespace).Get(ctx, rs.Name)
	if err != nil {
		return err
	}
	if fresh.UID != rs.UID {
		return fmt.Errorf("original replicaset %s/%s is gone: got uid %s, wanted %s", rs.Namespace, rs.Name, fresh.UID, rs.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("replicaset %s/%s has just been deleted at %v", rs.Namespace, rs.Name, fresh.DeletionTimestamp.Time)
	}
	return nil
}

// manageReplicas creates or deletes pods so that owned reaches spec.replicas,
// at most burstReplicas at a time, and sets the expectations that keep the
// next reconciles from doing it again before the informer has seen it.
func (rc *Controller) manageReplicas(ctx context.Context, key string, rs *api.ReplicaSet, owned []*api.Pod) error {
	diff := len(owned) - int(replicasOf(rs))
	switch {
	case diff < 0:
		n := min(-diff, burstReplicas)
		rc.exp.expectCreations(key, n)
		created, err := slowStartBatch(n, slowStartInitialBatch, func() error {
			err := rc.createPod(ctx, rs)
			if errors.Is(err, errNamespaceTerminating) {
				return nil
			}
			return err
		})
		// Creates that failed or were never sent will not be observed.
		for range n - created {
			rc.exp.creationObserved(key)
		}
		return err
	case diff > 0:
		n := min(diff, burstReplicas)
		victims := podsToDelete(owned, rc.relatedPods(rs), n)
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = podKey(p)
		}
		rc.exp.expectDeletions(key, keys)
		errs := make(chan error, len(victims))
		var wg sync.WaitGroup
		for _, p := range victims {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := rc.deletePodOf(ctx, rs, p); err != nil {
					// Not deleted (or already gone): no deletion to wait for.
					rc.exp.deletionObserved(key, podKey(p))
					if !api.IsNotFound(err) {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs // the first error, or nil
	}
	return nil
}

// createPod creates one pod from rs's template and records an event.
func (rc *Controller) createPod(ctx context.Context, rs *api.ReplicaSet) error {
	created, err := client.Pods(rc.client, rs.Namespace).Create(ctx, podFromTemplate(rs))
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		if api.IsForbidden(err) && rc.namespaceTerminating(ctx, rs.Namespace) {
			return errNamespaceTerminating
		}
		rc.events.Eventf(rs, ownerKind, api.EventTypeWarning, ReasonFailedCreate, "Error creating: %v", err)
		return err
	}
	rc.log.Debug("created pod", "replicaset", rs.Namespace+"/"+rs.Name, "pod", created.Name)
	rc.events.Eventf(rs, ownerKind, api.EventTypeNormal, ReasonSuccessfulCreate, "Created pod: %s", created.Name)
	return nil
}

// namespaceTerminating reports whether the namespace is being deleted, which
// is why the apiserver refuses new pods in it.
func (rc *Controller) namespaceTerminating(ctx context.Context, name string) bool {
	ns, err := client.Namespaces(rc.client).Get(ctx, name)
	return err == nil && (ns.DeletionTimestamp != nil || ns.Status.Phase == api.NamespaceTerminating)
}

// deletePodOf deletes one of rs's pods and records an event. A pod that is
// gone, or was replaced by another of the same name, gives a NotFound error.
func (rc *Controller) deletePodOf(ctx context.Context, rs *api.ReplicaSet, p *api.Pod) error {
	uid := p.UID
	err := client.Pods(rc.client, p.Namespace).Delete(ctx, p.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	switch {
	case err == nil:
		rc.log.Debug("deleted pod", "replicaset", rs.Namespace+"/"+rs.Name, "pod", p.Name)
		rc.events.Eventf(rs, ownerKind, api.EventTypeNormal, ReasonSuccessfulDelete, "Deleted pod: %s", p.Name)
		return nil
	case api.IsNotFound(err):
		return err
	case api.IsConflict(err):
		// The UID precondition failed: the pod we meant is gone.
		return api.NewNotFound(api.GroupResource{Resource: "pods"}, p.Name)
	case ctx.Err() != nil:
		return err
	}
	rc.events.Eventf(rs, ownerKind, api.EventTypeWarning, ReasonFailedDelete, "Error deleting: %v", err)
	return fmt.Errorf("unable to delete pods: %w", err)
}

// relatedPods are the pods that count when spreading a scale-down over nodes:
// those selected by rs and by the other ReplicaSets with the same controller
// (a Deployment's old and new ReplicaSets). A ReplicaSet without a controller
// has none, as in Kubernetes, so the rule does not apply to it.
func (rc *Controller) relatedPods(rs *api.ReplicaSet) []*api.Pod {
	ref := controllerOf(&rs.ObjectMeta)
	if ref == nil {
		return nil
	}
	var selectors []labels.Selector
	for _, other := range rc.rsets.ByIndex(byNamespace, rs.Namespace) {
		if r := controllerOf(&other.ObjectMeta); r == nil || r.UID != ref.UID {
			continue
		}
		if sel, err := api.LabelSelectorAsSelector(other.Spec.Selector); err == nil {
			selectors = append(selectors, sel)
		}
	}
	var out []*api.Pod
	for _, p := range rc.pods.ByIndex(byNamespace, rs.Namespace) {
		for _, sel := range selectors {
			if sel.Matches(labels.Set(p.Labels)) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// writeStatus writes st through the status subresource unless nothing would
// change, with observedGeneration set to the generation reconciled.
func (rc *Controller) writeStatus(ctx context.Context, rs *api.ReplicaSet, st api.ReplicaSetStatus) error {
	if statusUnchanged(rs, st) {
		return nil
	}
	next := api.DeepCopy(rs)
	next.Status = st
	next.Status.ObservedGeneration = rs.Generation
	_, err := client.ReplicaSets(rc.client, rs.Namespace).UpdateStatus(ctx, next)
	return err
}
