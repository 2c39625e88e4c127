package framework

import "sync"

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

	mu   sync.RWMutex
	data map[StateKey]StateData
}

// NewCycleState returns an empty state over a snapshot.
func NewCycleState(s *Snapshot) *CycleState {
	return &CycleState{Snapshot: s, data: map[StateKey]StateData{}}
}

// Read returns the data stored under key, or false.
func (c *CycleState) Read(key StateKey) (StateData, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.data[key]
	return d, ok
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, d StateData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] = d
}

// Clone copies the state (each value through its Clone) over the same snapshot.
func (c *CycleState) Clone() *CycleState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := NewCycleState(c.Snapshot)
	for k, v := range c.data {
		out.data[k] = v.Clone()
	}
	return out
}
