package framework

import "skiff/pkg/api"

// Snapshot is the cluster as one scheduling cycle sees it: every node with its
// pods. It does not change while a cycle uses it; between cycles the
// scheduler's cache updates it in place (Put, Delete, Refresh), copying only
// the nodes that changed.
type Snapshot struct {
	nodes []*NodeInfo
	index map[string]int // node name → position in nodes
	// havePodsWithAffinity lists nodes with at least one pod that has pod
	// (anti-)affinity terms, so InterPodAffinity need not look at every pod.
	havePodsWithAffinity             []*NodeInfo
	havePodsWithRequiredAntiAffinity []*NodeInfo
}

// NewSnapshot builds a snapshot from nodes and the pods bound (or assumed) to
// them; pods on nodes not in the list are ignored. Tests use it.
func NewSnapshot(nodes []*api.Node, pods []*api.Pod) *Snapshot {
	s := NewEmptySnapshot()
	infos := map[string]*NodeInfo{}
	for _, n := range nodes {
		ni := NewNodeInfo(n)
		infos[n.Name] = ni
		s.Put(ni)
	}
	for _, p := range pods {
		if ni, ok := infos[p.Spec.NodeName]; ok {
			ni.AddPod(p)
		}
	}
	s.Refresh()
	return s
}

// NewEmptySnapshot returns a snapshot with no nodes.
func NewEmptySnapshot() *Snapshot { return &Snapshot{index: map[string]int{}} }

// Put adds ni, or replaces the node of the same name. Call Refresh after a
// batch of changes.
func (s *Snapshot) Put(ni *NodeInfo) {
	if i, ok := s.index[ni.Name()]; ok {
		s.nodes[i] = ni
		return
	}
	s.index[ni.Name()] = len(s.nodes)
	s.nodes = append(s.nodes, ni)
}

// Delete removes the named node. Call Refresh after a batch of changes.
func (s *Snapshot) Delete(name string) {
	i, ok := s.index[name]
	if !ok {
		return
	}
	last := len(s.nodes) - 1
	s.nodes[i] = s.nodes[last]
	s.index[s.nodes[i].Name()] = i
	s.nodes[last] = nil
	s.nodes = s.nodes[:last]
	delete(s.index, name)
}

// Refresh recomputes the lists of nodes with affinity pods.
func (s *Snapshot) Refresh() {
	s.havePodsWithAffinity = s.havePodsWithAffinity[:0]
	s.havePodsWithRequiredAntiAffinity = s.havePodsWithRequiredAntiAffinity[:0]
	for _, ni := range s.nodes {
		if ni.PodsWithAffinity > 0 {
			s.havePodsWithAffinity = append(s.havePodsWithAffinity, ni)
		}
		if ni.PodsWithRequiredAntiAffinity > 0 {
			s.havePodsWithRequiredAntiAffinity = append(s.havePodsWithRequiredAntiAffinity, ni)
		}
	}
}

// List returns every node. The order is stable between changes.
func (s *Snapshot) List() []*NodeInfo { return s.nodes }

// Get returns the named node, or nil.
func (s *Snapshot) Get(name string) *NodeInfo {
	if i, ok := s.index[name]; ok {
		return s.nodes[i]
	}
	return nil
}

// NumNodes is how many nodes there are.
func (s *Snapshot) NumNodes() int { return len(s.nodes) }

// HavePodsWithAffinity lists the nodes running a pod with pod affinity or
// anti-affinity terms.
func (s *Snapshot) HavePodsWithAffinity() []*NodeInfo { return s.havePodsWithAffinity }

// HavePodsWithRequiredAntiAffinity lists the nodes running a pod with required
// pod anti-affinity terms.
func (s *Snapshot) HavePodsWithRequiredAntiAffinity() []*NodeInfo {
	return s.havePodsWithRequiredAntiAffinity
}

// NewSnapshotFromInfos builds a snapshot from NodeInfos, which it then owns.
func NewSnapshotFromInfos(infos []*NodeInfo) *Snapshot {
	s := NewEmptySnapshot()
	for _, ni := range infos {
		s.Put(ni)
	}
	s.Refresh()
	return s
}
