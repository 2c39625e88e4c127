package nodelifecycle

import (
	"time"

	"skiff/pkg/api"
)

// The well-known taints this controller manages (Kubernetes' core/v1 names).
const (
	taintNotReady           = "node.kubernetes.io/not-ready"
	taintUnreachable        = "node.kubernetes.io/unreachable"
	taintUnschedulable      = "node.kubernetes.io/unschedulable"
	taintMemoryPressure     = "node.kubernetes.io/memory-pressure"
	taintDiskPressure       = "node.kubernetes.io/disk-pressure"
	taintPIDPressure        = "node.kubernetes.io/pid-pressure"
	taintNetworkUnavailable = "node.kubernetes.io/network-unavailable"
)

// conditionTaints maps a node condition and its status to the key of the
// NoSchedule taint it calls for (Kubernetes' nodeConditionToTaintKeyStatusMap).
var conditionTaints = map[string]map[string]string{
	api.NodeReady:              {api.ConditionFalse: taintNotReady, api.ConditionUnknown: taintUnreachable},
	api.NodeMemoryPressure:     {api.ConditionTrue: taintMemoryPressure},
	api.NodeDiskPressure:       {api.ConditionTrue: taintDiskPressure},
	api.NodePIDPressure:        {api.ConditionTrue: taintPIDPressure},
	api.NodeNetworkUnavailable: {api.ConditionTrue: taintNetworkUnavailable},
}

// taintID names a taint the way a node's taint list is keyed: key and effect.
type taintID struct{ key, effect string }

// desiredTaints says which of the controller's taints the node should carry
// (want) out of those the controller decides about (managed). Other taints are
// not the controller's business and are left alone.
//
// NoSchedule: one per condition in conditionTaints, plus unschedulable for a
// cordoned node. NoExecute: not-ready for Ready=False, unreachable for
// Ready=Unknown, neither for Ready=True. A node that has not posted a Ready
// condition yet keeps whatever not-ready and unreachable taints it has (it may
// have registered with not-ready:NoSchedule, as a kubelet does); Kubernetes
// would remove the NoSchedule ones.
func desiredTaints(n *api.Node) (want, managed map[taintID]bool) {
	want, managed = map[taintID]bool{}, map[taintID]bool{}
	hasReady := readyStatus(&n.Status) != ""
	for typ, byStatus := range conditionTaints {
		if typ == api.NodeReady && !hasReady {
			continue
		}
		for _, key := range byStatus {
			managed[taintID{key, api.TaintEffectNoSchedule}] = true
		}
	}
	managed[taintID{taintUnschedulable, api.TaintEffectNoSchedule}] = true
	if hasReady {
		managed[taintID{taintNotReady, api.TaintEffectNoExecute}] = true
		managed[taintID{taintUnreachable, api.TaintEffectNoExecute}] = true
	}
	for _, c := range n.Status.Conditions {
		if key, ok := conditionTaints[c.Type][c.Status]; ok {
			want[taintID{key, api.TaintEffectNoSchedule}] = true
			if c.Type == api.NodeReady {
				want[taintID{key, api.TaintEffectNoExecute}] = true
			}
		}
	}
	if n.Spec.Unschedulable {
		want[taintID{taintUnschedulable, api.TaintEffectNoSchedule}] = true
	}
	return want, managed
}

// reconcileTaints returns the node's taints with the controller's own brought
// in line with its conditions, and whether they changed. Taints that stay keep
// their timeAdded; new ones get now; the order of the others is kept.
func reconcileTaints(n *api.Node, now time.Time) ([]api.Taint, bool) {
	want, managed := desiredTaints(n)
	out := make([]api.Taint, 0, len(n.Spec.Taints)+len(want))
	have := map[taintID]bool{}
	changed := false
	for _, t := range n.Spec.Taints {
		id := taintID{t.Key, t.Effect}
		if managed[id] && !want[id] {
			changed = true
			continue
		}
		have[id] = true
		out = append(out, t)
	}
	// Add in a fixed order, so the result does not depend on map iteration.
	for _, key := range []string{taintNotReady, taintUnreachable, taintMemoryPressure, taintDiskPressure,
		taintPIDPressure, taintNetworkUnavailable, taintUnschedulable} {
		for _, effect := range []string{api.TaintEffectNoSchedule, api.TaintEffectNoExecute} {
			id := taintID{key, effect}
			if want[id] && !have[id] {
				added := api.NewTime(now)
				out = append(out, api.Taint{Key: key, Effect: effect, TimeAdded: &added})
				changed = true
			}
		}
	}
	return out, changed
}

// noExecuteTaints returns the NoExecute taints among ts.
func noExecuteTaints(ts []api.Taint) []api.Taint {
	var out []api.Taint
	for _, t := range ts {
		if t.Effect == api.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}
