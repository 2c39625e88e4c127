package interpodaffinity

import (
	"context"
	"fmt"
	"maps"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// preFilterStateKey is where PreFilter leaves its domains for Filter.
const preFilterStateKey framework.StateKey = "PreFilter" + Name

// preFilterState is what Filter needs to judge a node for the incoming pod.
type preFilterState struct {
	// affinity and antiAffinity are the incoming pod's required terms.
	affinity, antiAffinity []term
	// affinityCounts counts, per domain of each affinity term's key, the pods
	// that match all the affinity terms.
	affinityCounts topologyCounts
	// antiAffinityCounts counts, per domain of each anti-affinity term's key,
	// the pods that match that term.
	antiAffinityCounts topologyCounts
	// existingAntiAffinityCounts counts, per domain, the existing pods'
	// required anti-affinity terms that match the incoming pod.
	existingAntiAffinityCounts topologyCounts
	// matchesOwnAffinity: the incoming pod matches all its own affinity terms.
	matchesOwnAffinity bool
}

// Clone copies the counts; terms are never changed, so they are shared.
func (s *preFilterState) Clone() framework.StateData {
	out := *s
	out.affinityCounts = maps.Clone(s.affinityCounts)
	out.antiAffinityCounts = maps.Clone(s.antiAffinityCounts)
	out.existingAntiAffinityCounts = maps.Clone(s.existingAntiAffinityCounts)
	return &out
}

// PreFilter finds the domains that decide each node: those with pods the
// incoming pod's required terms match, and those where existing pods'
// required anti-affinity terms match the incoming pod. It returns Skip when
// the pod has no required terms and no existing pod has required
// anti-affinity, and rejects a pod whose terms do not compile.
func (pl *InterPodAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod) *framework.Status {
	own, err := termsOf(pod)
	if err != nil {
		// The pod's own spec is wrong; no change in the cluster fixes that.
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	withAntiAffinity := state.Snapshot.HavePodsWithRequiredAntiAffinity()
	if len(own.affinity) == 0 && len(own.antiAffinity) == 0 && len(withAntiAffinity) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &preFilterState{
		affinity:                   own.affinity,
		antiAffinity:               own.antiAffinity,
		affinityCounts:             topologyCounts{},
		antiAffinityCounts:         topologyCounts{},
		existingAntiAffinityCounts: topologyCounts{},
		matchesOwnAffinity:         matchesAll(own.affinity, pod),
	}

	// Existing pods that keep the incoming pod away from their domain.
	for _, ni := range withAntiAffinity {
		for _, existing := range ni.Pods {
			theirs, _ := termsOf(existing) // a term that does not compile matches nothing
			for _, t := range theirs.antiAffinity {
				if t.matches(pod) {
					s.existingAntiAffinityCounts.add(ni.Node, t.topologyKey)
				}
			}
		}
	}

	// Existing pods the incoming pod's own terms select.
	if len(own.affinity) > 0 || len(own.antiAffinity) > 0 {
		for _, ni := range state.Snapshot.List() {
			for _, existing := range ni.Pods {
				if matchesAll(own.affinity, existing) {
					for _, t := range own.affinity {
						s.affinityCounts.add(ni.Node, t.topologyKey)
					}
				}
				for _, t := range own.antiAffinity {
					if t.matches(existing) {
						s.antiAffinityCounts.add(ni.Node, t.topologyKey)
					}
				}
			}
		}
	}
	state.Write(preFilterStateKey, s)
	return nil
}

// Filter checks the node against the domains PreFilter found. It only reads
// that state, so it is safe to call concurrently. A node failing the pod's
// required affinity is UnschedulableAndUnresolvable, as in kube-scheduler:
// evicting pods (preemption) cannot bring a wanted pod to it.
func (pl *InterPodAffinity) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	node := ni.Node
	if !s.satisfiesAffinity(node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	}
	if !s.satisfiesAntiAffinity(node) {
		return framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
	}
	if !s.satisfiesExistingAntiAffinity(node) {
		return framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
	}
	return nil
}

// satisfiesAffinity: the node has every affinity term's topology key, and for
// each the node's domain holds a matching pod. The one exception lets a group
// of pods with affinity to each other start: when no pod anywhere matches
// the terms but the incoming pod matches them itself, any node with the keys
// will do.
func (s *preFilterState) satisfiesAffinity(node *api.Node) bool {
	podsExist := true
	for _, t := range s.affinity {
		value, ok := node.Labels[t.topologyKey]
		if !ok {
			return false
		}
		if s.affinityCounts[topologyPair{t.topologyKey, value}] == 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	return len(s.affinityCounts) == 0 && s.matchesOwnAffinity
}

// satisfiesAntiAffinity: no anti-affinity term's matching pod is in the
// node's domain. A node without a term's key is in no domain of it, so the
// term holds there.
func (s *preFilterState) satisfiesAntiAffinity(node *api.Node) bool {
	for _, t := range s.antiAffinity {
		value, ok := node.Labels[t.topologyKey]
		if ok && s.antiAffinityCounts[topologyPair{t.topologyKey, value}] > 0 {
			return false
		}
	}
	return true
}

// satisfiesExistingAntiAffinity: the node is in no domain from which an
// existing pod's anti-affinity keeps the incoming pod.
func (s *preFilterState) satisfiesExistingAntiAffinity(node *api.Node) bool {
	for key, value := range node.Labels {
		if s.existingAntiAffinityCounts[topologyPair{key, value}] > 0 {
			return false
		}
	}
	return true
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
