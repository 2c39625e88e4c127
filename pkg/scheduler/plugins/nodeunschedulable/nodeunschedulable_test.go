package nodeunschedulable

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
	rejected := framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) were unschedulable")
	tests := []struct {
		name string
		pod  *api.Pod
		node *api.Node
		want *framework.Status
	}{
		{
			name: "schedulable node",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Obj(),
		},
		{
			name: "unschedulable node",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Unschedulable(true).Obj(),
			want: rejected,
		},
		{
			name: "tolerates the unschedulable taint",
			pod:  st.MakePod().Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule").Obj(),
			node: st.MakeNode().Unschedulable(true).Obj(),
		},
		{
			name: "tolerates every taint",
			pod:  st.MakePod().Toleration("", "Exists", "", "").Obj(),
			node: st.MakeNode().Unschedulable(true).Obj(),
		},
		{
			name: "tolerates the key for another effect",
			pod:  st.MakePod().Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoExecute").Obj(),
			node: st.MakeNode().Unschedulable(true).Obj(),
			want: rejected,
		},
		{
			name: "tolerates another taint",
			pod:  st.MakePod().Toleration("dedicated", "Exists", "", "NoSchedule").Obj(),
			node: st.MakeNode().Unschedulable(true).Obj(),
			want: rejected,
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
