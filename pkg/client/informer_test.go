package client_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/storage/etcd"
)

// recorder collects an informer's notifications.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }

func (r *recorder) waitFor(t *testing.T, want []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		got := append([]string(nil), r.events...)
		r.mu.Unlock()
		if len(got) >= len(want) || time.Now().After(deadline) {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *recorder) handler() client.Handler[*api.ConfigMap] {
	return client.Handler[*api.ConfigMap]{
		OnAdd:    func(c *api.ConfigMap) { r.add("add " + c.Name) },
		OnUpdate: func(_, c *api.ConfigMap) { r.add(fmt.Sprintf("update %s v=%s", c.Name, c.Data["v"])) },
		OnDelete: func(c *api.ConfigMap) { r.add("delete " + c.Name) },
	}
}

func TestInformer(t *testing.T) {
	s := apiservertest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cms := client.ConfigMaps(s.Client, "default")
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "before", Labels: map[string]string{"team": "a"}}}); err != nil {
		t.Fatal(err)
	}
	// Only this test's configmaps: the namespace also holds kube-root-ca.crt.
	inf := client.NewInformer(cms, client.ListOptions{LabelSelector: "team"}, nil)
	inf.AddIndex("team", func(c *api.ConfigMap) []string { return []string{c.Labels["team"]} })
	rec := &recorder{}
	inf.AddHandler(rec.handler())
	go inf.Run(ctx)
	if !inf.WaitForSync(ctx) {
		t.Fatal("no sync")
	}
	c, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "web", Labels: map[string]string{"team": "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.Data = map[string]string{"v": "2"}
	c.Labels["team"] = "b"
	if _, err := cms.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "before", nil); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, []string{"add before", "add web", "update web v=2", "delete before"})

	if got, ok := inf.Get("default/web"); !ok || got.Data["v"] != "2" {
		t.Errorf("cache Get: %v %v", got, ok)
	}
	if got := inf.ByIndex("team", "b"); len(got) != 1 || got[0].Name != "web" {
		t.Errorf("index team=b: %v", got)
	}
	if got := inf.ByIndex("team", "a"); len(got) != 0 {
		t.Errorf("index team=a still has %d items", len(got))
	}
}

// TestInformerRelistsAfterCompaction: when its resourceVersion is compacted away
// while it is not watching, the informer lists again and reports what it missed.
func TestInformerRelistsAfterCompaction(t *testing.T) {
	s := apiservertest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cms := client.ConfigMaps(s.Client, "default")
	inf := client.NewInformer(cms, client.ListOptions{LabelSelector: "app=web"}, nil)
	rec := &recorder{}
	inf.AddHandler(rec.handler())
	// A watch that ends every second forces the informer to resume from its last
	// resourceVersion, which this test compacts away in between.
	go inf.Run(ctx)
	inf.WaitForSync(ctx)
	for i := range 3 {
		if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: fmt.Sprint("c", i), Labels: map[string]string{"app": "web"}}}); err != nil {
			t.Fatal(err)
		}
	}
	rec.waitFor(t, []string{"add c0", "add c1", "add c2"})
	resp, err := s.EtcdClient().Get(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := etcd.Compact(ctx, s.EtcdClient(), resp.Header.Revision); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "c1", nil); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, []string{"add c0", "add c1", "add c2", "delete c1"})
	if names := strings.Join(keys(inf.List()), ","); names != "c0,c2" {
		t.Errorf("cache holds %s", names)
	}
}

func keys(cms []*api.ConfigMap) []string {
	var out []string
	for _, c := range cms {
		out = append(out, c.Name)
	}
	return out
}
