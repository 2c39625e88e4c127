package apiserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// TestPodLifecycleSubresources: binding sets the node once, status writes keep
// the spec, and deleting a pod on a node only marks it until the node agent
// deletes it with grace 0.
func TestPodLifecycleSubresources(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	pods := client.Pods(s.Client, "default")
	mustCreatePod(t, s.Client, makePod("default", "p", nil))

	bind := func(node string) error {
		return client.Bind(ctx, s.Client, &api.Binding{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default"},
			Target: api.ObjectReference{Kind: "Node", Name: node}})
	}
	if err := bind("node-a"); err != nil {
		t.Fatal(err)
	}
	if err := bind("node-b"); !api.IsConflict(err) {
		t.Fatalf("second binding: got %v, want 409 Conflict", err)
	}
	p, err := pods.Get(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != "node-a" || len(p.Status.Conditions) != 1 || p.Status.Conditions[0].Type != api.PodScheduled {
		t.Fatalf("after binding: node %q, conditions %+v", p.Spec.NodeName, p.Status.Conditions)
	}

	// A status write changes the status only.
	p.Status.Phase = api.PodRunning
	p.Status.PodIP = "10.244.0.5"
	p.Spec.ActiveDeadlineSeconds = new(int64)
	*p.Spec.ActiveDeadlineSeconds = 99
	p, err = pods.UpdateStatus(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != api.PodRunning || p.Status.PodIP != "10.244.0.5" || p.Spec.ActiveDeadlineSeconds != nil {
		t.Fatalf("status update: phase %q ip %q deadline %v", p.Status.Phase, p.Status.PodIP, p.Spec.ActiveDeadlineSeconds)
	}
	// A write to the object keeps the status.
	p.Status.Phase = api.PodFailed
	p.Labels = map[string]string{"x": "y"}
	p, err = pods.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != api.PodRunning || p.Labels["x"] != "y" {
		t.Fatalf("main update: phase %q labels %v", p.Status.Phase, p.Labels)
	}

	// Graceful deletion of a pod on a node.
	if err := pods.Delete(ctx, "p", nil); err != nil {
		t.Fatal(err)
	}
	p, err = pods.Get(ctx, "p")
	if err != nil {
		t.Fatalf("a running pod disappeared on graceful delete: %v", err)
	}
	if p.DeletionTimestamp == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("deletionTimestamp %v grace %v, want set and 30", p.DeletionTimestamp, p.DeletionGracePeriodSeconds)
	}
	if until := time.Until(p.DeletionTimestamp.Time); until < 25*time.Second || until > 31*time.Second {
		t.Errorf("deletionTimestamp is %v from now, want about 30s", until)
	}
	zero := int64(0)
	if err := pods.Delete(ctx, "p", &api.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "p"); !api.IsNotFound(err) {
		t.Fatalf("after delete with grace 0: %v, want NotFound", err)
	}

	// An unscheduled pod goes at once.
	mustCreatePod(t, s.Client, makePod("default", "q", nil))
	if err := pods.Delete(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "q"); !api.IsNotFound(err) {
		t.Fatalf("unscheduled pod after delete: %v, want NotFound", err)
	}
}

// TestScaleAndGeneration: the scale subresource reads and writes spec.replicas,
// and spec changes bump metadata.generation.
func TestScaleAndGeneration(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	deploys := client.Deployments(s.Client, "default")
	d, err := deploys.Create(ctx, makeDeployment("web", 3))
	if err != nil {
		t.Fatal(err)
	}
	if d.Generation != 1 || d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType || *d.Spec.RevisionHistoryLimit != 10 {
		t.Fatalf("defaults: generation %d strategy %q history %v", d.Generation, d.Spec.Strategy.Type, d.Spec.RevisionHistoryLimit)
	}
	var scale api.Scale
	if err := deploys.GetSubresource(ctx, "web", "scale", &scale); err != nil {
		t.Fatal(err)
	}
	if scale.Spec.Replicas != 3 || scale.Status.Selector != "app=web" || scale.APIVersion != "autoscaling/v1" {
		t.Fatalf("scale: %+v", scale)
	}
	scale.Spec.Replicas = 5
	var out api.Scale
	if err := s.Client.Do(ctx, client.Request{Method: "PUT", Path: client.DeploymentsGVR.Path("default", "web", "scale"), Body: &scale, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if out.Spec.Replicas != 5 {
		t.Fatalf("scale answer: %+v", out)
	}
	// The same (now stale) scale again is a conflict.
	if err := s.Client.Do(ctx, client.Request{Method: "PUT", Path: client.DeploymentsGVR.Path("default", "web", "scale"), Body: &scale}); !api.IsConflict(err) {
		t.Fatalf("stale scale: got %v, want 409", err)
	}
	d, err = deploys.Get(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 5 || d.Generation != 2 {
		t.Fatalf("after scale: replicas %d generation %d, want 5 and 2", *d.Spec.Replicas, d.Generation)
	}
	// Metadata-only changes keep the generation.
	d.Labels = map[string]string{"team": "a"}
	if d, err = deploys.Update(ctx, d); err != nil || d.Generation != 2 {
		t.Fatalf("label change: generation %d, err %v", d.Generation, err)
	}
	// The selector is immutable.
	d.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	d.Spec.Template.Labels = map[string]string{"app": "other"}
	if _, err := deploys.Update(ctx, d); !api.IsInvalid(err) || !strings.Contains(err.Error(), "spec.selector") {
		t.Fatalf("selector change: got %v, want 422 on spec.selector", err)
	}
}

func makeDeployment(name string, replicas int32) *api.Deployment {
	return &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
			},
		},
	}
}

// TestPatchTypes: merge, JSON and strategic merge patches, the last as
// `kubectl apply` sends it.
func TestPatchTypes(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	deploys := client.Deployments(s.Client, "default")
	d := makeDeployment("web", 1)
	d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, api.Container{Name: "sidecar", Image: "busybox:1.35"})
	if _, err := deploys.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	// Strategic merge: change one container's image by name, keep the other.
	smp := `{"spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"sidecar"}],"containers":[{"image":"busybox:1.37","name":"c"}]}}}}`
	got, err := deploys.Patch(ctx, "web", client.StrategicMergePatch, []byte(smp), "")
	if err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, c := range got.Spec.Template.Spec.Containers {
		images = append(images, c.Name+"="+c.Image)
	}
	if diff := cmp.Diff([]string{"c=busybox:1.37", "sidecar=busybox:1.35"}, images); diff != "" || *got.Spec.Replicas != 2 {
		t.Fatalf("strategic merge (-want +got):\n%s replicas %d", diff, *got.Spec.Replicas)
	}
	// Merge patch: lists are replaced, null deletes.
	got, err = deploys.Patch(ctx, "web", client.MergePatch, []byte(`{"metadata":{"labels":{"a":"1","b":"2"}}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err = deploys.Patch(ctx, "web", client.MergePatch, []byte(`{"metadata":{"labels":{"a":null}}}`), "")
	if err != nil || !cmp.Equal(got.Labels, map[string]string{"b": "2"}) {
		t.Fatalf("merge patch labels %v, err %v", got.Labels, err)
	}
	// JSON patch with a test that holds, then one that does not.
	got, err = deploys.Patch(ctx, "web", client.JSONPatch, []byte(`[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":4}]`), "")
	if err != nil || *got.Spec.Replicas != 4 {
		t.Fatalf("json patch: %v", err)
	}
	if _, err := deploys.Patch(ctx, "web", client.JSONPatch, []byte(`[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":9}]`), ""); api.CodeOf(err) != 422 {
		t.Fatalf("failing json patch test: got %v, want 422", err)
	}
	// Patching status through the subresource.
	got, err = deploys.Patch(ctx, "web", client.MergePatch, []byte(`{"status":{"replicas":4,"readyReplicas":3}}`), "status")
	if err != nil || got.Status.ReadyReplicas != 3 {
		t.Fatalf("status patch: %+v %v", got.Status, err)
	}
	// A patch with a stale resourceVersion is a conflict.
	if _, err := deploys.Patch(ctx, "web", client.MergePatch, []byte(`{"metadata":{"resourceVersion":"2"},"spec":{"replicas":1}}`), ""); !api.IsConflict(err) {
		t.Fatalf("stale patch: got %v, want 409", err)
	}
}

// TestDryRun: a dry run answers as if it happened and stores nothing.
func TestDryRun(t *testing.T) {
	s := apiservertest.Start(t)
	mustCreatePod(t, s.Client, makePod("default", "keep", nil))
	before := revision(t, s)
	dry := map[string][]string{"dryRun": {"All"}}
	for _, req := range []client.Request{
		{Method: "POST", Path: "/api/v1/namespaces/default/pods", Query: dry, Body: makePod("default", "new", nil)},
		{Method: "PATCH", Path: "/api/v1/namespaces/default/pods/keep", Query: dry, ContentType: client.MergePatch, Body: []byte(`{"metadata":{"labels":{"a":"b"}}}`)},
		{Method: "DELETE", Path: "/api/v1/namespaces/default/pods/keep", Query: dry},
	} {
		got := call(t, s.Client, req)
		if got.code/100 != 2 {
			t.Fatalf("%s: %d %s", req.Method, got.code, got.body)
		}
	}
	if after := revision(t, s); after != before {
		t.Fatalf("dry run wrote: revision %d → %d", before, after)
	}
}

// TestWatchListAndBookmarks: sendInitialEvents=true sends the current objects,
// then a bookmark marked as the end of the initial events, then changes.
func TestWatchListAndBookmarks(t *testing.T) {
	s := apiservertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mustCreatePod(t, s.Client, makePod("default", "a", nil))
	mustCreatePod(t, s.Client, makePod("default", "b", nil))
	q := map[string][]string{"watch": {"1"}, "sendInitialEvents": {"true"}, "allowWatchBookmarks": {"true"}, "resourceVersionMatch": {"NotOlderThan"}}
	body, err := s.Client.Stream(ctx, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/pods", Query: q})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	var got []string
	for len(got) < 4 {
		var ev struct {
			Type   string
			Object api.Pod
		}
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case api.Bookmark:
			got = append(got, "BOOKMARK end="+ev.Object.Annotations[api.InitialEventsEndAnnotation])
			if ev.Object.ResourceVersion == "" {
				t.Error("bookmark without resourceVersion")
			}
			mustCreatePod(t, s.Client, makePod("default", "c", nil))
		default:
			got = append(got, ev.Type+" "+ev.Object.Name)
		}
	}
	want := []string{"ADDED a", "ADDED b", "BOOKMARK end=true", "ADDED c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}

// TestTables: kubectl's table format has the familiar columns and rows.
func TestTables(t *testing.T) {
	s := apiservertest.Start(t)
	mustCreatePod(t, s.Client, makePod("default", "web", map[string]string{"app": "web"}))
	accept := "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
	tests := []struct {
		path    string
		columns []string
		row0    []any
	}{
		{"/api/v1/namespaces/default/pods", []string{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"},
			[]any{"web", "0/1", "Pending", "0"}},
		{"/api/v1/namespaces", []string{"Name", "Status", "Age"}, []any{"default", "Active"}},
		{"/api/v1/namespaces/default/pods/web", nil, []any{"web", "0/1", "Pending", "0"}},
	}
	for _, tt := range tests {
		got := call(t, s.Client, client.Request{Method: "GET", Path: tt.path, Accept: accept})
		var table api.Table
		if err := json.Unmarshal(got.body, &table); err != nil || table.Kind != "Table" {
			t.Fatalf("%s: not a table: %s", tt.path, got.body)
		}
		if tt.columns != nil {
			var names []string
			for _, c := range table.ColumnDefinitions {
				names = append(names, c.Name)
			}
			if diff := cmp.Diff(tt.columns, names); diff != "" {
				t.Errorf("%s columns (-want +got):\n%s", tt.path, diff)
			}
		}
		if len(table.Rows) == 0 || !cmp.Equal(tt.row0, table.Rows[0].Cells[:len(tt.row0)]) {
			t.Errorf("%s first row %v, want prefix %v", tt.path, table.Rows, tt.row0)
		}
		if obj, ok := table.Rows[0].Object.(map[string]any); !ok || obj["kind"] != "PartialObjectMetadata" {
			t.Errorf("%s: row object %v, want PartialObjectMetadata", tt.path, table.Rows[0].Object)
		}
	}
}

// TestDiscoveryAndHealth: discovery lists resources with verbs and short names;
// health and version answer without credentials, everything else needs them.
func TestDiscoveryAndHealth(t *testing.T) {
	s := apiservertest.Start(t)
	var core api.APIResourceList
	if err := s.Client.Do(context.Background(), client.Request{Method: "GET", Path: "/api/v1", Out: &core}); err != nil {
		t.Fatal(err)
	}
	found := map[string]api.APIResource{}
	for _, r := range core.APIResources {
		found[r.Name] = r
	}
	if pods := found["pods"]; pods.Kind != "Pod" || !pods.Namespaced || !cmp.Equal(pods.ShortNames, []string{"po"}) || len(pods.Verbs) != 8 {
		t.Errorf("pods discovery: %+v", pods)
	}
	for _, sub := range []string{"pods/status", "pods/binding", "nodes/status"} {
		if _, ok := found[sub]; !ok {
			t.Errorf("discovery lacks %s", sub)
		}
	}
	var groups api.APIGroupList
	if err := s.Client.Do(context.Background(), client.Request{Method: "GET", Path: "/apis", Out: &groups}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups.Groups {
		names = append(names, g.Name)
	}
	if diff := cmp.Diff([]string{"apps", "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io", "coordination.k8s.io", "rbac.authorization.k8s.io", "scheduling.k8s.io"}, names); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}

	cfg, _ := client.LoadKubeconfig(s.Kubeconfig)
	anon, _ := client.New(&client.Config{Server: cfg.Server, CAData: cfg.CAData})
	for path, want := range map[string]int{"/healthz": 200, "/livez": 200, "/readyz": 200, "/version": 200, "/api": 401, "/metrics": 401, "/apis/apps/v1": 401} {
		if got := call(t, anon, client.Request{Method: "GET", Path: path}); got.code != want {
			t.Errorf("anonymous GET %s: %d, want %d", path, got.code, want)
		}
	}
	metrics, err := s.Client.Raw(context.Background(), client.Request{Method: "GET", Path: "/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"apiserver_request_total", "apiserver_request_duration_seconds", "apiserver_registered_watchers", "etcd_request_duration_seconds"} {
		if !strings.Contains(string(metrics), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if got := call(t, s.Client, client.Request{Method: "POST", Path: "/version"}); got.code != http.StatusMethodNotAllowed {
		t.Errorf("POST /version: %d, want 405", got.code)
	}
}
