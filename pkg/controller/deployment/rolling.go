package deployment

import (
	"context"
	"fmt"

	"skiff/pkg/api"
)

// rolloutRolling takes one RollingUpdate step: create the new ReplicaSet if
// there is none, scale it up as far as maxSurge allows, else scale old ones
// down as far as maxUnavailable allows; once the rollout is complete, trim the
// history. The status is written whatever happened.
func (c *Controller) rolloutRolling(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	if newRS == nil {
		var err error
		if newRS, err = c.createNewReplicaSet(ctx, d, oldRSs); err != nil || newRS == nil {
			return err // nil: the cache is behind; its events bring d back
		}
	}
	allRSs := withNew(oldRSs, newRS)

	target, err := newReplicaSetTarget(d, allRSs, newRS)
	if err != nil {
		return err
	}
	if target != specReplicas(newRS) {
		if _, err := c.scaleReplicaSet(ctx, newRS, target, d); err != nil {
			return err
		}
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}

	steps := planOldScaleDown(d, allRSs, activeReplicaSets(oldRSs), newRS)
	for _, s := range steps {
		if _, err := c.scaleReplicaSet(ctx, s.rs, s.replicas, d); err != nil {
			return err
		}
	}
	if len(steps) > 0 {
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}

	if deploymentComplete(d, &d.Status) {
		if err := c.cleanupHistory(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, allRSs, newRS, d)
}

// isRollingUpdate reports the RollingUpdate strategy.
func isRollingUpdate(d *api.Deployment) bool {
	return d.Spec.Strategy.Type == api.RollingUpdateDeploymentStrategyType
}

// desiredReplicas is d's spec.replicas (the apiserver defaults it to 1).
func desiredReplicas(d *api.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// resolveFenceposts turns maxSurge and maxUnavailable into numbers of pods for
// desired replicas: a percentage of surge rounds up, of unavailable down. Should
// both come to zero (validation forbids both zero, but a small percentage can
// round to it), unavailable becomes 1, since surging may be what is stuck (a
// quota, say).
func resolveFenceposts(maxSurge, maxUnavailable *api.IntOrString, desired int32) (surge, unavailable int32, err error) {
	zero := api.FromInt(0)
	if maxSurge == nil {
		maxSurge = &zero
	}
	if maxUnavailable == nil {
		maxUnavailable = &zero
	}
	s, err := maxSurge.ScaledValue(int(desired), true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	u, err := maxUnavailable.ScaledValue(int(desired), false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// maxSurge is how many pods above spec.replicas a rollout may run; 0 for
// Recreate. Invalid values (which validation rejects) count as 0.
func maxSurge(d *api.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil {
		return 0
	}
	ru := d.Spec.Strategy.RollingUpdate
	s, _, _ := resolveFenceposts(ru.MaxSurge, ru.MaxUnavailable, desiredReplicas(d))
	return s
}

// maxUnavailable is how many of spec.replicas may be unavailable during a
// rollout, at most spec.replicas; 0 for Recreate and for zero replicas.
func maxUnavailable(d *api.Deployment) int32 {
	desired := desiredReplicas(d)
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil || desired == 0 {
		return 0
	}
	ru := d.Spec.Strategy.RollingUpdate
	_, u, _ := resolveFenceposts(ru.MaxSurge, ru.MaxUnavailable, desired)
	return min(u, desired)
}

// newReplicaSetTarget is the size the new ReplicaSet should have now: down to
// spec.replicas if above it, else (as newRSNewReplicas) up as far as the surge
// allows.
func newReplicaSetTarget(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (int32, error) {
	desired, cur := desiredReplicas(d), specReplicas(newRS)
	if cur >= desired {
		return desired, nil
	}
	return newRSNewReplicas(d, allRSs, newRS)
}

// newRSNewReplicas is how far the new ReplicaSet may grow: for RollingUpdate,
// until all ReplicaSets together hold spec.replicas + maxSurge, and never past
// spec.replicas; for Recreate, straight to spec.replicas.
func newRSNewReplicas(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (int32, error) {
	desired, cur := desiredReplicas(d), specReplicas(newRS)
	switch d.Spec.Strategy.Type {
	case api.RollingUpdateDeploymentStrategyType:
		maxTotal := desired + maxSurge(d)
		current := sumSpecReplicas(allRSs)
		if current >= maxTotal {
			return cur, nil
		}
		return cur + min(maxTotal-current, desired-cur), nil
	case api.RecreateDeploymentStrategyType:
		return desired, nil
	default:
		return 0, fmt.Errorf("deployment strategy %q is not supported", d.Spec.Strategy.Type)
	}
}

// scaleStep is one ReplicaSet and the size to give it.
type scaleStep struct {
	rs       *api.ReplicaSet
	replicas int32
}

// planOldScaleDown decides how far the old ReplicaSets of a rolling update come
// down, oldest first, never taking the available pods (as far as their
// ReplicaSets' statuses tell) below spec.replicas - maxUnavailable:
//
//  1. Unavailable pods of old ReplicaSets go first, since removing them costs
//     no availability (otherwise they could block the rollout for good), up to
//     what the new ReplicaSet's own unavailable pods leave room for.
//  2. Then available old pods, as many as exceed the minimum.
//
// It returns at most one step per ReplicaSet, in the order they are taken.
func planOldScaleDown(d *api.Deployment, allRSs, oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet) []scaleStep {
	if sumSpecReplicas(oldRSs) == 0 {
		return nil
	}
	minAvailable := desiredReplicas(d) - maxUnavailable(d)
	newRSUnavailable := specReplicas(newRS) - availableEstimate(newRS)
	maxScaledDown := sumSpecReplicas(allRSs) - minAvailable - newRSUnavailable
	if maxScaledDown <= 0 {
		return nil
	}

	olds := sortedByCreation(oldRSs)
	size := make([]int32, len(olds))
	for i, rs := range olds {
		size[i] = specReplicas(rs)
	}

	// 1. Unavailable old pods.
	var cleaned int32
	for i, rs := range olds {
		if cleaned >= maxScaledDown {
			break
		}
		unhealthy := size[i] - availableEstimate(rs)
		if size[i] == 0 || unhealthy <= 0 {
			continue
		}
		n := min(maxScaledDown-cleaned, unhealthy)
		size[i] -= n
		cleaned += n
	}

	// 2. Available old pods beyond the minimum. Step 1 only removed
	// unavailable pods, so what is available has not changed.
	available := availableEstimate(newRS)
	for _, rs := range oldRSs {
		available += availableEstimate(rs)
	}
	if available > minAvailable {
		total, scaled := available-minAvailable, int32(0)
		for i := range olds {
			if scaled >= total {
				break
			}
			if size[i] == 0 {
				continue
			}
			n := min(size[i], total-scaled)
			size[i] -= n
			scaled += n
		}
	}

	var steps []scaleStep
	for i, rs := range olds {
		if size[i] != specReplicas(rs) {
			steps = append(steps, scaleStep{rs: rs, replicas: size[i]})
		}
	}
	return steps
}
