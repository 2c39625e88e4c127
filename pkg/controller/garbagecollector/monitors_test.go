package garbagecollector

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/client"
	"skiff/pkg/controller/garbagecollector/metadata"
)

// TestMonitorsFollowDiscovery: each discovery starts informers for the
// resources that appeared; only a complete one stops those that went.
func TestMonitorsFollowDiscovery(t *testing.T) {
	// The informers run against a server that is not there: this test is about
	// which ones run, not what they see.
	c, err := client.New(&client.Config{Server: "https://127.0.0.1:1", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	m := &monitors{c: c, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		handler: func(metadata.Resource) client.Handler[*metadata.Object] { return client.Handler[*metadata.Object]{} }}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); m.wait() }()

	all := []string{"get", "list", "watch", "create", "delete"}
	pods := metadata.Resource{GVR: client.GVR{Version: "v1", Resource: "pods", Namespaced: true}, Kind: "Pod", Verbs: all}
	rs := metadata.Resource{GVR: client.GVR{Group: "apps", Version: "v1", Resource: "replicasets", Namespaced: true}, Kind: "ReplicaSet", Verbs: all}
	events := metadata.Resource{GVR: client.GVR{Version: "v1", Resource: "events", Namespaced: true}, Kind: "Event", Verbs: all}
	review := metadata.Resource{GVR: client.GVR{Group: "authorization.k8s.io", Version: "v1", Resource: "subjectaccessreviews"}, Kind: "SubjectAccessReview", Verbs: []string{"create"}}

	type step struct {
		discovered        []metadata.Resource
		complete          bool
		started, stopped  []string
		resolves, unknown []string // kinds
	}
	for i, st := range []step{
		{discovered: []metadata.Resource{pods, events, review}, complete: true, started: []string{"pods"},
			resolves: []string{"Pod", "Event"}, unknown: []string{"ReplicaSet", "SubjectAccessReview"}},
		{discovered: []metadata.Resource{pods, rs}, complete: true, started: []string{"replicasets.apps"},
			resolves: []string{"Pod", "ReplicaSet"}, unknown: []string{"Event"}},
		{discovered: []metadata.Resource{pods}, complete: false, resolves: []string{"Pod", "ReplicaSet"}},
		{discovered: []metadata.Resource{pods}, complete: true, stopped: []string{"replicasets.apps"}, unknown: []string{"ReplicaSet"}},
	} {
		started, stopped := m.update(ctx, st.discovered, st.complete)
		if diff := cmp.Diff(st.started, started); diff != "" {
			t.Errorf("step %d: started (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff(st.stopped, stopped); diff != "" {
			t.Errorf("step %d: stopped (-want +got):\n%s", i, diff)
		}
		groups := map[string]string{"Pod": "v1", "Event": "v1", "ReplicaSet": "apps/v1", "SubjectAccessReview": "authorization.k8s.io/v1"}
		for _, k := range st.resolves {
			if _, ok := m.resolve(groups[k], k); !ok {
				t.Errorf("step %d: %s does not resolve", i, k)
			}
		}
		for _, k := range st.unknown {
			if _, ok := m.resolve(groups[k], k); ok {
				t.Errorf("step %d: %s resolves", i, k)
			}
		}
		if m.synced() {
			t.Errorf("step %d: synced with informers that never listed", i)
		}
	}
	// Any version of a group resolves to the served one.
	if r, ok := m.resolve("v1beta1", "Pod"); !ok || r.Resource != "pods" {
		t.Errorf("resolve(v1beta1, Pod) = %v, %v", r, ok)
	}
}
