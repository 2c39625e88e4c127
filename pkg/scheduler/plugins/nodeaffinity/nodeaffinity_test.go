package nodeaffinity

import (
	"context"
	"fmt"
	"sync"
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
	rejected := framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't match Pod's node affinity/selector")
	tests := []struct {
		name          string
		pod           *api.Pod
		node          *api.Node
		wantPreFilter *framework.Status
		want          *framework.Status
	}{
		{
			name:          "no constraints skips Filter",
			pod:           st.MakePod().Obj(),
			node:          st.MakeNode().Obj(),
			wantPreFilter: framework.NewStatus(framework.Skip),
		},
		{
			name:          "preferred terms alone skip Filter",
			pod:           st.MakePod().PreferredNodeAffinity(10, exprs(expr("zone", "In", "b"))).Obj(),
			node:          st.MakeNode().Label("zone", "a").Obj(),
			wantPreFilter: framework.NewStatus(framework.Skip),
		},
		{
			name: "nodeSelector matches",
			pod:  st.MakePod().NodeSelector(map[string]string{"zone": "a"}).Obj(),
			node: st.MakeNode().Label("zone", "a").Obj(),
		},
		{
			name: "nodeSelector does not match",
			pod:  st.MakePod().NodeSelector(map[string]string{"zone": "a"}).Obj(),
			node: st.MakeNode().Label("zone", "b").Obj(),
			want: rejected,
		},
		{
			name: "required affinity matches",
			pod:  st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "In", "a", "b"))).Obj(),
			node: st.MakeNode().Label("zone", "b").Obj(),
		},
		{
			name: "required affinity does not match",
			pod:  st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "NotIn", "b"))).Obj(),
			node: st.MakeNode().Label("zone", "b").Obj(),
			want: rejected,
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	na := pl.(*NodeAffinity)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			ni := framework.NewNodeInfo(tt.node)
			state := framework.NewCycleState(nil)
			gotPreFilter := na.PreFilter(ctx, state, tt.pod)
			if diff := cmp.Diff(tt.wantPreFilter, gotPreFilter, statusOpt); diff != "" {
				t.Errorf("PreFilter (-want +got):\n%s", diff)
			}
			if !gotPreFilter.IsSkip() {
				got := na.Filter(ctx, state, tt.pod, ni)
				if diff := cmp.Diff(tt.want, got, statusOpt); diff != "" {
					t.Errorf("Filter after PreFilter (-want +got):\n%s", diff)
				}
			}
			// Filter gives the same answer when PreFilter did not run.
			got := na.Filter(ctx, framework.NewCycleState(nil), tt.pod, ni)
			if diff := cmp.Diff(tt.want, got, statusOpt); diff != "" {
				t.Errorf("Filter without PreFilter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScore(t *testing.T) {
	nodes := []*api.Node{
		st.MakeNode().Name("n1").Label("zone", "a").Obj(),
		st.MakeNode().Name("n2").Label("zone", "b").Label("disk", "ssd").Obj(),
		st.MakeNode().Name("n3").Label("zone", "c").Obj(),
	}
	tests := []struct {
		name         string
		pod          *api.Pod
		wantPreScore *framework.Status
		want         framework.NodeScoreList
	}{
		{
			name:         "no preferred terms skips Score",
			pod:          st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "Exists"))).Obj(),
			wantPreScore: framework.NewStatus(framework.Skip),
			want:         framework.NodeScoreList{{Name: "n1", Score: 0}, {Name: "n2", Score: 0}, {Name: "n3", Score: 0}},
		},
		{
			name: "one term",
			pod:  st.MakePod().PreferredNodeAffinity(5, exprs(expr("zone", "In", "a"))).Obj(),
			want: framework.NodeScoreList{{Name: "n1", Score: 100}, {Name: "n2", Score: 0}, {Name: "n3", Score: 0}},
		},
		{
			name: "weights add up and scale to the highest",
			pod: st.MakePod().
				PreferredNodeAffinity(20, exprs(expr("zone", "In", "a"))).
				PreferredNodeAffinity(30, exprs(expr("zone", "In", "b"))).
				PreferredNodeAffinity(50, exprs(expr("disk", "Exists"))).Obj(),
			want: framework.NodeScoreList{{Name: "n1", Score: 25}, {Name: "n2", Score: 100}, {Name: "n3", Score: 0}},
		},
		{
			name: "no node matches",
			pod:  st.MakePod().PreferredNodeAffinity(5, exprs(expr("zone", "In", "z"))).Obj(),
			want: framework.NodeScoreList{{Name: "n1", Score: 0}, {Name: "n2", Score: 0}, {Name: "n3", Score: 0}},
		},
		{
			name: "invalid and empty terms match no node",
			pod: st.MakePod().
				PreferredNodeAffinity(5, exprs(expr("zone", "Bogus", "a"))).
				PreferredNodeAffinity(5, api.NodeSelectorTerm{}).
				PreferredNodeAffinity(1, exprs(expr("zone", "In", "c"))).Obj(),
			want: framework.NodeScoreList{{Name: "n1", Score: 0}, {Name: "n2", Score: 0}, {Name: "n3", Score: 100}},
		},
		{
			name: "match fields",
			pod:  st.MakePod().PreferredNodeAffinity(5, fields(expr("metadata.name", "In", "n2"))).Obj(),
			want: framework.NodeScoreList{{Name: "n1", Score: 0}, {Name: "n2", Score: 100}, {Name: "n3", Score: 0}},
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	na := pl.(*NodeAffinity)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			state := framework.NewCycleState(framework.NewSnapshot(nodes, nil))
			gotPreScore := na.PreScore(ctx, state, tt.pod, state.Snapshot.List())
			if diff := cmp.Diff(tt.wantPreScore, gotPreScore, statusOpt); diff != "" {
				t.Errorf("PreScore (-want +got):\n%s", diff)
			}
			var got framework.NodeScoreList
			for _, ni := range state.Snapshot.List() {
				s, status := na.Score(ctx, state, tt.pod, ni)
				if !status.IsSuccess() {
					t.Fatalf("Score(%s): %v", ni.Name(), status.Message())
				}
				got = append(got, framework.NodeScore{Name: ni.Name(), Score: s})
			}
			if status := na.NormalizeScore(ctx, state, tt.pod, got); !status.IsSuccess() {
				t.Fatalf("NormalizeScore: %v", status.Message())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcurrentFilterAndScore runs Filter and Score on many nodes at once, as
// the scheduler does, and checks that the pod and nodes are left unchanged.
func TestConcurrentFilterAndScore(t *testing.T) {
	pod := st.MakePod().
		NodeSelector(map[string]string{"pool": "web"}).
		RequiredNodeAffinity(exprs(expr("zone", "In", "a", "b"))).
		PreferredNodeAffinity(10, exprs(expr("zone", "In", "a"))).Obj()
	var nodes []*api.Node
	for i, zone := range []string{"a", "b", "c", "a", "b", "c", "a", "b"} {
		nodes = append(nodes, st.MakeNode().Name(fmt.Sprintf("n%d", i)).Label("pool", "web").Label("zone", zone).Obj())
	}
	wantPod, wantNodes := api.DeepCopy(pod), api.DeepCopy(nodes)

	ctx := context.Background()
	state := framework.NewCycleState(framework.NewSnapshot(nodes, nil))
	pl := &NodeAffinity{}
	if s := pl.PreFilter(ctx, state, pod); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s.Message())
	}
	if s := pl.PreScore(ctx, state, pod, state.Snapshot.List()); !s.IsSuccess() {
		t.Fatalf("PreScore: %v", s.Message())
	}
	var wg sync.WaitGroup
	for _, ni := range state.Snapshot.List() {
		wg.Go(func() {
			pl.Filter(ctx, state, pod, ni)
			pl.Score(ctx, state, pod, ni)
		})
	}
	wg.Wait()
	if diff := cmp.Diff(wantPod, pod); diff != "" {
		t.Errorf("pod changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantNodes, nodes); diff != "" {
		t.Errorf("nodes changed (-want +got):\n%s", diff)
	}
}
