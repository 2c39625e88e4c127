package tainttoleration

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

func TestTolerates(t *testing.T) {
	taint := api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoSchedule}
	tests := []struct {
		name        string
		tolerations []api.Toleration
		taint       api.Taint
		want        bool
	}{
		{name: "no tolerations", taint: taint, want: false},
		{
			name:        "equal key, value and effect",
			tolerations: []api.Toleration{{Key: "dedicated", Operator: "Equal", Value: "gpu", Effect: "NoSchedule"}},
			taint:       taint,
			want:        true,
		},
		{
			name:        "empty operator means Equal",
			tolerations: []api.Toleration{{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"}},
			taint:       taint,
			want:        true,
		},
		{
			name:        "equal with another value",
			tolerations: []api.Toleration{{Key: "dedicated", Operator: "Equal", Value: "cpu", Effect: "NoSchedule"}},
			taint:       taint,
			want:        false,
		},
		{
			name:        "exists ignores the value",
			tolerations: []api.Toleration{{Key: "dedicated", Operator: "Exists", Effect: "NoSchedule"}},
			taint:       taint,
			want:        true,
		},
		{
			name:        "exists with another key",
			tolerations: []api.Toleration{{Key: "other", Operator: "Exists"}},
			taint:       taint,
			want:        false,
		},
		{
			name:        "empty key with exists matches every taint",
			tolerations: []api.Toleration{{Operator: "Exists"}},
			taint:       taint,
			want:        true,
		},
		{
			name:        "empty effect matches every effect",
			tolerations: []api.Toleration{{Key: "dedicated", Operator: "Equal", Value: "gpu"}},
			taint:       api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoExecute},
			want:        true,
		},
		{
			name:        "another effect",
			tolerations: []api.Toleration{{Key: "dedicated", Operator: "Exists", Effect: "NoExecute"}},
			taint:       taint,
			want:        false,
		},
		{
			name:        "unknown operator",
			tolerations: []api.Toleration{{Key: "dedicated", Operator: "Gt", Value: "gpu"}},
			taint:       taint,
			want:        false,
		},
		{
			name:        "empty value matches empty value",
			tolerations: []api.Toleration{{Key: "dedicated", Effect: "NoSchedule"}},
			taint:       api.Taint{Key: "dedicated", Effect: api.TaintEffectNoSchedule},
			want:        true,
		},
		{
			name: "one of several",
			tolerations: []api.Toleration{
				{Key: "other", Operator: "Exists"},
				{Key: "dedicated", Operator: "Exists"},
			},
			taint: taint,
			want:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tolerates(tt.tolerations, tt.taint)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Tolerates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name string
		pod  *api.Pod
		node *api.Node
		want *framework.Status
	}{
		{
			name: "no taints",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Obj(),
		},
		{
			name: "untolerated NoSchedule taint",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Taint("dedicated", "gpu", "NoSchedule").Obj(),
			want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {dedicated: gpu}"),
		},
		{
			name: "untolerated NoExecute taint with an empty value",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Taint("node.kubernetes.io/not-ready", "", "NoExecute").Obj(),
			want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
		},
		{
			name: "PreferNoSchedule does not filter",
			pod:  st.MakePod().Obj(),
			node: st.MakeNode().Taint("dedicated", "gpu", "PreferNoSchedule").Obj(),
		},
		{
			name: "tolerated taint",
			pod:  st.MakePod().Toleration("dedicated", "Equal", "gpu", "NoSchedule").Obj(),
			node: st.MakeNode().Taint("dedicated", "gpu", "NoSchedule").Obj(),
		},
		{
			name: "names the first untolerated taint",
			pod:  st.MakePod().Toleration("a", "Exists", "", "").Obj(),
			node: st.MakeNode().
				Taint("a", "1", "NoSchedule").
				Taint("b", "2", "NoExecute").
				Taint("c", "3", "NoSchedule").Obj(),
			want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {b: 2}"),
		},
		{
			name: "tolerate everything",
			pod:  st.MakePod().Toleration("", "Exists", "", "").Obj(),
			node: st.MakeNode().Taint("a", "1", "NoSchedule").Taint("b", "2", "NoExecute").Obj(),
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

func TestScore(t *testing.T) {
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*api.Node
		want  framework.NodeScoreList
	}{
		{
			name: "no taints anywhere",
			pod:  st.MakePod().Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Obj(),
				st.MakeNode().Name("n2").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 100}, {Name: "n2", Score: 100}},
		},
		{
			name: "fewer intolerable PreferNoSchedule taints score higher",
			pod:  st.MakePod().Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Obj(),
				st.MakeNode().Name("n2").Taint("a", "", "PreferNoSchedule").Obj(),
				st.MakeNode().Name("n3").Taint("a", "", "PreferNoSchedule").Taint("b", "", "PreferNoSchedule").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 100}, {Name: "n2", Score: 50}, {Name: "n3", Score: 0}},
		},
		{
			name: "tolerated taints do not count",
			pod:  st.MakePod().Toleration("a", "Exists", "", "PreferNoSchedule").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Taint("a", "", "PreferNoSchedule").Obj(),
				st.MakeNode().Name("n2").Taint("b", "", "PreferNoSchedule").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 100}, {Name: "n2", Score: 0}},
		},
		{
			name: "a toleration for another effect does not count",
			pod:  st.MakePod().Toleration("a", "Exists", "", "NoSchedule").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Taint("a", "", "PreferNoSchedule").Obj(),
				st.MakeNode().Name("n2").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 0}, {Name: "n2", Score: 100}},
		},
		{
			name: "other effects do not count",
			pod:  st.MakePod().Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Taint("a", "", "NoSchedule").Obj(),
				st.MakeNode().Name("n2").Taint("b", "", "PreferNoSchedule").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 100}, {Name: "n2", Score: 0}},
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	scorer := pl.(framework.ScorePlugin)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			state := framework.NewCycleState(framework.NewSnapshot(tt.nodes, nil))
			var got framework.NodeScoreList
			for _, ni := range state.Snapshot.List() {
				s, status := scorer.Score(ctx, state, tt.pod, ni)
				if !status.IsSuccess() {
					t.Fatalf("Score(%s): %v", ni.Name(), status.Message())
				}
				got = append(got, framework.NodeScore{Name: ni.Name(), Score: s})
			}
			if status := pl.(framework.ScoreNormalizer).NormalizeScore(ctx, state, tt.pod, got); !status.IsSuccess() {
				t.Fatalf("NormalizeScore: %v", status.Message())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}
