package scheduler

import (
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/scheduler/framework"
)

// cache is the scheduler's picture of the cluster: every node with the pods
// bound to it, plus pods it has assumed onto a node while their binding is in
// flight, so the next cycle already counts them. It is fed by the informers
// and read through UpdateSnapshot between cycles.
type cache struct {
	mu         sync.Mutex
	nodes      map[string]*framework.NodeInfo // may hold pods before its Node arrives
	pods       map[string]*podState           // by namespace/name
	generation int64                          // bumped on every change
	// dirty lists the nodes changed (or removed) since the last UpdateSnapshot,
	// so a cycle copies only those, however large the cluster.
	dirty map[string]bool
}

type podState struct {
	pod     *api.Pod
	assumed bool
}

func newCache() *cache {
	return &cache{nodes: map[string]*framework.NodeInfo{}, pods: map[string]*podState{}, dirty: map[string]bool{}}
}

// nodeInfo returns the NodeInfo for name, creating an empty one, and marks it changed.
func (c *cache) nodeInfo(name string) *framework.NodeInfo {
	ni, ok := c.nodes[name]
	if !ok {
		ni = &framework.NodeInfo{}
		c.nodes[name] = ni
	}
	c.touch(name, ni)
	return ni
}

// touch marks a node changed.
func (c *cache) touch(name string, ni *framework.NodeInfo) {
	c.generation++
	ni.Generation = c.generation
	c.dirty[name] = true
}

// AddNode and UpdateNode record a node's current object.
func (c *cache) AddNode(n *api.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodeInfo(n.Name).SetNode(n)
}

// RemoveNode forgets a node. Its pods stay accounted (they are deleted or
// rebound separately) but no cycle sees the node.
func (c *cache) RemoveNode(n *api.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni, ok := c.nodes[n.Name]
	if !ok {
		return
	}
	c.touch(n.Name, ni)
	if len(ni.Pods) == 0 {
		delete(c.nodes, n.Name)
	} else {
		ni.Node = nil
	}
}

// AssumePod counts pod (whose spec.nodeName is set) on its node before the
// binding is confirmed.
func (c *cache) AssumePod(p *api.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodeInfo(p.Spec.NodeName).AddPod(p)
	c.pods[client.KeyOf(p)] = &podState{pod: p, assumed: true}
}

// ForgetPod undoes AssumePod after a failed binding.
func (c *cache) ForgetPod(p *api.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := client.KeyOf(p)
	if ps, ok := c.pods[key]; ok && ps.assumed {
		c.removeLocked(key, ps.pod)
	}
}

// IsAssumedOrBound reports whether the cache has the pod on a node.
func (c *cache) IsAssumedOrBound(p *api.Pod) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pods[client.KeyOf(p)]
	return ok
}

// SetPod records a bound pod (from the informer), replacing an assumed copy or
// an older version. Pods that have finished no longer use their node.
func (c *cache) SetPod(p *api.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := client.KeyOf(p)
	if ps, ok := c.pods[key]; ok {
		c.removeLocked(key, ps.pod)
	}
	if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		return
	}
	c.nodeInfo(p.Spec.NodeName).AddPod(p)
	c.pods[key] = &podState{pod: p}
}

// RemovePod forgets a pod.
func (c *cache) RemovePod(p *api.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := client.KeyOf(p)
	if ps, ok := c.pods[key]; ok {
		c.removeLocked(key, ps.pod)
	}
}

func (c *cache) removeLocked(key string, p *api.Pod) {
	delete(c.pods, key)
	ni, ok := c.nodes[p.Spec.NodeName]
	if !ok {
		return
	}
	ni.RemovePod(p)
	c.touch(p.Spec.NodeName, ni)
	if ni.Node == nil && len(ni.Pods) == 0 {
		delete(c.nodes, p.Spec.NodeName)
	}
}

// UpdateSnapshot brings s up to date, copying only the nodes that changed since
// the last call. Only one cycle at a time uses s, so it is updated in place.
func (c *cache) UpdateSnapshot(s *framework.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirty) == 0 {
		return
	}
	for name := range c.dirty {
		if ni, ok := c.nodes[name]; ok && ni.Node != nil {
			s.Put(ni.Clone())
		} else {
			s.Delete(name)
		}
	}
	clear(c.dirty)
	s.Refresh()
}

// NumNodes counts the nodes that exist (for metrics and tests).
func (c *cache) NumNodes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, ni := range c.nodes {
		if ni.Node != nil {
			n++
		}
	}
	return n
}
