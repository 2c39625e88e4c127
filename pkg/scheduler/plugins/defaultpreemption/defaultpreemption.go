// Package defaultpreemption makes room for a pod that fits nowhere by evicting
// lower-priority pods, as kube-scheduler's DefaultPreemption does:
//
//  1. Candidates are the nodes the filters rejected as Unschedulable (not
//     UnschedulableAndUnresolvable: evicting pods cannot fix a taint or a
//     label).
//  2. On each, remove every pod of lower priority; if the pod still does not
//     fit, the node cannot help. Otherwise give pods back, highest priority
//     first, as long as the pod still fits: what remains are the victims.
//  3. Choose the node whose victims matter least: the lowest highest victim
//     priority, then the fewest victims, then the lowest sum of priorities.
//  4. Delete the victims and record the node in the pod's
//     status.nominatedNodeName. The pod is retried when they are gone.
package defaultpreemption

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins/queuesort"
)

// Name is the plugin's name.
const Name = "DefaultPreemption"

// PreemptNever is the preemptionPolicy of pods that never evict others.
const PreemptNever = "Never"

// Preemption is the DefaultPreemption plugin.
type Preemption struct{ h framework.Handle }

var _ framework.PostFilterPlugin = (*Preemption)(nil)

// New returns the plugin.
func New(_ json.RawMessage, h framework.Handle) (framework.Plugin, error) {
	return &Preemption{h: h}, nil
}

// Name implements framework.Plugin.
func (*Preemption) Name() string { return Name }

// candidate is a node and the pods to evict there.
type candidate struct {
	node    string
	victims []*api.Pod
}

// PostFilter implements framework.PostFilterPlugin.
func (pl *Preemption) PostFilter(ctx context.Context, state *framework.CycleState, pod *api.Pod, filtered framework.NodeToStatus) (string, *framework.Status) {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == PreemptNever {
		return "", framework.NewStatus(framework.Unschedulable, "preemption is disabled for the pod (preemptionPolicy: Never)")
	}
	if waiting(state, pod) {
		return "", framework.NewStatus(framework.Unschedulable, "waiting for the victims of an earlier preemption to go")
	}
	best := pl.bestCandidate(ctx, state, pod, filtered)
	if best == nil {
		return "", framework.NewStatus(framework.Unschedulable, "preemption: no node where evicting lower-priority pods would make room")
	}
	for _, v := range best.victims {
		if err := pl.h.DeletePod(ctx, v); err != nil {
			return "", framework.AsStatus(fmt.Errorf("preempt %s/%s: %w", v.Namespace, v.Name, err))
		}
	}
	if err := pl.h.NominateNode(ctx, pod, best.node); err != nil {
		return "", framework.AsStatus(err)
	}
	return best.node, nil
}

// waiting reports whether the pod already preempted on its nominated node and
// lower-priority pods there are still terminating: evicting more would be
// premature.
func waiting(state *framework.CycleState, pod *api.Pod) bool {
	ni := state.Snapshot.Get(pod.Status.NominatedNodeName)
	if ni == nil {
		return false
	}
	prio := queuesort.PodPriority(pod)
	for _, p := range ni.Pods {
		if p.DeletionTimestamp != nil && queuesort.PodPriority(p) < prio {
			return true
		}
	}
	return false
}

func (pl *Preemption) bestCandidate(ctx context.Context, state *framework.CycleState, pod *api.Pod, filtered framework.NodeToStatus) *candidate {
	var best *candidate
	var names []string
	for name, st := range filtered {
		if st.Code() == framework.Unschedulable {
			names = append(names, name)
		}
	}
	sort.Strings(names) // a stable choice among equals
	for _, name := range names {
		ni := state.Snapshot.Get(name)
		if ni == nil {
			continue
		}
		if c := selectVictims(ctx, state, pod, ni); c != nil && (best == nil || better(c, best)) {
			best = c
		}
	}
	return best
}

// selectVictims finds the fewest, least important pods to evict from ni so the
// pod fits, or nil if evicting every lower-priority pod is not enough.
func selectVictims(ctx context.Context, state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *candidate {
	prio := queuesort.PodPriority(pod)
	sim := ni.Clone()
	var lower []*api.Pod
	for _, p := range ni.Pods {
		if queuesort.PodPriority(p) < prio && p.DeletionTimestamp == nil {
			lower = append(lower, p)
			sim.RemovePod(p)
		}
	}
	if len(lower) == 0 || !state.RunFilters(ctx, pod, sim).IsSuccess() {
		return nil
	}
	// Give back the most important pods first; those that cannot stay are victims.
	sort.SliceStable(lower, func(i, j int) bool { return queuesort.PodPriority(lower[i]) > queuesort.PodPriority(lower[j]) })
	c := &candidate{node: ni.Name()}
	for _, p := range lower {
		sim.AddPod(p)
		if !state.RunFilters(ctx, pod, sim).IsSuccess() {
			sim.RemovePod(p)
			c.victims = append(c.victims, p)
		}
	}
	return c
}

// better reports whether a's victims matter less than b's.
func better(a, b *candidate) bool {
	if ha, hb := highest(a.victims), highest(b.victims); ha != hb {
		return ha < hb
	}
	if len(a.victims) != len(b.victims) {
		return len(a.victims) < len(b.victims)
	}
	return sum(a.victims) < sum(b.victims)
}

func highest(pods []*api.Pod) int32 {
	h := int32(-1 << 31)
	for _, p := range pods {
		h = max(h, queuesort.PodPriority(p))
	}
	return h
}

func sum(pods []*api.Pod) int64 {
	var s int64
	for _, p := range pods {
		s += int64(queuesort.PodPriority(p))
	}
	return s
}
