package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
	"skiff/pkg/scheduler/whypending"
)

func TestExplain(t *testing.T) {
	diag := framework.Diagnosis{NumNodes: 3, NodeToStatus: framework.NodeToStatus{
		"gpu-1": framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {dedicated: gpu}").WithPlugin("TaintToleration"),
		"small": framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory").WithPlugin("NodeResourcesFit"),
		"tiny":  framework.NewStatus(framework.Unschedulable, "Insufficient cpu").WithPlugin("NodeResourcesFit"),
	}}
	pod := st.MakePod().Name("web").Obj()
	pod.Annotations = map[string]string{whypending.Annotation: whypending.FromDiagnosis(diag, time.Unix(0, 0)).Encode()}
	var out bytes.Buffer
	if err := explain(pod, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"pod default/web is Pending: 0/3 nodes are available: 2 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}.",
		"gpu-1 TaintToleration node(s) had untolerated taint {dedicated: gpu}\nsmall NodeResourcesFit Insufficient cpu, Insufficient memory\ntiny NodeResourcesFit Insufficient cpu",
	} {
		if !strings.Contains(squeeze(out.String()), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	bound := st.MakePod().Name("web").Node("n1").Obj()
	explain(bound, &out)
	if !strings.Contains(out.String(), "bound to node n1") {
		t.Errorf("bound pod: %s", out.String())
	}
	out.Reset()
	explain(&api.Pod{ObjectMeta: api.ObjectMeta{Name: "x", Namespace: "default"}}, &out)
	if !strings.Contains(out.String(), "no verdict from the scheduler yet") {
		t.Errorf("pod without a verdict: %s", out.String())
	}
}

// squeeze collapses runs of spaces, so column widths do not matter.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
