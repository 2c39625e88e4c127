package nodename

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

// statusOpt compares statuses by code and reasons.
var statusOpt = cmp.Transformer("Status", func(s *framework.Status) struct {
	Code    framework.Code
	Reasons []string
} {
	return struct {
		Code    framework.Code
		Reasons []string
	}{s.Code(), s.Reasons()}
})

func TestFilter(t *testing.T) {
	tests := []struct {
		name string
		pod  *api.Pod
		node *api.Node
		want *framework.Status
	}{
		{
			name: "no node name",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Name("n1").Obj(),
		},
		{
			name: "same node name",
			pod:  st.MakePod().Node("n1").Obj(),
			node: st.MakeNode().Name("n1").Obj(),
		},
		{
			name: "another node name",
			pod:  st.MakePod().Node("n2").Obj(),
			node: st.MakeNode().Name("n1").Obj(),
			want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't match the requested node name"),
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	filter := pl.(framework.FilterPlugin)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := filter.Filter(context.Background(), framework.NewCycleState(nil), tt.pod, framework.NewNodeInfo(tt.node))
			if diff := cmp.Diff(tt.want, got, statusOpt); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}
