package garbagecollector_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller"
	"skiff/pkg/controller/garbagecollector"
)

// run starts an apiserver and the garbage collector against it; both stop
// when the test ends, the collector first. It returns an admin client.
func run(t *testing.T) (*client.Client, *garbagecollector.Collector) {
	t.Helper()
	s := apiservertest.Start(t)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The controller runs as the controller-manager does, so a permission its
	// RBAC role lacks fails the test.
	cm, err := client.NewFromKubeconfig(filepath.Join(s.DataDir, apiserver.ControllerManagerKubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	cc := &controller.Context{Client: cm, Informers: controller.NewInformers(cm, log), Log: log}
	gc, err := garbagecollector.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	if gc.Name() != garbagecollector.Name {
		t.Errorf("Name() = %q, want %q", gc.Name(), garbagecollector.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s.Client, gc
}

// observed waits until the collector has seen objs: an owner deleted with
// Orphan or Foreground propagation acts on the dependents it knows.
func observed(t *testing.T, gc *garbagecollector.Collector, objs ...api.Object) {
	t.Helper()
	var uids []string
	for _, o := range objs {
		uids = append(uids, o.GetObjectMeta().UID)
	}
	waitFor(t, "the collector to see the objects", func() (bool, error) { return gc.HasObserved(uids...), nil })
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gone waits until Get reports NotFound.
func gone[T api.Object](t *testing.T, r *client.Resource[T], name string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s %s to be deleted", r.GVR().Resource, name), func() (bool, error) {
		_, err := r.Get(context.Background(), name)
		return api.IsNotFound(err), err
	})
}

// ownedBy returns an ownerReference to obj (not as its controller).
func ownedBy(obj api.Object, block bool) api.OwnerReference {
	tm, m := obj.GetTypeMeta(), obj.GetObjectMeta()
	return api.OwnerReference{APIVersion: tm.APIVersion, Kind: tm.Kind, Name: m.Name, UID: m.UID, BlockOwnerDeletion: new(block)}
}

// controlledBy returns an ownerReference to obj as its controller.
func controlledBy(obj api.Object) api.OwnerReference {
	ref := ownedBy(obj, true)
	ref.Controller = new(true)
	return ref
}

func configMap(name string, finalizers []string, owners ...api.OwnerReference) *api.ConfigMap {
	return &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", OwnerReferences: owners, Finalizers: finalizers}}
}

func mustCreate[T api.Object](t *testing.T, r *client.Resource[T], obj T) T {
	t.Helper()
	out, err := r.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %s %s: %v", r.GVR().Resource, obj.GetObjectMeta().Name, err)
	}
	return out
}

func policy(p string) *api.DeleteOptions { return &api.DeleteOptions{PropagationPolicy: &p} }

// TestBackgroundCascade: the owner goes at once; its dependents, and theirs,
// afterwards. A ReplicaSet's pods go with it.
func TestBackgroundCascade(t *testing.T) {
	c, _ := run(t)
	ctx := context.Background()
	cms := client.ConfigMaps(c, "default")
	owner := mustCreate(t, cms, configMap("owner", nil))
	child := mustCreate(t, cms, configMap("child", nil, ownedBy(owner, false)))
	mustCreate(t, cms, configMap("grandchild", nil, ownedBy(child, true)))
	bystander := mustCreate(t, cms, configMap("bystander", nil))
	mustCreate(t, cms, configMap("bystanders-child", nil, ownedBy(bystander, true)))

	rss := client.ReplicaSets(c, "default")
	labels := map[string]string{"app": "web"}
	rs := mustCreate(t, rss, &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ReplicaSetSpec{Replicas: new(int32(3)), Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}}}},
	})
	pods := client.Pods(c, "default")
	for i := range 3 {
		mustCreate(t, pods, &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "default", Labels: labels, OwnerReferences: []api.OwnerReference{controlledBy(rs)}},
			Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
		})
	}

	if err := cms.Delete(ctx, "owner", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "owner"); !api.IsNotFound(err) {
		t.Fatalf("owner after a background delete: got %v, want NotFound at once", err)
	}
	gone(t, cms, "child")
	gone(t, cms, "grandchild")

	if err := rss.Delete(ctx, "web", policy(api.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	if _, err := rss.Get(ctx, "web"); !api.IsNotFound(err) {
		t.Fatalf("ReplicaSet after a background delete: got %v, want NotFound at once", err)
	}
	waitFor(t, "the ReplicaSet's pods to be deleted", func() (bool, error) {
		list, err := pods.List(ctx, client.ListOptions{LabelSelector: "app=web"})
		return err == nil && len(list.Items) == 0, err
	})

	for _, name := range []string{"bystander", "bystanders-child"} {
		if _, err := cms.Get(ctx, name); err != nil {
			t.Errorf("%s, whose owner stays, was touched: %v", name, err)
		}
	}
}

// TestForegroundDeletion: the owner stays, marked, until the dependents that
// block it are gone; then the collector lets it go.
func TestForegroundDeletion(t *testing.T) {
	c, gc := run(t)
	ctx := context.Background()
	cms := client.ConfigMaps(c, "default")
	owner := mustCreate(t, cms, configMap("owner", nil))
	held := mustCreate(t, cms, configMap("held", []string{"example.com/hold"}, ownedBy(owner, true)))
	free := mustCreate(t, cms, configMap("free", nil, ownedBy(owner, false)))
	observed(t, gc, owner, held, free)

	if err := cms.Delete(ctx, "owner", policy(api.DeletePropagationForeground)); err != nil {
		t.Fatal(err)
	}
	// Every dependent is deleted: "free" goes, "held" is marked and kept by its finalizer.
	gone(t, cms, "free")
	waitFor(t, "held to be marked for deletion", func() (bool, error) {
		cm, err := cms.Get(ctx, "held")
		return err == nil && cm.DeletionTimestamp != nil, err
	})
	// The owner waits for it.
	cur, err := cms.Get(ctx, "owner")
	if err != nil {
		t.Fatalf("owner went before its blocking dependent: %v", err)
	}
	if cur.DeletionTimestamp == nil || !cmp.Equal(cur.Finalizers, []string{api.FinalizerDeleteDependents}) {
		t.Fatalf("owner: deletionTimestamp %v finalizers %v; want set and [foregroundDeletion]", cur.DeletionTimestamp, cur.Finalizers)
	}

	// Release the dependent: it goes, then the owner.
	held, err = cms.Get(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	held.Finalizers = nil
	if _, err := cms.Update(ctx, held); err != nil {
		t.Fatal(err)
	}
	gone(t, cms, "held")
	gone(t, cms, "owner")
}

// TestForegroundWithoutDependents: an owner deleted in the foreground with
// nothing to wait for goes once the collector removes the finalizer.
func TestForegroundWithoutDependents(t *testing.T) {
	c, _ := run(t)
	cms := client.ConfigMaps(c, "default")
	mustCreate(t, cms, configMap("alone", nil))
	if err := cms.Delete(context.Background(), "alone", policy(api.DeletePropagationForeground)); err != nil {
		t.Fatal(err)
	}
	gone(t, cms, "alone")
}

// TestOrphan: the owner goes, and its dependents stay without the reference
// to it.
func TestOrphan(t *testing.T) {
	c, gc := run(t)
	ctx := context.Background()
	cms := client.ConfigMaps(c, "default")
	other := mustCreate(t, cms, configMap("other", nil))
	owner := mustCreate(t, cms, configMap("owner", nil))
	a := mustCreate(t, cms, configMap("orphan-a", nil, ownedBy(owner, true)))
	b := mustCreate(t, cms, configMap("orphan-b", nil, ownedBy(other, false), ownedBy(owner, true)))
	pods := client.Pods(c, "default")
	pod := mustCreate(t, pods, &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "orphan-pod", Namespace: "default", OwnerReferences: []api.OwnerReference{ownedBy(owner, true)}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
	})
	observed(t, gc, owner, a, b, pod)

	if err := cms.Delete(ctx, "owner", policy(api.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	gone(t, cms, "owner")
	for name, want := range map[string][]api.OwnerReference{"orphan-a": nil, "orphan-b": {ownedBy(other, false)}} {
		cm, err := cms.Get(ctx, name)
		if err != nil {
			t.Fatalf("%s after its owner was deleted with Orphan: %v", name, err)
		}
		if diff := cmp.Diff(want, cm.OwnerReferences); diff != "" {
			t.Errorf("%s ownerReferences (-want +got):\n%s", name, diff)
		}
	}
	pod, err := pods.Get(ctx, "orphan-pod")
	if err != nil || len(pod.OwnerReferences) != 0 {
		t.Fatalf("orphan-pod: %v, ownerReferences %v; want it kept without them", err, pod.OwnerReferences)
	}
}

// TestMultipleOwners: a dependent stays while one of its owners remains (the
// reference to the one gone is removed), and goes with the last.
func TestMultipleOwners(t *testing.T) {
	c, _ := run(t)
	ctx := context.Background()
	cms := client.ConfigMaps(c, "default")
	a := mustCreate(t, cms, configMap("a", nil))
	b := mustCreate(t, cms, configMap("b", nil))
	mustCreate(t, cms, configMap("shared", nil, ownedBy(a, true), ownedBy(b, false)))

	if err := cms.Delete(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reference to a to be removed from shared", func() (bool, error) {
		cm, err := cms.Get(ctx, "shared")
		if err != nil {
			return false, err
		}
		return cmp.Equal(cm.OwnerReferences, []api.OwnerReference{ownedBy(b, false)}), nil
	})
	if err := cms.Delete(ctx, "b", nil); err != nil {
		t.Fatal(err)
	}
	gone(t, cms, "shared")
}

// TestAbsentOwner: a dependent created after its owner was deleted, or naming
// an owner by a UID that is not the current object's, is deleted; one naming a
// kind the server does not serve is left alone.
func TestAbsentOwner(t *testing.T) {
	c, _ := run(t)
	ctx := context.Background()
	cms := client.ConfigMaps(c, "default")
	owner := mustCreate(t, cms, configMap("owner", nil))
	if err := cms.Delete(ctx, "owner", nil); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, cms, configMap("late", nil, ownedBy(owner, false)))
	// Same name, another object.
	mustCreate(t, cms, configMap("owner", nil))
	mustCreate(t, cms, configMap("mistaken", nil, ownedBy(owner, false)))
	unknown := api.OwnerReference{APIVersion: "example.com/v1", Kind: "Widget", Name: "w", UID: "0d9f4c2e-0000-4000-8000-000000000001"}
	mustCreate(t, cms, configMap("widgets", nil, unknown))

	gone(t, cms, "late")
	gone(t, cms, "mistaken")
	if _, err := cms.Get(ctx, "owner"); err != nil {
		t.Errorf("the new owner was touched: %v", err)
	}
	if _, err := cms.Get(ctx, "widgets"); err != nil {
		t.Errorf("a dependent of an unknown kind was deleted: %v", err)
	}
}
