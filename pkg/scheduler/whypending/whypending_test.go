package whypending

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/scheduler/framework"
)

func TestFromDiagnosisGroupsAndCaps(t *testing.T) {
	statuses := framework.NodeToStatus{}
	for i := range 120 {
		statuses[fmt.Sprintf("n%03d", i)] = framework.NewStatus(framework.Unschedulable, "Insufficient cpu").WithPlugin("NodeResourcesFit")
	}
	statuses["gpu"] = framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {dedicated: gpu}").WithPlugin("TaintToleration")
	b := FromDiagnosis(framework.Diagnosis{NumNodes: 121, NodeToStatus: statuses}, time.Unix(100, 0))
	if len(b.Rejections) != 2 {
		t.Fatalf("rejections: %+v", b.Rejections)
	}
	big := b.Rejections[0]
	if big.Plugin != "NodeResourcesFit" || len(big.Nodes) != MaxNodesPerGroup || big.More != 70 || big.Nodes[0] != "n000" {
		t.Errorf("largest group: plugin %s, %d nodes listed, %d more, first %s", big.Plugin, len(big.Nodes), big.More, big.Nodes[0])
	}
	if diff := cmp.Diff(Rejection{Plugin: "TaintToleration", Reason: "node(s) had untolerated taint {dedicated: gpu}", Nodes: []string{"gpu"}}, b.Rejections[1]); diff != "" {
		t.Errorf("taint group (-want +got):\n%s", diff)
	}
	if b.Summary != "0/121 nodes are available: 120 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}." {
		t.Errorf("summary %q", b.Summary)
	}
	back, err := Decode(b.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := Decode("not json"); err == nil {
		t.Error("Decode accepted garbage")
	}
}
