package noderesources

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// FitName is NodeResourcesFit's name in the scheduler config.
const FitName = "NodeResourcesFit"

const (
	// preFilterStateKey holds the pod's requests from PreFilter, for Filter.
	preFilterStateKey framework.StateKey = "PreFilter" + FitName
	// fitPreScoreStateKey holds the pod's requests per scored resource.
	fitPreScoreStateKey framework.StateKey = "PreScore" + FitName
)

// reasonTooManyPods is Filter's reason when the node runs as many pods as it
// allows; a missing resource gives "Insufficient <name>".
const reasonTooManyPods = "Too many pods"

// Fit is the NodeResourcesFit plugin: it filters out nodes that lack room for
// the pod and scores nodes by a ScoringStrategy.
type Fit struct {
	strategy ScoringStrategy
	score    func(resources []ResourceSpec, requested, allocatable []int64) int64
}

var (
	_ framework.PreFilterPlugin = (*Fit)(nil)
	_ framework.FilterPlugin    = (*Fit)(nil)
	_ framework.PreScorePlugin  = (*Fit)(nil)
	_ framework.ScorePlugin     = (*Fit)(nil)
)

// NewFit builds the plugin from FitArgs as JSON (nil for the defaults:
// LeastAllocated over cpu and memory, each of weight 1). Errors wrap
// ErrInvalidArgs.
func NewFit(args json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	s, err := parseFitArgs(args)
	if err != nil {
		return nil, err
	}
	f := &Fit{strategy: s, score: leastAllocatedScore}
	if s.Type == MostAllocated {
		f.score = mostAllocatedScore
	}
	return f, nil
}

// Name returns FitName.
func (*Fit) Name() string { return FitName }

// fitState is the pod's requests, computed once per cycle by PreFilter.
type fitState struct {
	req framework.Resource
	// scalars are the names of the extended resources the pod asks a non-zero
	// amount of, sorted, so reasons come in a stable order.
	scalars []string
}

// Clone copies the state.
func (s *fitState) Clone() framework.StateData {
	return &fitState{req: s.req.Clone(), scalars: slices.Clone(s.scalars)}
}

// PreFilter computes the pod's requests (framework.PodRequests) for Filter.
func (f *Fit) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod) *framework.Status {
	req := framework.PodRequests(pod)
	var scalars []string
	for _, name := range slices.Sorted(maps.Keys(req.Scalar)) {
		if req.Scalar[name] != 0 {
			scalars = append(scalars, name)
		}
	}
	state.Write(preFilterStateKey, &fitState{req: req, scalars: scalars})
	return nil
}

// Filter rejects the node, Unschedulable, when what the pod asks for exceeds
// what the node has left (allocatable minus the requests of the pods bound or
// assumed on it), with one reason per shortfall: "Too many pods", then
// "Insufficient cpu", "Insufficient memory" and "Insufficient <name>" for
// extended resources by name. A resource the pod asks none of never fails.
// It needs PreFilter to have run in the same cycle, else it returns Error.
func (f *Fit) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, n *framework.NodeInfo) *framework.Status {
	d, ok := state.Read(preFilterStateKey)
	if !ok {
		return framework.AsStatus(fmt.Errorf("noderesources: %s: no %q in the cycle state; PreFilter did not run", FitName, preFilterStateKey))
	}
	s, ok := d.(*fitState)
	if !ok {
		return framework.AsStatus(fmt.Errorf("noderesources: %s: %q in the cycle state is a %T", FitName, preFilterStateKey, d))
	}
	if reasons := insufficient(s, n); len(reasons) > 0 {
		return framework.NewStatus(framework.Unschedulable, reasons...)
	}
	return nil
}

// insufficient lists why the requests in s do not fit on n.
func insufficient(s *fitState, n *framework.NodeInfo) []string {
	var reasons []string
	short := func(req, alloc, used int64) bool { return req > 0 && req > alloc-used }
	if short(s.req.Pods, n.Allocatable.Pods, n.Requested.Pods) {
		reasons = append(reasons, reasonTooManyPods)
	}
	if short(s.req.MilliCPU, n.Allocatable.MilliCPU, n.Requested.MilliCPU) {
		reasons = append(reasons, "Insufficient "+api.ResourceCPU)
	}
	if short(s.req.Memory, n.Allocatable.Memory, n.Requested.Memory) {
		reasons = append(reasons, "Insufficient "+api.ResourceMemory)
	}
	for _, name := range s.scalars {
		if short(s.req.Scalar[name], n.Allocatable.Scalar[name], n.Requested.Scalar[name]) {
			reasons = append(reasons, "Insufficient "+name)
		}
	}
	return reasons
}

// PreScore computes the pod's requests of the scored resources once, for Score.
func (f *Fit) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(fitPreScoreStateKey, podRequestList(pod, f.strategy.Resources))
	return nil
}

// Score rates the node from 0 to 100 by the strategy: LeastAllocated gives
// the weighted mean of (allocatable − requested)·100/allocatable, and
// MostAllocated of requested·100/allocatable, where requested counts the pods
// on the node and this one at their non-zero requests. Resources the node
// does not have, and extended resources the pod does not ask for, are left
// out of the mean. Without PreScore it computes the pod's requests itself.
func (f *Fit) Score(_ context.Context, state *framework.CycleState, pod *api.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	podReq := readRequests(state, fitPreScoreStateKey)
	if podReq == nil {
		podReq = podRequestList(pod, f.strategy.Resources)
	}
	requested, allocatable := allocation(n, f.strategy.Resources, podReq)
	return f.score(f.strategy.Resources, requested, allocatable), nil
}
