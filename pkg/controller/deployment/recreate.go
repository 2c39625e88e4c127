package deployment

import (
	"context"

	"skiff/pkg/api"
)

// rolloutRecreate takes one Recreate step: scale every old ReplicaSet to zero;
// once their pods are all gone, create the new ReplicaSet (if there is none)
// and scale it to spec.replicas; once the rollout is complete, trim the
// history. The status is written whatever happened.
func (c *Controller) rolloutRecreate(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	allRSs := withNew(oldRSs, newRS)

	scaledDown := false
	for _, rs := range activeReplicaSets(oldRSs) {
		scaled, err := c.scaleReplicaSet(ctx, rs, 0, d)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown {
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}

	if oldPodsRunning(newRS, oldRSs, c.podsByOwner(d, allRSs)) {
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}

	if newRS == nil {
		var err error
		if newRS, err = c.createNewReplicaSet(ctx, d, oldRSs); err != nil || newRS == nil {
			return err // nil: the cache is behind; its events bring d back
		}
		allRSs = withNew(oldRSs, newRS)
	}
	if specReplicas(newRS) != desiredReplicas(d) {
		if _, err := c.scaleReplicaSet(ctx, newRS, desiredReplicas(d), d); err != nil {
			return err
		}
	}

	if deploymentComplete(d, &d.Status) {
		if err := c.cleanupHistory(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, allRSs, newRS, d)
}

// oldPodsRunning reports whether any pod of an old ReplicaSet may still run:
// the old ReplicaSets' statuses still count pods, or a pod controlled by one of
// them is not Succeeded or Failed. podsByOwner maps the UID of each of d's
// ReplicaSets to the pods it controls.
func oldPodsRunning(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet, podsByOwner map[string][]*api.Pod) bool {
	if sumStatusReplicas(oldRSs) > 0 {
		return true
	}
	for uid, pods := range podsByOwner {
		if newRS != nil && newRS.UID == uid {
			continue
		}
		for _, p := range pods {
			if p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed {
				return true
			}
		}
	}
	return false
}
