// Package queuesort orders the scheduling queue: pods with a higher
// spec.priority go first, and among equal priorities the one queued earlier.
package queuesort

import (
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "PrioritySort"

// PrioritySort is the default QueueSortPlugin.
type PrioritySort struct{}

var _ framework.QueueSortPlugin = (*PrioritySort)(nil)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &PrioritySort{}, nil
}

// Name returns Name.
func (*PrioritySort) Name() string { return Name }

// Less reports whether a goes before b: higher priority first, then the
// earlier Timestamp.
func (*PrioritySort) Less(a, b *framework.QueuedPodInfo) bool {
	pa, pb := PodPriority(a.Pod), PodPriority(b.Pod)
	return pa > pb || (pa == pb && a.Timestamp < b.Timestamp)
}

// PodPriority is the pod's spec.priority, or 0 when it is not set.
func PodPriority(p *api.Pod) int32 {
	if p.Spec.Priority == nil {
		return 0
	}
	return *p.Spec.Priority
}
