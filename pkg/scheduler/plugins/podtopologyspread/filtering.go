package podtopologyspread

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins/nodeaffinity"
)

// preFilterStateKey is where PreFilter leaves its counts for Filter.
const preFilterStateKey framework.StateKey = "PreFilter" + Name

// preFilterState holds, for each DoNotSchedule constraint of the pod, how many
// matching pods each topology domain holds.
type preFilterState struct {
	constraints []constraint
	// counts[i] maps each value of constraints[i].topologyKey, among the nodes
	// that count, to the number of matching pods there (zero included: an empty
	// domain is the minimum).
	counts []map[string]int
	// minimums[i] is the global minimum of constraints[i] (see globalMinimum).
	minimums []int
}

// Clone copies the counts; constraints are never changed, so they are shared.
func (s *preFilterState) Clone() framework.StateData {
	out := &preFilterState{
		constraints: s.constraints,
		counts:      make([]map[string]int, len(s.counts)),
		minimums:    slices.Clone(s.minimums),
	}
	for i, m := range s.counts {
		out.counts[i] = maps.Clone(m)
	}
	return out
}

// globalMinimum is the smallest count over the domains, or 0 when there are
// fewer domains than minDomains (as if the missing domains existed, empty):
// that keeps pods from piling into too few domains.
func globalMinimum(counts map[string]int, minDomains int32) int {
	if len(counts) < int(minDomains) || len(counts) == 0 {
		return 0
	}
	return slices.Min(slices.Collect(maps.Values(counts)))
}

// PreFilter counts the matching pods per domain for each DoNotSchedule
// constraint, over the nodes that count (see the package comment). It returns
// Skip when the pod has no such constraint.
func (pl *PodTopologySpread) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod) *framework.Status {
	cs, err := constraintsOf(pod, api.DoNotSchedule)
	if err != nil {
		// The pod's own spec is wrong; no change in the cluster fixes that.
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &preFilterState{constraints: cs, counts: make([]map[string]int, len(cs)), minimums: make([]int, len(cs))}
	for i := range s.counts {
		s.counts[i] = map[string]int{}
	}
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	for _, ni := range state.Snapshot.List() {
		node := ni.Node
		if !hasAllTopologyKeys(node, cs) {
			continue
		}
		for i, c := range cs {
			if !c.includesNode(pod, aff, node) {
				continue
			}
			s.counts[i][node.Labels[c.topologyKey]] += c.countMatching(ni.Pods, pod.Namespace)
		}
	}
	for i, c := range cs {
		s.minimums[i] = globalMinimum(s.counts[i], c.minDomains)
	}
	state.Write(preFilterStateKey, s)
	return nil
}

// Filter rejects a node that lacks a constraint's topologyKey
// (UnschedulableAndUnresolvable), or whose domain, with the pod added, would
// hold more than maxSkew matching pods above the global minimum
// (Unschedulable). It only reads the state PreFilter wrote, so it is safe to
// call concurrently.
func (pl *PodTopologySpread) Filter(_ context.Context, state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	for i, c := range s.constraints {
		value, ok := ni.Node.Labels[c.topologyKey]
		if !ok {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch)
		}
		// The pod adds one to the domain only if it matches its own selector.
		self := 0
		if c.selector.Matches(labels.Set(pod.Labels)) {
			self = 1
		}
		skew := s.counts[i][value] + self - s.minimums[i]
		if skew > int(c.maxSkew) {
			return framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch)
		}
	}
	return nil
}

func readPreFilterState(state *framework.CycleState) (*preFilterState, error) {
	d, ok := state.Read(preFilterStateKey)
	if !ok {
		return nil, fmt.Errorf("%s: no PreFilter state in the cycle", Name)
	}
	s, ok := d.(*preFilterState)
	if !ok {
		return nil, fmt.Errorf("%s: PreFilter state is a %T", Name, d)
	}
	return s, nil
}
