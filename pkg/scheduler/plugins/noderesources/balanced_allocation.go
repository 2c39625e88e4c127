package noderesources

import (
	"context"
	"encoding/json"
	"math"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// BalancedAllocationName is NodeResourcesBalancedAllocation's name in the
// scheduler config.
const BalancedAllocationName = "NodeResourcesBalancedAllocation"

// balancedPreScoreStateKey holds the pod's requests per balanced resource.
const balancedPreScoreStateKey framework.StateKey = "PreScore" + BalancedAllocationName

// BalancedAllocation is the NodeResourcesBalancedAllocation plugin: it prefers
// nodes whose resources would be used in equal proportion with the pod on
// them, so no node runs out of one resource while others sit idle.
type BalancedAllocation struct {
	resources []ResourceSpec
}

var (
	_ framework.PreScorePlugin = (*BalancedAllocation)(nil)
	_ framework.ScorePlugin    = (*BalancedAllocation)(nil)
)

// NewBalancedAllocation builds the plugin from BalancedAllocationArgs as JSON
// (nil for the default: cpu and memory). Errors wrap ErrInvalidArgs.
func NewBalancedAllocation(args json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	resources, err := parseBalancedAllocationArgs(args)
	if err != nil {
		return nil, err
	}
	return &BalancedAllocation{resources: resources}, nil
}

// Name returns BalancedAllocationName.
func (*BalancedAllocation) Name() string { return BalancedAllocationName }

// PreScore computes the pod's requests of the balanced resources once, for Score.
func (b *BalancedAllocation) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(balancedPreScoreStateKey, podRequestList(pod, b.resources))
	return nil
}

// Score is (1 − the standard deviation of the resources' fractions)·100,
// truncated, where a fraction is requested (the node's pods and this one at
// their non-zero requests) over allocatable, capped at 1. Resources the node
// does not have, and extended resources the pod does not ask for, are left
// out. Without PreScore it computes the pod's requests itself.
func (b *BalancedAllocation) Score(_ context.Context, state *framework.CycleState, pod *api.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	podReq := readRequests(state, balancedPreScoreStateKey)
	if podReq == nil {
		podReq = podRequestList(pod, b.resources)
	}
	requested, allocatable := allocation(n, b.resources, podReq)
	return balancedScore(requested, allocatable), nil
}

// balancedScore is kube-scheduler's balancedResourceScorer, float for float.
func balancedScore(requested, allocatable []int64) int64 {
	var fractions []float64
	var total float64
	for i := range requested {
		if allocatable[i] <= 0 {
			continue
		}
		f := min(float64(requested[i])/float64(allocatable[i]), 1)
		fractions = append(fractions, f)
		total += f
	}
	var std float64
	switch {
	case len(fractions) == 2:
		// The common cpu-and-memory case: the deviation of two values is half
		// their distance.
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	case len(fractions) > 2:
		mean := total / float64(len(fractions))
		var sum float64
		for _, f := range fractions {
			sum += (f - mean) * (f - mean)
		}
		std = math.Sqrt(sum / float64(len(fractions)))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}
