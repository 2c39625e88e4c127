// Package nodeaffinity keeps a pod on nodes that match its spec.nodeSelector
// and required node affinity, and prefers nodes that match its preferred node
// affinity terms, by their weights.
package nodeaffinity

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "NodeAffinity"

// ErrReason is why a node that does not match is rejected.
const ErrReason = "node(s) didn't match Pod's node affinity/selector"

const (
	preFilterKey framework.StateKey = "PreFilter" + Name
	preScoreKey  framework.StateKey = "PreScore" + Name
)

// NodeAffinity filters and scores nodes by the pod's node selector and
// affinity.
type NodeAffinity struct{}

var (
	_ framework.PreFilterPlugin = (*NodeAffinity)(nil)
	_ framework.FilterPlugin    = (*NodeAffinity)(nil)
	_ framework.PreScorePlugin  = (*NodeAffinity)(nil)
	_ framework.ScorePlugin     = (*NodeAffinity)(nil)
	_ framework.ScoreNormalizer = (*NodeAffinity)(nil)
)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &NodeAffinity{}, nil
}

// Name returns Name.
func (*NodeAffinity) Name() string { return Name }

// preFilterState is the pod's parsed required affinity; it is read-only.
type preFilterState struct{ required *RequiredNodeAffinity }

func (s *preFilterState) Clone() framework.StateData { return s }

// preScoreState is the pod's parsed preferred terms; it is read-only.
type preScoreState []weightedTerm

func (s preScoreState) Clone() framework.StateData { return s }

// PreFilter parses the pod's constraints once for every Filter, or skips
// Filter when the pod has none.
func (*NodeAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod) *framework.Status {
	if !hasRequired(pod) {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(preFilterKey, &preFilterState{required: GetRequiredNodeAffinity(pod)})
	return nil
}

// Filter rejects a node that does not match the pod's nodeSelector or
// required node affinity.
func (*NodeAffinity) Filter(_ context.Context, state *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) *framework.Status {
	if !requiredAffinity(state, pod).Match(node.Node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason)
	}
	return nil
}

// requiredAffinity returns what PreFilter parsed, or parses it now if
// PreFilter did not run.
func requiredAffinity(state *framework.CycleState, pod *api.Pod) *RequiredNodeAffinity {
	if d, ok := state.Read(preFilterKey); ok {
		return d.(*preFilterState).required
	}
	return GetRequiredNodeAffinity(pod)
}

// PreScore parses the pod's preferred terms once for every Score, or skips
// Score when the pod has none.
func (*NodeAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	terms := preferredTerms(pod)
	if len(terms) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(preScoreKey, preScoreState(terms))
	return nil
}

// Score is the sum of the weights of the preferred terms the node matches.
func (*NodeAffinity) Score(_ context.Context, state *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	var score int64
	for _, t := range preferredAffinity(state, pod) {
		if t.matches(node.Node) {
			score += t.weight
		}
	}
	return score, nil
}

// preferredAffinity returns what PreScore parsed, or parses it now if
// PreScore did not run.
func preferredAffinity(state *framework.CycleState, pod *api.Pod) []weightedTerm {
	if d, ok := state.Read(preScoreKey); ok {
		return d.(preScoreState)
	}
	return preferredTerms(pod)
}

// NormalizeScore scales the scores so the highest becomes MaxNodeScore.
func (*NodeAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	framework.DefaultNormalizeScore(false, scores)
	return nil
}
