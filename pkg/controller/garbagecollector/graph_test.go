package garbagecollector

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

// obj is the fixture builder for the graph tests: a ConfigMap in "ns".
type obj struct {
	ref  objectRef
	meta api.ObjectMeta
}

func cm(uid string) *obj {
	return &obj{ref: objectRef{UID: uid, APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "cm-" + uid},
		meta: api.ObjectMeta{UID: uid, Namespace: "ns", Name: "cm-" + uid}}
}

func (o *obj) owned(owner string, block bool) *obj {
	o.meta.OwnerReferences = append(o.meta.OwnerReferences,
		api.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "cm-" + owner, UID: owner, BlockOwnerDeletion: &block})
	return o
}

func (o *obj) deleting(finalizers ...string) *obj {
	now := api.Now()
	o.meta.DeletionTimestamp = &now
	o.meta.Finalizers = finalizers
	return o
}

func (o *obj) in(g *graph) []string { return g.upsert(o.ref, &o.meta) }

// sorted returns uids sorted and without repeats, for comparing queued work.
func sorted(uids []string) []string {
	out := slices.Clone(uids)
	slices.Sort(out)
	return slices.Compact(out)
}

func dependentUIDs(t *testing.T, g *graph, uid string) []string {
	t.Helper()
	v, ok := g.get(uid)
	if !ok {
		t.Fatalf("no node %s", uid)
	}
	var out []string
	for _, d := range v.dependents {
		out = append(out, d.ref.UID)
	}
	return out
}

func TestGraphDependentsOfDeletedOwner(t *testing.T) {
	g := newGraph()
	if got := cm("owner").in(g); len(got) != 0 {
		t.Errorf("adding an owner queued %v", got)
	}
	cm("d1").owned("owner", false).in(g)
	cm("d2").owned("owner", true).in(g)
	cm("other").in(g)
	if diff := cmp.Diff([]string{"d1", "d2"}, dependentUIDs(t, g, "owner")); diff != "" {
		t.Errorf("dependents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d1", "d2"}, sorted(g.remove("owner"))); diff != "" {
		t.Errorf("removing the owner queued (-want +got):\n%s", diff)
	}
	if _, ok := g.get("owner"); ok {
		t.Errorf("the owner is still in the graph")
	}
	// A dependent that changes while its owner is gone makes a virtual owner
	// again, to be looked up.
	if diff := cmp.Diff([]string{"owner"}, cm("d1").owned("owner", false).in(g)); diff != "" {
		t.Errorf("updating an orphaned dependent queued (-want +got):\n%s", diff)
	}
	// Removing what is not there queues nothing.
	if got := g.remove("nobody"); len(got) != 0 {
		t.Errorf("removing an unknown object queued %v", got)
	}
}

func TestGraphVirtualOwner(t *testing.T) {
	g := newGraph()
	if diff := cmp.Diff([]string{"missing"}, cm("d").owned("missing", false).in(g)); diff != "" {
		t.Errorf("a dependent of an unseen owner queued (-want +got):\n%s", diff)
	}
	v, ok := g.get("missing")
	if !ok || v.observed {
		t.Fatalf("want a virtual node for the owner, got %+v (found %v)", v, ok)
	}
	if want := (objectRef{UID: "missing", APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "cm-missing"}); v.ref != want {
		t.Errorf("virtual node ref %+v, want %+v", v.ref, want)
	}
	// An informer's remove does not drop a virtual node; a lookup that finds
	// nothing does, and queues its dependents.
	if got := g.remove("missing"); len(got) != 0 {
		t.Errorf("remove of a virtual node queued %v", got)
	}
	if diff := cmp.Diff([]string{"d"}, g.removeVirtual("missing")); diff != "" {
		t.Errorf("removeVirtual queued (-want +got):\n%s", diff)
	}

	// Once an informer shows the owner, it is real and stays.
	cm("d2").owned("late", false).in(g)
	cm("late").in(g)
	if got := g.removeVirtual("late"); len(got) != 0 {
		t.Errorf("removeVirtual of an observed node queued %v", got)
	}
	if v, ok := g.get("late"); !ok || !v.observed {
		t.Errorf("observed owner: %+v, %v", v, ok)
	}

	// A virtual owner no one refers to any more leaves the graph.
	cm("d3").owned("ghost", false).in(g)
	cm("d3").in(g)
	if _, ok := g.get("ghost"); ok {
		t.Errorf("a virtual owner without dependents stayed")
	}
}

