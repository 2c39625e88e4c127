// Package noderesources holds the scheduler plugins that weigh what a pod
// requests against what a node has, with kube-scheduler's semantics:
//
//   - NodeResourcesFit (FitName) filters out nodes without room for the pod's
//     requests (pods, cpu, memory and every extended resource it asks for)
//     and scores the rest by how allocated they would be, LeastAllocated
//     (spread) or MostAllocated (pack).
//   - NodeResourcesBalancedAllocation (BalancedAllocationName) prefers nodes
//     whose cpu and memory would be used in equal proportion.
//
// Filtering uses PodRequests against NodeInfo.Requested, which includes
// assumed pods; scoring uses NonZeroRequests against NodeInfo.NonZeroRequested,
// so pods that request nothing still count. Both plugins keep no state of
// their own after construction: Filter and Score may be called concurrently,
// and neither changes its arguments.
package noderesources
