package apiserver_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// TestPeriodicCompaction: with a short interval, history older than one interval
// is compacted, so an old resourceVersion eventually gets 410.
func TestPeriodicCompaction(t *testing.T) {
	s := apiservertest.Start(t, func(o *apiserver.Options) { o.CompactionInterval = 200 * time.Millisecond })
	ctx := context.Background()
	cms := client.ConfigMaps(s.Client, "default")
	old, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		// Keep writing so there is history to compact.
		if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "b" + strconv.Itoa(i)}}); err != nil {
			t.Fatal(err)
		}
		_, err := cms.List(ctx, client.ListOptions{ResourceVersion: old.ResourceVersion, ResourceVersionMatch: "Exact"})
		if api.IsGone(err) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("revision of the first write was never compacted")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBookmarks: an idle watch that allows bookmarks receives them, carrying a
// resourceVersion at least as new as the last write.
func TestBookmarks(t *testing.T) {
	s := apiservertest.Start(t, func(o *apiserver.Options) { o.WatchProgressInterval = 100 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cms := client.ConfigMaps(s.Client, "default")
	list, err := cms.List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.Client.Stream(ctx, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/configmaps",
		Query: map[string][]string{"watch": {"1"}, "allowWatchBookmarks": {"true"}, "resourceVersion": {list.ResourceVersion}}})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	// A write elsewhere moves the revision on; the bookmark must reach it.
	other, err := client.Pods(s.Client, "default").Create(ctx, makePod("default", "elsewhere", nil))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := strconv.ParseInt(other.ResourceVersion, 10, 64)
	dec := json.NewDecoder(body)
	for {
		var ev struct {
			Type   string
			Object api.ConfigMap
		}
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type != api.Bookmark {
			t.Fatalf("unexpected %s event", ev.Type)
		}
		if ev.Object.Kind != "ConfigMap" {
			t.Errorf("bookmark object kind %q", ev.Object.Kind)
		}
		if rv, _ := strconv.ParseInt(ev.Object.ResourceVersion, 10, 64); rv >= want {
			return
		}
	}
}

// TestDeleteCollection deletes what the selector picks and nothing else.
func TestDeleteCollection(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	for i, app := range []string{"web", "web", "db"} {
		mustCreatePod(t, s.Client, makePod("default", "p"+strconv.Itoa(i), map[string]string{"app": app}))
	}
	mustCreatePod(t, s.Client, makePod("kube-system", "other", map[string]string{"app": "web"}))
	pods := client.Pods(s.Client, "default")
	if err := pods.DeleteCollection(ctx, client.ListOptions{LabelSelector: "app=web"}); err != nil {
		t.Fatal(err)
	}
	left, err := client.Pods(s.Client, "").List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range left.Items {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	if len(names) != 2 || names[0] != "default/p2" || names[1] != "kube-system/other" {
		t.Fatalf("left: %v", names)
	}
}
