package garbagecollector

import (
	"slices"
	"strings"
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/controller/garbagecollector/metadata"
)

// objectRef names one object: its UID, and where to find it.
type objectRef struct {
	UID        string
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// node is one object in the graph. A virtual node stands for an owner that an
// ownerReference names but no informer has shown (yet): it may exist, in a
// resource not watched or not listed yet, or be gone.
type node struct {
	ref      objectRef
	observed bool
	// deleting: the object has a deletionTimestamp.
	deleting bool
	// orphan and foreground: it has the "orphan" or "foregroundDeletion" finalizer.
	orphan, foreground bool
	owners             []api.OwnerReference
	dependents         map[string]*node // by UID
}

// deletingDependents: being deleted in the foreground, waiting for dependents.
func (n *node) deletingDependents() bool { return n.deleting && n.foreground }

// ownerRef returns n's ownerReference to the owner with uid.
func (n *node) ownerRef(uid string) (api.OwnerReference, bool) {
	for _, o := range n.owners {
		if o.UID == uid {
			return o, true
		}
	}
	return api.OwnerReference{}, false
}

// graph holds every object the collector has seen, linked from owners to
// dependents by UID. Informer handlers change it; workers read snapshots of
// it. It is safe for concurrent use. Every change returns the UIDs of the
// objects whose state may now need work, for the caller to enqueue.
type graph struct {
	mu    sync.RWMutex
	nodes map[string]*node
}

func newGraph() *graph { return &graph{nodes: map[string]*node{}} }

// upsert records an object as an informer shows it; ref says what it is.
func (g *graph) upsert(ref objectRef, m *api.ObjectMeta) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var todo []string
	n, ok := g.nodes[ref.UID]
	if !ok {
		n = &node{dependents: map[string]*node{}}
		g.nodes[ref.UID] = n
	}
	was := *n
	n.ref, n.observed = ref, true
	n.deleting = m.DeletionTimestamp != nil
	n.orphan = slices.Contains(m.Finalizers, api.FinalizerOrphanDependents)
	n.foreground = slices.Contains(m.Finalizers, api.FinalizerDeleteDependents)
	n.owners = slices.Clone(m.OwnerReferences)

	// Owners n no longer names, or no longer blocks, may be waiting for it.
	for _, old := range was.owners {
		now, still := n.ownerRef(old.UID)
		owner := g.nodes[old.UID]
		if owner == nil {
			continue
		}
		if !still {
			g.unlink(owner, n)
		}
		if owner.deleting && (!still || blocks(old) != blocks(now)) {
			todo = append(todo, owner.ref.UID)
		}
	}
	for _, o := range n.owners {
		owner := g.nodes[o.UID]
		if owner == nil {
			// Is it there at all? The worker asks the apiserver.
			owner = &node{ref: objectRef{UID: o.UID, APIVersion: o.APIVersion, Kind: o.Kind, Namespace: ref.Namespace, Name: o.Name},
				dependents: map[string]*node{}}
			g.nodes[o.UID] = owner
			todo = append(todo, o.UID)
		}
		owner.dependents[n.ref.UID] = n
		if owner.deletingDependents() && !n.deleting {
			todo = append(todo, n.ref.UID) // it goes before its owner
		}
	}
	if n.deleting && (n.orphan || n.foreground) {
		todo = append(todo, n.ref.UID)
	}
	if n.deletingDependents() && !(was.observed && was.deletingDependents()) {
		for uid := range n.dependents {
			todo = append(todo, uid)
		}
	}
	return todo
}

// remove records that an informer saw the object deleted.
func (g *graph) remove(uid string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok || !n.observed {
		return nil
	}
	return g.removeLocked(n)
}

// removeVirtual drops a virtual node once the apiserver has said its object
// does not exist. A node an informer has shown meanwhile stays.
func (g *graph) removeVirtual(uid string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok || n.observed {
		return nil
	}
	return g.removeLocked(n)
}

// removeLocked drops n: its dependents may have lost their last owner, and
// its owners being deleted may have been waiting for it.
func (g *graph) removeLocked(n *node) []string {
	delete(g.nodes, n.ref.UID)
	var todo []string
	for uid := range n.dependents {
		todo = append(todo, uid)
	}
	for _, o := range n.owners {
		if owner := g.nodes[o.UID]; owner != nil {
			g.unlink(owner, n)
			if owner.deleting {
				todo = append(todo, owner.ref.UID)
			}
		}
	}
	return todo
}

// unlink removes dependent from owner, and a virtual owner left with no
// dependents from the graph.
func (g *graph) unlink(owner, dependent *node) {
	delete(owner.dependents, dependent.ref.UID)
	if !owner.observed && len(owner.dependents) == 0 {
		delete(g.nodes, owner.ref.UID)
	}
}

func blocks(o api.OwnerReference) bool { return o.BlockOwnerDeletion != nil && *o.BlockOwnerDeletion }

// nodeView is a copy of a node for a worker.
type nodeView struct {
	ref                objectRef
	observed           bool
	deleting           bool
	orphan, foreground bool
	owners             []api.OwnerReference
	dependents         []dependentView
}

// dependentView is one dependent of a node, and how it refers to the node.
type dependentView struct {
	ref objectRef
	// blocking: its ownerReference to the node has blockOwnerDeletion.
	blocking           bool
	deletingDependents bool
}

// get returns a copy of the node with uid, its dependents sorted by UID.
func (g *graph) get(uid string) (nodeView, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n, ok := g.nodes[uid]
	if !ok {
		return nodeView{}, false
	}
	v := nodeView{ref: n.ref, observed: n.observed, deleting: n.deleting, orphan: n.orphan, foreground: n.foreground,
		owners: slices.Clone(n.owners)}
	for _, d := range n.dependents {
		o, _ := d.ownerRef(uid)
		v.dependents = append(v.dependents, dependentView{ref: d.ref, blocking: blocks(o), deletingDependents: d.deletingDependents()})
	}
	slices.SortFunc(v.dependents, func(a, b dependentView) int { return strings.Compare(a.ref.UID, b.ref.UID) })
	return v, true
}

// refOf names an object an informer of resource res shows.
func refOf(res metadata.Resource, m *api.ObjectMeta) objectRef {
	return objectRef{UID: m.UID, APIVersion: res.GroupVersion(), Kind: res.Kind, Namespace: m.Namespace, Name: m.Name}
}
