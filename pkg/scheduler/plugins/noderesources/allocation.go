package noderesources

import (
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// resourceEphemeralStorage is scored even when the pod asks for none, as
// kube-scheduler does; the framework keeps it among the scalar resources.
const resourceEphemeralStorage = "ephemeral-storage"

// amount is how much of the named resource r holds.
func amount(r *framework.Resource, name string) int64 {
	switch name {
	case api.ResourceCPU:
		return r.MilliCPU
	case api.ResourceMemory:
		return r.Memory
	case api.ResourcePods:
		return r.Pods
	}
	return r.Scalar[name]
}

// podRequestList is what the pod asks of each resource, in order, counting
// the scheduler's defaults for containers that ask for no cpu or memory.
func podRequestList(pod *api.Pod, resources []ResourceSpec) requestList {
	req := framework.NonZeroRequests(pod)
	out := make(requestList, len(resources))
	for i, r := range resources {
		out[i] = amount(&req, r.Name)
	}
	return out
}

// requestList is the pod's requests per scored resource, in order; PreScore
// keeps it in the CycleState.
type requestList []int64

// Clone copies the list.
func (l requestList) Clone() framework.StateData { return slices.Clone(l) }

// readRequests returns the requestList under key, or nil.
func readRequests(state *framework.CycleState, key framework.StateKey) requestList {
	d, ok := state.Read(key)
	if !ok {
		return nil
	}
	l, _ := d.(requestList)
	return l
}

// allocation is, for each resource in order, what the node has to give and
// what would be requested of it with the pod on it. A resource the node does
// not have is left at 0/0, which the scorers skip; so is an extended
// resource the pod does not ask for, so that a pod is not steered by devices it
// will not use (both as kube-scheduler does).
func allocation(n *framework.NodeInfo, resources []ResourceSpec, podRequests []int64) (requested, allocatable []int64) {
	requested = make([]int64, len(resources))
	allocatable = make([]int64, len(resources))
	for i, r := range resources {
		if podRequests[i] == 0 && isExtended(r.Name) {
			continue
		}
		alloc := amount(&n.Allocatable, r.Name)
		if alloc <= 0 {
			continue
		}
		allocatable[i] = alloc
		requested[i] = amount(&n.NonZeroRequested, r.Name) + podRequests[i]
	}
	return requested, allocatable
}

// isExtended reports whether the resource is one the framework keeps among
// the scalar resources (extended resources and hugepages), other than
// ephemeral-storage.
func isExtended(name string) bool {
	switch name {
	case api.ResourceCPU, api.ResourceMemory, api.ResourcePods, resourceEphemeralStorage:
		return false
	}
	return true
}

// leastAllocatedScore is the weighted mean over resources the node has of
// (allocatable − requested)·MaxNodeScore/allocatable, 0 for a resource
// requested beyond what the node has. Integer arithmetic, as kube-scheduler.
func leastAllocatedScore(resources []ResourceSpec, requested, allocatable []int64) int64 {
	return weightedMean(resources, requested, allocatable, func(req, alloc int64) int64 {
		if req > alloc {
			return 0
		}
		return (alloc - req) * framework.MaxNodeScore / alloc
	})
}

// mostAllocatedScore is the weighted mean over resources the node has of
// requested·MaxNodeScore/allocatable, with requested capped at allocatable
// (pods that request nothing are counted at default requests, which can
// over-commit a node on paper).
func mostAllocatedScore(resources []ResourceSpec, requested, allocatable []int64) int64 {
	return weightedMean(resources, requested, allocatable, func(req, alloc int64) int64 {
		return min(req, alloc) * framework.MaxNodeScore / alloc
	})
}

// weightedMean averages score over the resources with allocatable > 0,
// weighted; with none it is 0.
func weightedMean(resources []ResourceSpec, requested, allocatable []int64, score func(req, alloc int64) int64) int64 {
	var sum, weights int64
	for i, r := range resources {
		if allocatable[i] <= 0 {
			continue
		}
		sum += score(requested[i], allocatable[i]) * r.Weight
		weights += r.Weight
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}
