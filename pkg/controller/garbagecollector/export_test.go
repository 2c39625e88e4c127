package garbagecollector

// HasObserved reports whether an informer has shown the collector every
// object with the given UIDs. Tests wait for it before deleting an owner with
// Orphan or Foreground propagation, whose dependents must be in the graph
// (Kubernetes' garbage collector tests wait the same way).
func (gc *Collector) HasObserved(uids ...string) bool {
	for _, uid := range uids {
		if n, ok := gc.graph.get(uid); !ok || !n.observed {
			return false
		}
	}
	return true
}
