package apiserver_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	sa "skiff/pkg/apiserver/admission/serviceaccount"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/storage/etcd"
)

// TestRacingWriters: two writers update one object from the same resourceVersion;
// exactly one wins, the other gets 409 Conflict, and after retrying from the new
// state both changes are present — no update is lost.
func TestRacingWriters(t *testing.T) {
	s := apiservertest.Start(t)
	cms := client.ConfigMaps(s.Client, "default")
	ctx := context.Background()
	base, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "counter", Namespace: "default"}, Data: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cm := api.DeepCopy(base)
			cm.Data = map[string]string{fmt.Sprintf("writer%d", i): "yes"}
			<-start
			_, errs[i] = cms.Update(ctx, cm)
		}()
	}
	close(start)
	wg.Wait()
	conflicts, wins := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case api.IsConflict(err):
			conflicts++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 || conflicts != 1 {
		t.Fatalf("got %d wins and %d conflicts, want 1 and 1 (errors: %v)", wins, conflicts, errs)
	}

	// Many writers each adding their key with retry-on-conflict: all keys land.
	const writers = 8
	var wg2 sync.WaitGroup
	for i := range writers {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for {
				cur, err := cms.Get(ctx, "counter")
				if err != nil {
					t.Error(err)
					return
				}
				cur.Data["k"+strconv.Itoa(i)] = "v"
				if _, err = cms.Update(ctx, cur); err == nil {
					return
				} else if !api.IsConflict(err) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg2.Wait()
	final, err := cms.Get(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if len(final.Data) != writers+1 {
		t.Fatalf("lost updates: have %d keys, want %d: %v", len(final.Data), writers+1, final.Data)
	}
}

// TestWatchReplaysFromOldResourceVersion: a watch from an old resourceVersion
// replays every later change, in order.
func TestWatchReplaysFromOldResourceVersion(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	cms := client.ConfigMaps(s.Client, "default")
	first, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "a"}, Data: map[string]string{"n": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 1; i <= 5; i++ {
		first.Data["n"] = strconv.Itoa(i)
		if first, err = cms.Update(ctx, first); err != nil {
			t.Fatal(err)
		}
		want = append(want, "MODIFIED a n="+strconv.Itoa(i))
	}
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "b"}}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "ADDED b n=")
	if err := cms.Delete(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	want = append(want, "DELETED a n=5")

	list, err := cms.List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = list
	// Watch from the revision of the create: everything after it comes back.
	created, _ := strconv.ParseInt(first.ResourceVersion, 10, 64)
	startRV := strconv.FormatInt(created-5, 10) // the create of "a"
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	events, err := cms.Watch(wctx, client.ListOptions{ResourceVersion: startRV})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	lastRV := int64(0)
	for ev := range events {
		if ev.Err != nil {
			t.Fatal(ev.Err)
		}
		got = append(got, fmt.Sprintf("%s %s n=%s", ev.Type, ev.Object.Name, ev.Object.Data["n"]))
		rv, _ := strconv.ParseInt(ev.Object.ResourceVersion, 10, 64)
		if rv <= lastRV {
			t.Errorf("resourceVersions not increasing: %d after %d", rv, lastRV)
		}
		lastRV = rv
		if len(got) == len(want) {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("replayed events (-want +got):\n%s", diff)
	}
}

// TestWatchGoneAfterCompaction: once history is compacted, a watch from before
// it gets an ERROR event with a 410 Status, and listing at that exact revision is
// a 410 too.
func TestWatchGoneAfterCompaction(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	cms := client.ConfigMaps(s.Client, "default")
	old, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("b%d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := etcd.Compact(ctx, s.EtcdClient(), revision(t, s)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	events, err := cms.Watch(wctx, client.ListOptions{ResourceVersion: old.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := <-events
	if !ok || ev.Type != api.Error || !api.IsGone(ev.Err) {
		t.Fatalf("got event %+v (open %v), want an ERROR with a 410 Status", ev, ok)
	}
	if _, more := <-events; more {
		t.Error("watch stayed open after the ERROR event")
	}
	_, err = cms.List(ctx, client.ListOptions{ResourceVersion: old.ResourceVersion, ResourceVersionMatch: "Exact"})
	if !api.IsGone(err) {
		t.Fatalf("list at a compacted revision: got %v, want 410", err)
	}
}

// TestPaginationWhileWriting lists 1,000 objects in pages of 70 while other
// objects are created and deleted: every page comes from one snapshot, so the
// result is exactly the 1,000 objects (and the namespace's CA configmap), each
// once.
func TestPaginationWhileWriting(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	cms := client.ConfigMaps(s.Client, "default")
	want := map[string]bool{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range 1000 {
		name := fmt.Sprintf("cm-%04d", i)
		want[name] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want[sa.RootCAConfigMap] = true // every namespace has it from the start

	// The churn starts once the first page has fixed the snapshot, so that
	// everything it creates or deletes is after the snapshot.
	var stopWriting context.CancelFunc
	writerDone := make(chan struct{})
	got := map[string]int{}
	opts := client.ListOptions{Limit: 70}
	pages := 0
	var firstRV string
	for {
		page, err := cms.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if firstRV == "" {
			firstRV = page.ResourceVersion
			var writeCtx context.Context
			writeCtx, stopWriting = context.WithCancel(ctx)
			go func() {
				defer close(writerDone)
				for i := 0; writeCtx.Err() == nil; i++ {
					name := fmt.Sprintf("churn-%d", i)
					if _, err := cms.Create(writeCtx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name}}); err != nil {
						continue
					}
					cms.Delete(writeCtx, fmt.Sprintf("cm-%04d", i%1000), nil) // deletes after the snapshot must not show
				}
			}()
		} else if page.ResourceVersion != firstRV {
			t.Errorf("page %d has resourceVersion %s, first page had %s", pages, page.ResourceVersion, firstRV)
		}
		for _, cm := range page.Items {
			got[cm.Name]++
		}
		if page.Continue == "" {
			break
		}
		if page.RemainingItemCount == nil || *page.RemainingItemCount <= 0 {
			t.Errorf("page %d: remainingItemCount missing with a continue token", pages)
		}
		opts.Continue = page.Continue
	}
	stopWriting()
	<-writerDone
	if pages != 15 {
		t.Errorf("got %d pages, want 15", pages)
	}
	for name := range want {
		if got[name] != 1 {
			t.Errorf("%s seen %d times, want 1", name, got[name])
		}
	}
	for name, n := range got {
		if !want[name] {
			t.Errorf("%s (seen %d times) was not in the snapshot", name, n)
		}
	}
}

// TestSelectors: label selectors (equality and set-based) and field selectors.
func TestSelectors(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	mustCreatePod(t, s.Client, makePod("default", "web-1", map[string]string{"app": "web", "tier": "front"}))
	mustCreatePod(t, s.Client, makePod("default", "web-2", map[string]string{"app": "web", "tier": "back"}))
	mustCreatePod(t, s.Client, makePod("default", "db", map[string]string{"app": "db"}))
	mustCreatePod(t, s.Client, makePod("kube-system", "web-3", map[string]string{"app": "web"}))
	if err := client.Bind(ctx, s.Client, &api.Binding{ObjectMeta: api.ObjectMeta{Name: "web-2", Namespace: "default"},
		Target: api.ObjectReference{Kind: "Node", Name: "node-a"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ns, labels, fields string
		want                     []string
	}{
		{"equality", "default", "app=web", "", []string{"web-1", "web-2"}},
		{"inequality", "default", "app!=web", "", []string{"db"}},
		{"set", "default", "tier in (front,middle)", "", []string{"web-1"}},
		{"notin includes missing", "default", "tier notin (front)", "", []string{"db", "web-2"}},
		{"exists", "default", "tier", "", []string{"web-1", "web-2"}},
		{"does not exist", "default", "!tier", "", []string{"db"}},
		{"all namespaces", "", "app=web", "", []string{"web-1", "web-2", "web-3"}},
		{"field name", "default", "", "metadata.name=db", []string{"db"}},
		{"field name across namespaces", "", "", "metadata.name=web-3", []string{"web-3"}},
		{"field name prefix is not a match", "default", "", "metadata.name=web", nil},
		{"node name", "", "", "spec.nodeName=node-a", []string{"web-2"}},
		{"unscheduled", "default", "", "spec.nodeName=", []string{"db", "web-1"}},
		{"phase and labels", "default", "app=web", "status.phase=Pending", []string{"web-1", "web-2"}},
		{"namespace field", "", "", "metadata.namespace=kube-system", []string{"web-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := client.Pods(s.Client, tt.ns).List(ctx, client.ListOptions{LabelSelector: tt.labels, FieldSelector: tt.fields})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range list.Items {
				got = append(got, p.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []client.ListOptions{{LabelSelector: "app in (web"}, {LabelSelector: "a b"}, {FieldSelector: "spec.foo=bar"}, {FieldSelector: "nonsense"}} {
		_, err := client.Pods(s.Client, "default").List(ctx, bad)
		if api.CodeOf(err) != 400 {
			t.Errorf("selector %+v: got %v, want 400", bad, err)
		}
	}
}

// TestGenerateName: the server appends a random suffix, and each create gets a
// different name.
func TestGenerateName(t *testing.T) {
	s := apiservertest.Start(t)
	seen := map[string]bool{}
	for range 20 {
		p := makePod("default", "", nil)
		p.GenerateName = "worker-"
		out := mustCreatePod(t, s.Client, p)
		if len(out.Name) != len("worker-")+5 || out.Name[:7] != "worker-" {
			t.Fatalf("generated name %q is not worker-XXXXX", out.Name)
		}
		if seen[out.Name] {
			t.Fatalf("name %q generated twice", out.Name)
		}
		seen[out.Name] = true
		if out.UID == "" || out.CreationTimestamp.IsZero() || out.ResourceVersion == "" {
			t.Errorf("server-set fields missing: uid=%q created=%v rv=%q", out.UID, out.CreationTimestamp, out.ResourceVersion)
		}
	}
}

// TestDeleteWithFinalizers: a finalizer keeps a deleted object, with a
// deletionTimestamp, until an update removes the last finalizer.
func TestDeleteWithFinalizers(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	cms := client.ConfigMaps(s.Client, "default")
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "held", nil); err != nil {
		t.Fatal(err)
	}
	cur, err := cms.Get(ctx, "held")
	if err != nil {
		t.Fatalf("object with a finalizer is gone after delete: %v", err)
	}
	if cur.DeletionTimestamp == nil || cur.DeletionGracePeriodSeconds == nil || *cur.DeletionGracePeriodSeconds != 0 {
		t.Fatalf("deletionTimestamp %v, grace %v; want set and 0", cur.DeletionTimestamp, cur.DeletionGracePeriodSeconds)
	}
	// New finalizers may not be added while deleting.
	cur.Finalizers = append(cur.Finalizers, "example.com/another")
	if _, err := cms.Update(ctx, cur); !api.IsInvalid(err) {
		t.Fatalf("adding a finalizer during deletion: got %v, want 422", err)
	}
	cur.Finalizers = nil
	if _, err := cms.Update(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "held"); !api.IsNotFound(err) {
		t.Fatalf("after removing the last finalizer: got %v, want NotFound", err)
	}

	// Foreground and Orphan propagation are recorded as finalizers for the
	// garbage collector.
	for policy, finalizer := range map[string]string{api.DeletePropagationForeground: api.FinalizerDeleteDependents, api.DeletePropagationOrphan: api.FinalizerOrphanDependents} {
		name := "policy-" + strings.ToLower(finalizer)
		if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
		p := policy
		if err := cms.Delete(ctx, name, &api.DeleteOptions{PropagationPolicy: &p}); err != nil {
			t.Fatal(err)
		}
		cur, err := cms.Get(ctx, name)
		if err != nil {
			t.Fatalf("%s delete removed the object at once: %v", policy, err)
		}
		if diff := cmp.Diff([]string{finalizer}, cur.Finalizers); diff != "" {
			t.Errorf("%s: finalizers (-want +got):\n%s", policy, diff)
		}
	}
}
