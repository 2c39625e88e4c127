package apiserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

const priorityClassesPath = "/apis/scheduling.k8s.io/v1/priorityclasses"

// createPodWithClass creates busybox pod name in default naming class ("" for
// none), and returns the response and, on success, the stored pod.
func createPodWithClass(t *testing.T, s *apiservertest.Server, name, class string, query map[string][]string) (response, *api.Pod) {
	t.Helper()
	body := busyboxPod(name)
	if class != "" {
		body["spec"].(obj)["priorityClassName"] = class
	}
	r := call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/default/pods", Body: body, Query: query})
	if r.code != 201 {
		return r, nil
	}
	var p api.Pod
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return r, &p
}

// podPriority is "class priority policy" of a pod, for compact comparison.
func podPriority(p *api.Pod) string {
	priority, policy := "<nil>", "<nil>"
	if p.Spec.Priority != nil {
		priority = fmt.Sprint(*p.Spec.Priority)
	}
	if p.Spec.PreemptionPolicy != nil {
		policy = *p.Spec.PreemptionPolicy
	}
	return p.Spec.PriorityClassName + " " + priority + " " + policy
}

// TestPriorityClasses: the built-in classes exist; pods get their class's
// priority, or the global default's; an unknown class and a second default are
// refused by the Priority plugin without changing the store; kubectl's
// protobuf create works; kubectl get shows the familiar columns.
func TestPriorityClasses(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()

	// The built-in classes exist from the start.
	for name, value := range map[string]int32{"system-cluster-critical": 2000000000, "system-node-critical": 2000001000} {
		pc, err := client.PriorityClasses(s.Client).Get(ctx, name)
		if err != nil {
			t.Fatalf("built-in class %s: %v", name, err)
		}
		if pc.Value != value || pc.GlobalDefault || pc.PreemptionPolicy == nil || *pc.PreemptionPolicy != api.PreemptLowerPriority {
			t.Errorf("%s: value %d globalDefault %t policy %v", name, pc.Value, pc.GlobalDefault, pc.PreemptionPolicy)
		}
	}

	// A class, and a pod of that class.
	adminDo(t, s, "POST", priorityClassesPath, obj{"metadata": obj{"name": "high"}, "value": 1000, "description": "serving"})
	if _, p := createPodWithClass(t, s, "web", "high", nil); p == nil || podPriority(p) != "high 1000 PreemptLowerPriority" {
		t.Fatalf("pod of class high: %+v", p)
	}
	if _, p := createPodWithClass(t, s, "critical", "system-node-critical", nil); p == nil || podPriority(p) != "system-node-critical 2000001000 PreemptLowerPriority" {
		t.Errorf("pod of class system-node-critical: %+v", p)
	}
	if _, p := createPodWithClass(t, s, "plain", "", nil); p == nil || podPriority(p) != " 0 PreemptLowerPriority" {
		t.Errorf("pod without a class and no default: %+v", p)
	}

	// Refusals name the plugin and change nothing.
	refusals := []struct {
		name, path string
		body       obj
		code       int
		message    string
	}{
		{"unknown class", "/api/v1/namespaces/default/pods",
			obj{"metadata": obj{"name": "lost"}, "spec": obj{"priorityClassName": "ghost", "containers": []obj{{"name": "c", "image": "busybox"}}}},
			403, `pods "lost" is forbidden: [Priority] no PriorityClass with name ghost was found`},
		{"priority that disagrees with the class", "/api/v1/namespaces/default/pods",
			obj{"metadata": obj{"name": "greedy"}, "spec": obj{"priorityClassName": "high", "priority": 5000, "containers": []obj{{"name": "c", "image": "busybox"}}}},
			403, `pods "greedy" is forbidden: [Priority] the integer value of priority (5000) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name`},
		{"user class above the maximum", priorityClassesPath, obj{"metadata": obj{"name": "huge"}, "value": 1000000001},
			422, `PriorityClass "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000`},
		{"a system- name of one's own", priorityClassesPath, obj{"metadata": obj{"name": "system-mine"}, "value": 2000000000},
			422, `PriorityClass "system-mine" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class`},
	}
	for _, tc := range refusals {
		before := revision(t, s)
		r := call(t, s.Client, client.Request{Method: "POST", Path: tc.path, Body: tc.body})
		if r.code != tc.code || r.status.Message != tc.message {
			t.Errorf("%s: %d %q, want %d %q", tc.name, r.code, r.status.Message, tc.code, tc.message)
		}
		if after := revision(t, s); after != before {
			t.Errorf("%s: the store changed (revision %d -> %d)", tc.name, before, after)
		}
	}

	// kubectl create priorityclass sends protobuf: the golden body client-go
	// encoded makes "batch" the global default, with preemptionPolicy Never.
	pb, err := os.ReadFile("protobuf/testdata/priorityclass.pb")
	if err != nil {
		t.Fatal(err)
	}
	r := call(t, s.Client, client.Request{Method: "POST", Path: priorityClassesPath, Body: pb, ContentType: "application/vnd.kubernetes.protobuf"})
	if r.code != 201 {
		t.Fatalf("protobuf create: %d %s", r.code, r.body)
	}
	batch, err := client.PriorityClasses(s.Client).Get(ctx, "batch")
	if err != nil {
		t.Fatal(err)
	}
	if batch.Value != 100 || !batch.GlobalDefault || batch.Description != "batch jobs that may wait" ||
		batch.PreemptionPolicy == nil || *batch.PreemptionPolicy != api.PreemptNever || batch.Labels["tier"] != "batch" {
		t.Errorf("class from protobuf: %+v", batch)
	}

	// Pods without a class now get the default (once the cache has it).
	waitFor(t, "the default class in the cache", func() bool {
		_, p := createPodWithClass(t, s, "probe", "", map[string][]string{"dryRun": {"All"}})
		return p != nil && p.Spec.PriorityClassName == "batch"
	})
	if _, p := createPodWithClass(t, s, "worker", "", nil); p == nil || podPriority(p) != "batch 100 Never" {
		t.Errorf("pod without a class: %+v", p)
	}
	if _, p := createPodWithClass(t, s, "web-2", "high", nil); p == nil || podPriority(p) != "high 1000 PreemptLowerPriority" {
		t.Errorf("pod of class high with a default present: %+v", p)
	}

	// Only one default; value and preemptionPolicy never change; built-in
	// classes stay.
	more := []struct {
		name, method, path string
		body               any
		code               int
		message            string
	}{
		{"a second default", "POST", priorityClassesPath, obj{"metadata": obj{"name": "another"}, "value": 7, "globalDefault": true},
			403, `priorityclasses.scheduling.k8s.io "another" is forbidden: [Priority] PriorityClass batch is already marked as default. Only one default can exist`},
		{"making high the default too", "PATCH", priorityClassesPath + "/high", obj{"globalDefault": true},
			403, `priorityclasses.scheduling.k8s.io "high" is forbidden: [Priority] PriorityClass batch is already marked as default. Only one default can exist`},
		{"changing a value", "PATCH", priorityClassesPath + "/high", obj{"value": 2000},
			422, `PriorityClass "high" is invalid: value: Forbidden: may not be changed in an update.`},
		{"deleting a built-in class", "DELETE", priorityClassesPath + "/system-cluster-critical", nil,
			403, `priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: [Priority] this is a system priority class and cannot be deleted`},
	}
	for _, tc := range more {
		before := revision(t, s)
		req := client.Request{Method: tc.method, Path: tc.path, Body: tc.body}
		if tc.method == "PATCH" {
			req.ContentType = "application/merge-patch+json"
		}
		r := call(t, s.Client, req)
		if r.code != tc.code || r.status.Message != tc.message {
			t.Errorf("%s: %d %q, want %d %q", tc.name, r.code, r.status.Message, tc.code, tc.message)
		}
		if after := revision(t, s); after != before {
			t.Errorf("%s: the store changed (revision %d -> %d)", tc.name, before, after)
		}
	}

	// The default can be handed over: first unset, then set on another class.
	for _, step := range []struct{ name, body string }{{"batch", `{"globalDefault":false}`}, {"high", `{"globalDefault":true}`}} {
		r := call(t, s.Client, client.Request{Method: "PATCH", Path: priorityClassesPath + "/" + step.name,
			Body: []byte(step.body), ContentType: "application/merge-patch+json"})
		if r.code != 200 {
			t.Fatalf("patch %s %s: %d %s", step.name, step.body, r.code, r.body)
		}
	}

	// kubectl get priorityclasses.
	tr := call(t, s.Client, client.Request{Method: "GET", Path: priorityClassesPath,
		Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
	var table api.Table
	if err := json.Unmarshal(tr.body, &table); err != nil || table.Kind != "Table" {
		t.Fatalf("not a table: %s", tr.body)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name)
	}
	if diff := cmp.Diff([]string{"Name", "Value", "Global-Default", "Age", "PreemptionPolicy"}, columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	var rows []string
	for _, row := range table.Rows {
		rows = append(rows, fmt.Sprint(row.Cells[0], " ", row.Cells[1], " ", row.Cells[2], " ", row.Cells[4]))
	}
	want := []string{"batch 100 false Never", "high 1000 true PreemptLowerPriority",
		"system-cluster-critical 2e+09 false PreemptLowerPriority", "system-node-critical 2.000001e+09 false PreemptLowerPriority"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
