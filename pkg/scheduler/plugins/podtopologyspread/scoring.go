package podtopologyspread

import (
	"context"
	"fmt"
	"maps"
	"math"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins/nodeaffinity"
)

// preScoreStateKey is where PreScore leaves its counts for Score.
const preScoreStateKey framework.StateKey = "PreScore" + Name

// preScoreState holds, for each ScheduleAnyway constraint of the pod, the
// matching pods in each domain of the nodes being scored.
type preScoreState struct {
	constraints []constraint
	// counts[i] maps each value of constraints[i].topologyKey found on a
	// scored node to the number of matching pods in that domain.
	counts []map[string]int
	// weights[i] scales constraints[i]'s counts by how many domains it has
	// (see topologyWeight).
	weights []float64
	// ignored are the scored nodes lacking a constraint's topologyKey; they
	// score 0 after normalizing.
	ignored map[string]bool
}

// Clone copies the state; constraints and weights are never changed.
func (s *preScoreState) Clone() framework.StateData {
	out := &preScoreState{
		constraints: s.constraints,
		counts:      make([]map[string]int, len(s.counts)),
		weights:     s.weights,
		ignored:     maps.Clone(s.ignored),
	}
	for i, m := range s.counts {
		out.counts[i] = maps.Clone(m)
	}
	return out
}

// PreScore counts, for each ScheduleAnyway constraint, the matching pods in
// the domains of the nodes that passed filtering; the pods on every node that
// counts (see the package comment) are included, not only the filtered ones.
// It returns Skip when the pod has no such constraint.
func (pl *PodTopologySpread) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) *framework.Status {
	cs, err := constraintsOf(pod, api.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("%s: %w", Name, err))
	}
	if len(cs) == 0 || len(nodes) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &preScoreState{
		constraints: cs,
		counts:      make([]map[string]int, len(cs)),
		weights:     make([]float64, len(cs)),
		ignored:     map[string]bool{},
	}
	for i := range cs {
		s.counts[i] = map[string]int{}
	}
	// The domains that matter are those of the nodes being scored.
	for _, ni := range nodes {
		if !hasAllTopologyKeys(ni.Node, cs) {
			s.ignored[ni.Name()] = true
			continue
		}
		for i, c := range cs {
			s.counts[i][ni.Node.Labels[c.topologyKey]] = 0
		}
	}
	for i := range cs {
		s.weights[i] = topologyWeight(len(s.counts[i]))
	}
	// Count the matching pods in those domains across the whole cluster.
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	for _, ni := range state.Snapshot.List() {
		node := ni.Node
		if !hasAllTopologyKeys(node, cs) {
			continue
		}
		for i, c := range cs {
			value := node.Labels[c.topologyKey]
			if _, scored := s.counts[i][value]; !scored || !c.includesNode(pod, aff, node) {
				continue
			}
			s.counts[i][value] += c.countMatching(ni.Pods, pod.Namespace)
		}
	}
	state.Write(preScoreStateKey, s)
	return nil
}

// topologyWeight is log(domains+2), as in kube-scheduler: a constraint over
// many small domains (hostnames) weighs each pod more than one over a few big
// domains (zones), so both matter in the sum. The +2 keeps it above zero.
func topologyWeight(domains int) float64 {
	return math.Log(float64(domains + 2))
}

// Score is a raw "crowdedness": for each constraint, the matching pods in the
// node's domain (weighted) plus maxSkew−1. Lower is better; NormalizeScore
// turns it around. Safe to call concurrently.
func (pl *PodTopologySpread) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readPreScoreState(state)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	if s.ignored[ni.Name()] {
		return 0, nil
	}
	var score float64
	for i, c := range s.constraints {
		value := ni.Node.Labels[c.topologyKey]
		score += float64(s.counts[i][value])*s.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// NormalizeScore maps raw scores to [0, 100], the least crowded node getting
// 100: score = 100 × (max + min − raw) / max. Ignored nodes get 0; if every raw
// score is 0, all other nodes get 100.
func (pl *PodTopologySpread) NormalizeScore(_ context.Context, state *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := readPreScoreState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	var lo, hi int64 = math.MaxInt64, 0
	for _, sc := range scores {
		if s.ignored[sc.Name] {
			continue
		}
		lo, hi = min(lo, sc.Score), max(hi, sc.Score)
	}
	for i := range scores {
		switch {
		case s.ignored[scores[i].Name]:
			scores[i].Score = 0
		case hi == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (hi + lo - scores[i].Score) / hi
		}
	}
	return nil
}

func readPreScoreState(state *framework.CycleState) (*preScoreState, error) {
	d, ok := state.Read(preScoreStateKey)
	if !ok {
		return nil, fmt.Errorf("%s: no PreScore state in the cycle", Name)
	}
	s, ok := d.(*preScoreState)
	if !ok {
		return nil, fmt.Errorf("%s: PreScore state is a %T", Name, d)
	}
	return s, nil
}