func TestGraphMultipleOwners(t *testing.T) {
	g := newGraph()
	cm("a").in(g)
	cm("b").in(g)
	cm("shared").owned("a", true).owned("b", false).in(g)
	if diff := cmp.Diff([]string{"shared"}, g.remove("a")); diff != "" {
		t.Errorf("removing one owner queued (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shared"}, dependentUIDs(t, g, "b")); diff != "" {
		t.Errorf("dependents of the remaining owner (-want +got):\n%s", diff)
	}
	// The collector drops the reference to a: nothing to do.
	if got := cm("shared").owned("b", false).in(g); len(got) != 0 {
		t.Errorf("dropping the reference to a gone owner queued %v", got)
	}
	if diff := cmp.Diff([]string{"shared"}, g.remove("b")); diff != "" {
		t.Errorf("removing the last owner queued (-want +got):\n%s", diff)
	}
}

func TestGraphForeground(t *testing.T) {
	g := newGraph()
	cm("owner").in(g)
	cm("blocker").owned("owner", true).in(g)
	cm("free").owned("owner", false).in(g)

	// Being deleted in the foreground: the owner and all its dependents are queued.
	if diff := cmp.Diff([]string{"blocker", "free", "owner"}, sorted(cm("owner").deleting(api.FinalizerDeleteDependents).in(g))); diff != "" {
		t.Errorf("foreground deletion queued (-want +got):\n%s", diff)
	}
	v, _ := g.get("owner")
	if !v.deleting || !v.foreground || v.orphan {
		t.Errorf("owner view %+v: want deleting with foreground", v)
	}
	var blocking []string
	for _, d := range blockingDependents(v) {
		blocking = append(blocking, d.ref.UID)
	}
	if diff := cmp.Diff([]string{"blocker"}, blocking); diff != "" {
		t.Errorf("blocking dependents (-want +got):\n%s", diff)
	}

	// A dependent that appears now goes first, too.
	if diff := cmp.Diff([]string{"late"}, cm("late").owned("owner", false).in(g)); diff != "" {
		t.Errorf("a new dependent of a foreground owner queued (-want +got):\n%s", diff)
	}
	// A change to the owner while it waits does not queue its dependents again.
	if diff := cmp.Diff([]string{"owner"}, cm("owner").deleting(api.FinalizerDeleteDependents, "example.com/x").in(g)); diff != "" {
		t.Errorf("updating a waiting owner queued (-want +got):\n%s", diff)
	}
	// The blocking dependent being marked still blocks; its going wakes the owner.
	cm("blocker").owned("owner", true).deleting().in(g)
	v, _ = g.get("owner")
	if got := blockingDependents(v); len(got) != 1 {
		t.Errorf("blocking dependents while the blocker is being deleted: %v", got)
	}
	if diff := cmp.Diff([]string{"owner"}, g.remove("blocker")); diff != "" {
		t.Errorf("removing the blocker queued (-want +got):\n%s", diff)
	}
	v, _ = g.get("owner")
	if got := blockingDependents(v); len(got) != 0 {
		t.Errorf("blocking dependents after the blocker went: %v", got)
	}
	// Unblocking a reference wakes the owner too.
	cm("b2").owned("owner", true).in(g)
	if got := cm("b2").owned("owner", false).in(g); !slices.Contains(got, "owner") {
		t.Errorf("unblocking queued %v, want the owner among them", got)
	}
}

func TestGraphOrphan(t *testing.T) {
	g := newGraph()
	cm("owner").in(g)
	cm("d").owned("owner", true).in(g)
	if diff := cmp.Diff([]string{"owner"}, cm("owner").deleting(api.FinalizerOrphanDependents).in(g)); diff != "" {
		t.Errorf("orphan deletion queued (-want +got):\n%s", diff)
	}
	v, _ := g.get("owner")
	if !v.deleting || !v.orphan || v.foreground {
		t.Errorf("owner view %+v: want deleting with orphan", v)
	}
	// The collector removes the reference: the owner, waiting, is queued again.
	if diff := cmp.Diff([]string{"owner"}, cm("d").in(g)); diff != "" {
		t.Errorf("dropping the reference queued (-want +got):\n%s", diff)
	}
	if got := dependentUIDs(t, g, "owner"); len(got) != 0 {
		t.Errorf("dependents after orphaning: %v", got)
	}
	// Deleted without a propagation finalizer: nothing for the collector.
	cm("plain").in(g)
	if got := cm("plain").deleting("example.com/x").in(g); len(got) != 0 {
		t.Errorf("a plain deletion queued %v", got)
	}
}
