package replicaset

import (
	"slices"
	"strconv"
	"time"

	"skiff/pkg/api"
)

// PodDeletionCostAnnotation lets users steer scale-down: among otherwise equal
// pods, the one with the lower cost goes first (Kubernetes'
// controller.kubernetes.io/pod-deletion-cost; missing or invalid means 0).
const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// phaseOrder ranks phases for deletion: pending first, then unknown, then running.
var phaseOrder = map[string]int{api.PodPending: 0, api.PodUnknown: 1, api.PodRunning: 2}

// podsToDelete picks the n pods of a ReplicaSet to delete when scaling down,
// in Kubernetes' order (ActivePodsWithRanks) — the first that differs decides:
//
//  1. not yet scheduled before scheduled;
//  2. Pending before Unknown before Running;
//  3. not ready before ready;
//  4. lower pod-deletion-cost before higher;
//  5. more pods of the same family on its node before fewer (spreads what
//     remains over the nodes);
//  6. ready for a shorter time before longer;
//  7. more container restarts before fewer;
//  8. newer before older.
//
// related are the active pods of the ReplicaSet and of its siblings (the
// ReplicaSets with the same controller, such as a Deployment's), which rule 5
// counts per node. Kubernetes' LogarithmicScaleDown, which compares ready and
// creation times in powers-of-two buckets and breaks ties at random by UID, is
// left out: here times compare exactly, so the order is deterministic.
func podsToDelete(pods, related []*api.Pod, n int) []*api.Pod {
	if n >= len(pods) {
		return pods
	}
	onNode := map[string]int{}
	for _, p := range related {
		if isPodActive(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	sorted := slices.Clone(pods)
	slices.SortStableFunc(sorted, func(a, b *api.Pod) int {
		switch {
		case deleteBefore(a, b, onNode):
			return -1
		case deleteBefore(b, a, onNode):
			return 1
		}
		return 0
	})
	return sorted[:n]
}

// deleteBefore reports whether a should be deleted before b.
func deleteBefore(a, b *api.Pod, onNode map[string]int) bool {
	// 1. Unassigned < assigned.
	if a.Spec.NodeName != b.Spec.NodeName && (a.Spec.NodeName == "" || b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	// 2. Pending < Unknown < Running.
	if pa, pb := phaseOrder[a.Status.Phase], phaseOrder[b.Status.Phase]; pa != pb {
		return pa < pb
	}
	// 3. Not ready < ready.
	ra, rb := isPodReady(a), isPodReady(b)
	if ra != rb {
		return !ra
	}
	// 4. Lower deletion cost < higher.
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	// 5. Doubled up < not: more related pods on the same node go first.
	if na, nb := onNode[a.Spec.NodeName], onNode[b.Spec.NodeName]; na != nb {
		return na > nb
	}
	// 6. Ready for less time < more; an unknown ready time counts as newest.
	if ra && rb {
		ta, tb := readySince(a), readySince(b)
		if !ta.Equal(tb) {
			return afterOrZero(ta, tb)
		}
	}
	// 7. More restarts < fewer.
	if ma, mb := maxRestarts(a), maxRestarts(b); ma != mb {
		return ma > mb
	}
	// 8. Newer < older; an unset creation time counts as newest.
	if ta, tb := a.CreationTimestamp.Time, b.CreationTimestamp.Time; !ta.Equal(tb) {
		return afterOrZero(ta, tb)
	}
	return false
}

// afterOrZero: a is zero (and b not), or a is after b.
func afterOrZero(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero()
	}
	return a.After(b)
}

func readySince(p *api.Pod) time.Time {
	if c := readyCondition(p); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func maxRestarts(p *api.Pod) int32 {
	var m int32
	for _, s := range p.Status.ContainerStatuses {
		m = max(m, s.RestartCount)
	}
	return m
}

func deletionCost(p *api.Pod) int32 {
	v, ok := p.Annotations[PodDeletionCostAnnotation]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}
