package interpodaffinity

import (
	"context"
	"fmt"
	"maps"
	"math"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// preScoreStateKey is where PreScore leaves its domain scores for Score.
const preScoreStateKey framework.StateKey = "PreScore" + Name

// preScoreState is the score of each topology domain: topology key → value
// → summed weights. A node scores the sum over the domains it is in.
type preScoreState struct {
	scores map[string]map[string]int64
}

// Clone copies the scores.
func (s *preScoreState) Clone() framework.StateData {
	out := &preScoreState{scores: make(map[string]map[string]int64, len(s.scores))}
	for k, m := range s.scores {
		out.scores[k] = maps.Clone(m)
	}
	return out
}

// add adds weight to node's domain of t's key when pod matches t.
func (s *preScoreState) add(t term, pod *api.Pod, node *api.Node, weight int64) {
	if !t.matches(pod) {
		return
	}
	value, ok := node.Labels[t.topologyKey]
	if !ok {
		return
	}
	if s.scores[t.topologyKey] == nil {
		s.scores[t.topologyKey] = map[string]int64{}
	}
	s.scores[t.topologyKey][value] += weight
}

// PreScore sums weights into the domains of existing pods:
//
//   - the incoming pod's preferred affinity terms add their weight for each
//     existing pod they match, its preferred anti-affinity terms subtract it;
//   - an existing pod's preferred affinity terms that match the incoming pod
//     add their weight, its preferred anti-affinity terms subtract it, and its
//     required affinity terms add HardPodAffinityWeight.
//
// When the incoming pod has no preferred terms only pods with affinity terms
// matter; if there are none, it returns Skip.
func (pl *InterPodAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	own, err := termsOf(pod)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("%s: %w", Name, err))
	}
	hasPreferences := len(own.preferredAffinity) > 0 || len(own.preferredAntiAffinity) > 0
	nodes := state.Snapshot.HavePodsWithAffinity()
	if hasPreferences {
		nodes = state.Snapshot.List()
	}
	if len(nodes) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	hard := int64(pl.args.HardPodAffinityWeight)
	s := &preScoreState{scores: map[string]map[string]int64{}}
	for _, ni := range nodes {
		node := ni.Node
		for _, existing := range ni.Pods {
			// The incoming pod's preferences about the existing pod.
			for _, t := range own.preferredAffinity {
				s.add(t, existing, node, int64(t.weight))
			}
			for _, t := range own.preferredAntiAffinity {
				s.add(t, existing, node, -int64(t.weight))
			}
			// The existing pod's rules about the incoming pod.
			if !hasPodAffinity(existing) {
				continue
			}
			theirs, _ := termsOf(existing) // a term that does not compile matches nothing
			for _, t := range theirs.affinity {
				s.add(t, pod, node, hard)
			}
			for _, t := range theirs.preferredAffinity {
				s.add(t, pod, node, int64(t.weight))
			}
			for _, t := range theirs.preferredAntiAffinity {
				s.add(t, pod, node, -int64(t.weight))
			}
		}
	}
	state.Write(preScoreStateKey, s)
	return nil
}

// Score is the sum of the scores of the node's domains; it may be negative
// until NormalizeScore. Safe to call concurrently.
func (pl *InterPodAffinity) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readPreScoreState(state)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var score int64
	for key, values := range s.scores {
		if value, ok := ni.Node.Labels[key]; ok {
			score += values[value]
		}
	}
	return score, nil
}

// NormalizeScore maps raw scores linearly onto [0, 100]: the lowest gets 0,
// the highest 100. If all are equal, all get 0.
func (pl *InterPodAffinity) NormalizeScore(_ context.Context, state *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	if _, err := readPreScoreState(state); err != nil {
		return framework.AsStatus(err)
	}
	if len(scores) == 0 {
		return nil
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, sc := range scores {
		lo, hi = min(lo, sc.Score), max(hi, sc.Score)
	}
	for i := range scores {
		if hi == lo {
			scores[i].Score = 0
			continue
		}
		scores[i].Score = framework.MaxNodeScore * (scores[i].Score - lo) / (hi - lo)
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
