package framework

import (
	"context"
	"sync"

	"skiff/pkg/api"
)

// StateKey names one plugin's data in a CycleState.
type StateKey string

// StateData is what a plugin keeps in a CycleState; Clone copies it, for
// simulations (preemption) that must not disturb the real cycle.
type StateData interface {
	Clone() StateData
}

// CycleState carries data between the extension points of one scheduling
// cycle: a PreFilter computes, its Filter reads. It also holds the Snapshot the
// cycle decides from. Read and Write are safe for concurrent use.
type CycleState struct {
	// Snapshot is the cluster as this cycle sees it; plugins must not change it.
	Snapshot *Snapshot
	// RunFilters runs the profile's filters for pod on a node, which may be a
	// changed copy of one in the Snapshot: PostFilter plugins use it to ask
	// "would the pod fit if these pods were gone?". Set by the profile.
	RunFilters func(ctx context.Context, pod *api.Pod, node *NodeInfo) *Status

	// data is read by every Filter and Score call, from several goroutines, and
	// written rarely: a sync.Map reads without a lock.
	data sync.Map // StateKey → StateData
}

// NewCycleState returns an empty state over a snapshot.
func NewCycleState(s *Snapshot) *CycleState {
	return &CycleState{Snapshot: s}
}

// Read returns the data stored under key, or false.
func (c *CycleState) Read(key StateKey) (StateData, bool) {
	d, ok := c.data.Load(key)
	if !ok {
		return nil, false
	}
	return d.(StateData), true
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, d StateData) {
	c.data.Store(key, d)
}

// Clone copies the state (each value through its Clone) over the same snapshot.
func (c *CycleState) Clone() *CycleState {
	out := NewCycleState(c.Snapshot)
	out.RunFilters = c.RunFilters
	c.data.Range(func(k, v any) bool {
		out.data.Store(k, v.(StateData).Clone())
		return true
	})
	return out
}
