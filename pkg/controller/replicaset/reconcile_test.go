package replicaset

import (
	"context"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller/controllertest"
)

// TestReconcileRightAfterCreating calls reconcile back to back, with no
// workers running, right after the first one created the pods: the informer
// has not necessarily seen them, and the expectations must keep the later
// calls from creating more. Then it checks that once the cache has caught up,
// a reconcile still creates none.
func TestReconcileRightAfterCreating(t *testing.T) {
	t.Parallel()
	s := apiservertest.Start(t)
	cc := controllertest.NewContext(t, s)
	rc := New(cc)
	t.Cleanup(rc.queue.ShutDown) // Run, which would shut it down, never runs
	controllertest.Start(t, cc)  // informers only: the test is the worker
	ctx := context.Background()

	rs, err := client.ReplicaSets(s.Client, "default").Create(ctx, makeTestRS())
	if err != nil {
		t.Fatal(err)
	}
	key := "default/" + rs.Name
	controllertest.WaitFor(t, "the ReplicaSet in the cache", func() (bool, error) {
		_, ok := rc.rsets.Get(key)
		return ok, nil
	})
	for i := range 5 {
		if err := rc.reconcile(ctx, key); err != nil {
			t.Fatalf("reconcile %d: %v", i, err)
		}
	}
	countPods := func() int {
		t.Helper()
		pods, err := controllertest.ActivePods(ctx, s.Client, "default", "app=web")
		if err != nil {
			t.Fatal(err)
		}
		return len(pods)
	}
	if n := countPods(); n != 3 {
		t.Fatalf("%d pods after back-to-back reconciles, want 3", n)
	}

	controllertest.WaitFor(t, "the cache to see 3 pods and the expectations met", func() (bool, error) {
		return len(rc.pods.ByIndex(byNamespace, "default")) == 3 && rc.exp.satisfied(key), nil
	})
	if err := rc.reconcile(ctx, key); err != nil {
		t.Fatal(err)
	}
	if n := countPods(); n != 3 {
		t.Fatalf("%d pods after a reconcile on a current cache, want 3", n)
	}
}

func makeTestRS() *api.ReplicaSet {
	rs := makeRS("web", 3)
	rs.UID, rs.Generation = "", 0
	return rs
}
