package framework

import "skiff/pkg/api"

// Snapshot is the cluster as one scheduling cycle sees it: every node with its
// pods. It does not change while a cycle uses it.
type Snapshot struct {
	nodes  []*NodeInfo
	byName map[string]*NodeInfo
	// havePodsWithAffinity lists nodes with at least one pod that has pod
	// (anti-)affinity terms, so InterPodAffinity need not look at every pod.
	havePodsWithAffinity             []*NodeInfo
	havePodsWithRequiredAntiAffinity []*NodeInfo
}

// NewSnapshot builds a snapshot from nodes and the pods bound (or assumed) to
// them; pods on nodes not in the list are ignored.
func NewSnapshot(nodes []*api.Node, pods []*api.Pod) *Snapshot {
	infos := make([]*NodeInfo, 0, len(nodes))
	byName := make(map[string]*NodeInfo, len(nodes))
	for _, n := range nodes {
		ni := NewNodeInfo(n)
		infos = append(infos, ni)
		byName[n.Name] = ni
	}
	for _, p := range pods {
		if ni, ok := byName[p.Spec.NodeName]; ok {
			ni.AddPod(p)
		}
	}
	return NewSnapshotFromInfos(infos)
}

// NewSnapshotFromInfos builds a snapshot from NodeInfos, which it then owns.
func NewSnapshotFromInfos(infos []*NodeInfo) *Snapshot {
	s := &Snapshot{nodes: infos, byName: make(map[string]*NodeInfo, len(infos))}
	for _, ni := range infos {
		s.byName[ni.Name()] = ni
		affinity, antiAffinity := false, false
		for _, p := range ni.Pods {
			if a := p.Spec.Affinity; a != nil {
				if a.PodAffinity != nil || a.PodAntiAffinity != nil {
					affinity = true
				}
				if a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
					antiAffinity = true
				}
			}
		}
		if affinity {
			s.havePodsWithAffinity = append(s.havePodsWithAffinity, ni)
		}
		if antiAffinity {
			s.havePodsWithRequiredAntiAffinity = append(s.havePodsWithRequiredAntiAffinity, ni)
		}
	}
	return s
}

// List returns every node, in a stable order.
func (s *Snapshot) List() []*NodeInfo { return s.nodes }

// Get returns the named node, or nil.
func (s *Snapshot) Get(name string) *NodeInfo { return s.byName[name] }

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
