package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/storage"
)

// startEtcd runs an embedded etcd for the test on free loopback ports.
func startEtcd(t *testing.T) *Embedded {
	t.Helper()
	// Both listeners stay open until both ports are known, so the two
	// cannot be the same port.
	var ports []int
	var lns []net.Listener
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range lns {
		l.Close()
	}
	e, err := StartEmbedded(EmbeddedConfig{
		Dir:           t.TempDir(),
		ClientURL:     fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		PeerURL:       fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		UnsafeNoFsync: true,
		ReadyTimeout:  30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func cm(name string, labels map[string]string) *api.ConfigMap {
	return &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "ns", Labels: labels}}
}

func TestCreateGetUpdateDelete(t *testing.T) {
	e := startEtcd(t)
	s := NewStore(e.Client, "configmaps", func() api.Object { return &api.ConfigMap{} }, nil)
	ctx := context.Background()
	obj := cm("a", nil)
	if err := s.Create(ctx, "ns/a", obj); err != nil {
		t.Fatal(err)
	}
	if obj.ResourceVersion == "" {
		t.Fatal("create did not set resourceVersion")
	}
	if err := s.Create(ctx, "ns/a", cm("a", nil)); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("second create: %v", err)
	}
	got, err := s.Get(ctx, "ns/a")
	if err != nil || got.GetObjectMeta().ResourceVersion != obj.ResourceVersion {
		t.Fatalf("get: %v %v", got, err)
	}
	// The stored JSON has no resourceVersion: etcd's revision is the truth.
	raw, _ := e.Client.Get(ctx, "/registry/configmaps/ns/a")
	if string(raw.Kvs[0].Value) != `{"metadata":{"name":"a","namespace":"ns"}}` {
		t.Errorf("stored %s", raw.Kvs[0].Value)
	}

	// An update that changes nothing writes nothing.
	same, err := s.GuaranteedUpdate(ctx, "ns/a", nil, func(cur api.Object) (api.Object, error) { return cur, nil })
	if err != nil || same.GetObjectMeta().ResourceVersion != obj.ResourceVersion {
		t.Fatalf("no-op update: rv %s err %v", same.GetObjectMeta().ResourceVersion, err)
	}
	// Preconditions.
	_, err = s.GuaranteedUpdate(ctx, "ns/a", &storage.Preconditions{UID: "other"}, func(cur api.Object) (api.Object, error) { return cur, nil })
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("uid precondition: %v", err)
	}
	// A racing write makes GuaranteedUpdate retry with the new state.
	calls := 0
	out, err := s.GuaranteedUpdate(ctx, "ns/a", nil, func(cur api.Object) (api.Object, error) {
		calls++
		c := cur.(*api.ConfigMap)
		if calls == 1 {
			other := api.DeepCopy(c)
			other.Data = map[string]string{"racer": "1"}
			if _, err := s.GuaranteedUpdate(ctx, "ns/a", nil, func(api.Object) (api.Object, error) { return other, nil }); err != nil {
				t.Fatal(err)
			}
		}
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		c.Data["mine"] = "1"
		return c, nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("retry: calls %d err %v", calls, err)
	}
	if diff := cmp.Diff(map[string]string{"racer": "1", "mine": "1"}, out.(*api.ConfigMap).Data); diff != "" {
		t.Errorf("lost the racing write (-want +got):\n%s", diff)
	}
	if _, err := s.Delete(ctx, "ns/a", &storage.Preconditions{ResourceVersion: "1"}, nil); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("delete with stale rv: %v", err)
	}
	if _, err := s.Delete(ctx, "ns/a", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "ns/a"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

// TestWatchPredicateTransitions: with a selector, an object that starts matching
// arrives as ADDED and one that stops matching leaves as DELETED, as Kubernetes
// watch caches report them.
func TestWatchPredicateTransitions(t *testing.T) {
	e := startEtcd(t)
	s := NewStore(e.Client, "configmaps", func() api.Object { return &api.ConfigMap{} }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Create(ctx, "ns/pre", cm("pre", map[string]string{"app": "web"})); err != nil {
		t.Fatal(err)
	}
	events, err := s.Watch(ctx, "ns/", storage.WatchOptions{Predicate: func(o api.Object) bool {
		return o.GetObjectMeta().Labels["app"] == "web"
	}})
	if err != nil {
		t.Fatal(err)
	}
	set := func(name string, labels map[string]string) {
		if _, err := s.GuaranteedUpdate(ctx, "ns/"+name, nil, func(cur api.Object) (api.Object, error) {
			cur.GetObjectMeta().Labels = labels
			return cur, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, "ns/x", cm("x", nil)); err != nil { // not matching: no event
		t.Fatal(err)
	}
	set("x", map[string]string{"app": "web"})                    // starts matching: ADDED
	set("x", map[string]string{"app": "web", "v": "2"})          // still matching: MODIFIED
	set("x", map[string]string{"app": "db"})                     // stops matching: DELETED
	set("x", map[string]string{"app": "db", "v": "3"})           // not matching: nothing
	if _, err := s.Delete(ctx, "ns/pre", nil, nil); err != nil { // DELETED
		t.Fatal(err)
	}
	want := []string{"ADDED pre", "ADDED x", "MODIFIED x", "DELETED x app=web", "DELETED pre app=web"}
	var got []string
	for len(got) < len(want) {
		select {
		case ev := <-events:
			s := ev.Type + " " + ev.Object.GetObjectMeta().Name
			if ev.Type == api.Deleted {
				s += " app=" + ev.Object.GetObjectMeta().Labels["app"]
				if ev.Object.GetObjectMeta().ResourceVersion != fmt.Sprint(ev.ResourceVersion) {
					t.Errorf("deleted object carries rv %s, event rv %d", ev.Object.GetObjectMeta().ResourceVersion, ev.ResourceVersion)
				}
			}
			got = append(got, s)
		case <-ctx.Done():
			t.Fatalf("timed out; got %v", got)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestContinueTokens(t *testing.T) {
	tok := encodeContinue(42, "/registry/pods/ns/b", "/registry/pods/")
	start, rev, err := decodeContinue(tok, "/registry/pods/")
	if err != nil || start != "/registry/pods/ns/b" || rev != 42 {
		t.Fatalf("round trip: %q %d %v", start, rev, err)
	}
	for _, bad := range []string{"", "!!", "e30", encodeContinue(0, "x", ""), "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6Miwic3RhcnQiOiIuLi9zZWNyZXRzIn0"} {
		if _, _, err := decodeContinue(bad, "/registry/pods/"); !errors.Is(err, storage.ErrInvalidContinue) {
			t.Errorf("token %q: got %v, want ErrInvalidContinue", bad, err)
		}
	}
}

// TestListRawMatchesList: the raw list is the decoded list, re-encoded — for
// objects this store wrote (the fast path) and for any other JSON (the fallback).
func TestListRawMatchesList(t *testing.T) {
	e := startEtcd(t)
	s := NewStore(e.Client, "configmaps", func() api.Object { return &api.ConfigMap{} }, nil)
	ctx := context.Background()
	if err := s.Create(ctx, "ns/a", &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "a", Namespace: "ns", Labels: map[string]string{"x": "1"}}, Data: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "ns/b", &api.ConfigMap{}); err != nil { // empty metadata
		t.Fatal(err)
	}
	// Written by something else, with metadata last.
	if _, err := e.Client.Put(ctx, "/registry/configmaps/ns/c", `{"data":{"z":"1"},"metadata":{"name":"c","namespace":"ns"}}`); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, "ns/", storage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.ListRaw(ctx, "ns/", storage.ListOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Items) != 3 || raw.ResourceVersion != list.ResourceVersion {
		t.Fatalf("raw list: %d items at %d, list at %d", len(raw.Items), raw.ResourceVersion, list.ResourceVersion)
	}
	for i, item := range raw.Items {
		var got api.ConfigMap
		if err := json.Unmarshal(item, &got); err != nil {
			t.Fatalf("item %d is not JSON: %v\n%s", i, err, item)
		}
		if diff := cmp.Diff(list.Items[i], &got); diff != "" {
			t.Errorf("item %d (-list +raw):\n%s", i, diff)
		}
	}
	// Limits and continue tokens work the same way.
	page, err := s.ListRaw(ctx, "ns/", storage.ListOptions{Limit: 2}, func(data []byte) bool { return true })
	if err != nil || len(page.Items) != 2 || page.Continue == "" {
		t.Fatalf("first page: %d items, continue %q, err %v", len(page.Items), page.Continue, err)
	}
	rest, err := s.ListRaw(ctx, "ns/", storage.ListOptions{Limit: 2, Continue: page.Continue}, nil)
	if err != nil || len(rest.Items) != 1 || rest.Continue != "" {
		t.Fatalf("second page: %d items, continue %q, err %v", len(rest.Items), rest.Continue, err)
	}
}
