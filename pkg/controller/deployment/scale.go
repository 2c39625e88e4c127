package deployment

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"

	"skiff/pkg/api"
)

// syncScale handles a paused Deployment, and a Deployment whose spec.replicas
// changed: the ReplicaSets are resized (proportionally, mid-rollout) but no
// rollout step is taken and no new ReplicaSet is created. A paused Deployment
// also has its history trimmed. The status is written without touching the
// Progressing condition.
func (c *Controller) syncScale(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	if err := c.scale(ctx, d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Spec.Paused {
		if err := c.cleanupHistory(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	allRSs := withNew(oldRSs, newRS)
	return c.writeStatus(ctx, d, calculateStatus(allRSs, newRS, d, c.now()))
}

// isScalingEvent reports whether spec.replicas differs from what an active
// ReplicaSet was last scaled for (its DesiredReplicasAnnotation).
func isScalingEvent(d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) bool {
	for _, rs := range activeReplicaSets(withNew(oldRSs, newRS)) {
		if desired, ok := intAnnotation(rs, DesiredReplicasAnnotation); ok && desired != desiredReplicas(d) {
			return true
		}
	}
	return false
}

// scale resizes the ReplicaSets to spec.replicas, as planScale decides.
func (c *Controller) scale(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	steps, refreshAll := planScale(d, newRS, oldRSs)
	for _, s := range steps {
		if !refreshAll && s.replicas == specReplicas(s.rs) {
			continue
		}
		if _, err := c.scaleReplicaSet(ctx, s.rs, s.replicas, d); err != nil {
			return err
		}
	}
	return nil
}

// planScale decides the sizes after a change of spec.replicas (or while
// paused):
//   - one active ReplicaSet (or none: then the newest) takes spec.replicas;
//   - a new ReplicaSet that is saturated (full, and all of it available)
//     leaves the old ones nothing;
//   - otherwise, in a rolling update, the difference between spec.replicas +
//     maxSurge and what the active ReplicaSets hold is shared among them in
//     proportion to their sizes, the largest (newest first when scaling up,
//     oldest first when scaling down) taking what rounding leaves over.
//
// refreshAll says to write every step, even one that keeps the size, so the
// replica annotations of every ReplicaSet record the new spec.replicas.
func planScale(d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) (steps []scaleStep, refreshAll bool) {
	desired := desiredReplicas(d)
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		if specReplicas(rs) == desired {
			return nil, false
		}
		return []scaleStep{{rs: rs, replicas: desired}}, false
	}
	if isSaturated(d, newRS) {
		for _, rs := range activeReplicaSets(oldRSs) {
			steps = append(steps, scaleStep{rs: rs, replicas: 0})
		}
		return steps, false
	}
	if !isRollingUpdate(d) {
		return nil, false
	}

	active := activeReplicaSets(withNew(oldRSs, newRS))
	allowed := int32(0)
	if desired > 0 {
		allowed = desired + maxSurge(d)
	}
	toAdd := allowed - sumSpecReplicas(active)
	switch {
	case toAdd > 0:
		slices.SortStableFunc(active, largestNewerFirst)
	case toAdd < 0:
		slices.SortStableFunc(active, largestOlderFirst)
	}
	sizes := make([]int32, len(active))
	var added int32
	for i, rs := range active {
		sizes[i] = specReplicas(rs)
		if toAdd != 0 {
			p := proportion(rs, d, toAdd, added)
			sizes[i] += p
			added += p
		}
	}
	if len(active) > 0 && toAdd != 0 {
		sizes[0] = max(sizes[0]+toAdd-added, 0)
	}
	for i, rs := range active {
		steps = append(steps, scaleStep{rs: rs, replicas: sizes[i]})
	}
	return steps, true
}

// activeOrLatest returns the only active ReplicaSet, or the newest one when
// none is active (the new one if there is one), or nil when several are.
func activeOrLatest(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) *api.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	active := activeReplicaSets(withNew(oldRSs, newRS))
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		olds := sortedByCreation(oldRSs)
		return olds[len(olds)-1]
	case 1:
		return active[0]
	default:
		return nil
	}
}

// isSaturated reports a new ReplicaSet at spec.replicas, scaled for it, and
// with all of it available.
func isSaturated(d *api.Deployment, rs *api.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, err := strconv.Atoi(rs.Annotations[DesiredReplicasAnnotation])
	if err != nil {
		return false
	}
	want := desiredReplicas(d)
	return specReplicas(rs) == want && int32(desired) == want && rs.Status.AvailableReplicas == want
}

// proportion is rs's share of toAdd replicas (negative: to remove), bounded so
// the shares handed out never exceed toAdd.
func proportion(rs *api.ReplicaSet, d *api.Deployment, toAdd, added int32) int32 {
	if specReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := replicaSetFraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

// replicaSetFraction estimates how much rs should grow (or shrink) when the
// Deployment's maximum size goes from its MaxReplicasAnnotation to spec.replicas
// + maxSurge: its size scaled by that ratio, rounded, less its size.
func replicaSetFraction(rs *api.ReplicaSet, d *api.Deployment) int32 {
	size := specReplicas(rs)
	if desiredReplicas(d) == 0 {
		return -size
	}
	maxNow := desiredReplicas(d) + maxSurge(d)
	maxBefore, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok || maxBefore == 0 {
		// Without the annotation, fall back to the Deployment's size; not
		// exact, but close.
		maxBefore = d.Status.Replicas
	}
	if maxBefore == 0 {
		return 0
	}
	scaled := float64(size) * float64(maxNow) / float64(maxBefore)
	return int32(math.Round(scaled)) - size
}

// largestNewerFirst orders by size, larger first, then newer first.
func largestNewerFirst(a, b *api.ReplicaSet) int {
	if c := cmp.Compare(specReplicas(b), specReplicas(a)); c != 0 {
		return c
	}
	return -byCreation(a, b)
}

// largestOlderFirst orders by size, larger first, then older first.
func largestOlderFirst(a, b *api.ReplicaSet) int {
	if c := cmp.Compare(specReplicas(b), specReplicas(a)); c != 0 {
		return c
	}
	return byCreation(a, b)
}
