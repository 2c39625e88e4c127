package interpodaffinity

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

func TestScore(t *testing.T) {
	// a1 and a2 are in zone a, b1 in zone b, c1 in zone c.
	nodes := []*api.Node{zoneNode("a1", "a"), zoneNode("a2", "a"), zoneNode("b1", "b"), zoneNode("c1", "c")}
	tests := []struct {
		name         string
		args         string
		pod          *api.Pod
		pods         []*api.Pod
		wantPreScore string
		// want is the normalized scores of a1, a2, b1, c1.
		want []int64
	}{
		{
			name:         "no preferences and no pods with affinity: skipped",
			pod:          st.MakePod().Name("new").Obj(),
			pods:         []*api.Pod{labelled("cache", "app", "cache", "a1")},
			wantPreScore: "Skip: ",
		},
		{
			name: "preferred affinity: zones with more matching pods score higher",
			pod:  st.MakePod().Name("new").PreferredPodAffinity(10, zone, selector("app", "cache")).Obj(),
			pods: []*api.Pod{
				labelled("cache1", "app", "cache", "a1"),
				labelled("cache2", "app", "cache", "b1"),
				labelled("cache3", "app", "cache", "b1"),
			},
			// Raw: zone a 10, zone b 20, zone c 0.
			want: []int64{50, 50, 100, 0},
		},
		{
			name: "preferred anti-affinity by hostname: the node with a matching pod scores lowest",
			pod:  st.MakePod().Name("new").Label("app", "web").PreferredPodAntiAffinity(5, hostname, selector("app", "web")).Obj(),
			pods: []*api.Pod{labelled("web", "app", "web", "a1")},
			// Raw: a1 −5, others 0.
			want: []int64{0, 100, 100, 100},
		},
		{
			name: "affinity and anti-affinity weights add up per node",
			pod: st.MakePod().Name("new").
				PreferredPodAffinity(10, zone, selector("app", "cache")).
				PreferredPodAntiAffinity(4, hostname, selector("app", "web")).Obj(),
			pods: []*api.Pod{
				labelled("cache", "app", "cache", "a1"),
				labelled("web1", "app", "web", "a1"),
				labelled("web2", "app", "web", "b1"),
			},
			// Raw: a1 10−4 = 6, a2 10, b1 −4, c1 0; 100 × (raw + 4) / 14.
			want: []int64{71, 100, 0, 28},
		},
		{
			name: "preferred terms select pods in the pod's namespace only",
			pod:  st.MakePod().Name("new").PreferredPodAffinity(10, zone, selector("app", "cache")).Obj(),
			pods: []*api.Pod{st.MakePod().Name("cache").Namespace("infra").Label("app", "cache").Node("a1").Obj()},
			want: []int64{0, 0, 0, 0},
		},
		{
			name: "an existing pod's preferred affinity draws the incoming pod to its zone",
			pod:  st.MakePod().Name("new").Label("app", "web").Obj(),
			pods: []*api.Pod{st.MakePod().Name("cache").Node("b1").PreferredPodAffinity(8, zone, selector("app", "web")).Obj()},
			want: []int64{0, 0, 100, 0},
		},
		{
			name: "an existing pod's preferred anti-affinity pushes the incoming pod off its node",
			pod:  st.MakePod().Name("new").Label("app", "web").Obj(),
			pods: []*api.Pod{st.MakePod().Name("loner").Node("a1").PreferredPodAntiAffinity(3, hostname, selector("app", "web")).Obj()},
			want: []int64{0, 100, 100, 100},
		},
		{
			name: "an existing pod's required affinity counts with hardPodAffinityWeight",
			pod:  st.MakePod().Name("new").Label("app", "web").Obj(),
			pods: []*api.Pod{st.MakePod().Name("follower").Node("c1").PodAffinity(zone, selector("app", "web")).Obj()},
			want: []int64{0, 0, 0, 100},
		},
		{
			name: "hardPodAffinityWeight 0 turns that off",
			args: `{"hardPodAffinityWeight": 0}`,
			pod:  st.MakePod().Name("new").Label("app", "web").Obj(),
			pods: []*api.Pod{st.MakePod().Name("follower").Node("c1").PodAffinity(zone, selector("app", "web")).Obj()},
			want: []int64{0, 0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New([]byte(tt.args), nil)
			if err != nil {
				t.Fatal(err)
			}
			pl := p.(*InterPodAffinity)
			snapshot := framework.NewSnapshot(nodes, tt.pods)
			state := framework.NewCycleState(snapshot)

			gotPreScore := describe(pl.PreScore(context.Background(), state, tt.pod, snapshot.List()))
			if diff := cmp.Diff(tt.wantPreScore, gotPreScore); diff != "" {
				t.Fatalf("PreScore (-want +got):\n%s", diff)
			}
			if gotPreScore != "" {
				return
			}
			scores := make(framework.NodeScoreList, snapshot.NumNodes())
			for i, ni := range snapshot.List() {
				score, s := pl.Score(context.Background(), state, tt.pod, ni)
				if !s.IsSuccess() {
					t.Fatalf("Score(%s): %s", ni.Name(), describe(s))
				}
				scores[i] = framework.NodeScore{Name: ni.Name(), Score: score}
			}
			if s := pl.NormalizeScore(context.Background(), state, tt.pod, scores); !s.IsSuccess() {
				t.Fatalf("NormalizeScore: %s", describe(s))
			}
			want := make(framework.NodeScoreList, len(nodes))
			for i, n := range nodes {
				want[i] = framework.NodeScore{Name: n.Name, Score: tt.want[i]}
			}
			if diff := cmp.Diff(want, scores); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}
