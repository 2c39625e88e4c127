package nodelifecycle

import (
	"time"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/plugins/tainttoleration"
)

// evictionTime says when a pod must leave a node with the given taints, as
// Kubernetes' taint manager does for NoExecute taints:
//
//   - a NoExecute taint the pod does not tolerate evicts it at once;
//   - a toleration without tolerationSeconds tolerates its taint forever;
//   - one with tolerationSeconds lets the pod stay that long after the taint's
//     timeAdded: after the end of that second, as timeAdded is stored to the
//     second, so a pod may stay up to a second longer but never leaves early.
//     A taint without timeAdded, or with one in the future by this clock,
//     counts from now (the end of the current second).
//
// Per taint, the first toleration that matches it counts (as in Kubernetes'
// GetMatchingTolerations); the pod goes at the earliest of the taints'
// deadlines. evict is false when no taint ever evicts the pod; at is at most
// now when it must go at once.
func evictionTime(pod *api.Pod, taints []api.Taint, now time.Time) (at time.Time, evict bool) {
	for _, taint := range noExecuteTaints(taints) {
		tol, ok := firstMatching(pod.Spec.Tolerations, taint)
		if !ok {
			return now, true
		}
		if tol.TolerationSeconds == nil {
			continue
		}
		// timeAdded is stored to the second: the taint came some time within
		// that second. Count from its end, so a pod never leaves early.
		added := now.Truncate(time.Second)
		if taint.TimeAdded != nil && !taint.TimeAdded.After(now) {
			added = taint.TimeAdded.Truncate(time.Second)
		}
		start := added.Add(time.Second)
		deadline := start.Add(time.Duration(max(*tol.TolerationSeconds, 0)) * time.Second)
		if !evict || deadline.Before(at) {
			at, evict = deadline, true
		}
	}
	return at, evict
}

// firstMatching returns the first toleration that tolerates the taint.
func firstMatching(tolerations []api.Toleration, taint api.Taint) (api.Toleration, bool) {
	for _, t := range tolerations {
		if tainttoleration.Tolerates([]api.Toleration{t}, taint) {
			return t, true
		}
	}
	return api.Toleration{}, false
}
