package podtopologyspread

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

func TestScore(t *testing.T) {
	threeZones := []*api.Node{zoneNode("a1", "a"), zoneNode("b1", "b"), zoneNode("c1", "c")}
	preferSpread := func(maxSkew int32) *api.Pod {
		return st.MakePod().Name("new").Label("app", "web").SpreadConstraint(maxSkew, zone, api.ScheduleAnyway, webSelector).Obj()
	}
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*api.Node
		pods  []*api.Pod
		// scored names the nodes that passed filtering; all nodes when nil.
		scored       []string
		wantPreScore string
		// want is the normalized scores, in the order of scored.
		want framework.NodeScoreList
	}{
		{
			name:         "pod without ScheduleAnyway constraints is skipped",
			pod:          st.MakePod().Name("new").SpreadConstraint(1, zone, api.DoNotSchedule, webSelector).Obj(),
			nodes:        threeZones,
			wantPreScore: "Skip: ",
		},
		{
			name:  "fewer matching pods in the zone score higher",
			pod:   preferSpread(1),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "a1"), web("p3", "a1"), web("p4", "b1")},
			// Raw: 3 domains weigh log(5) ≈ 1.61 a pod: a = round(4.83) = 5,
			// b = round(1.61) = 2, c = 0. Normalized: 100 × (5 + 0 − raw) / 5.
			want: framework.NodeScoreList{{Name: "a1", Score: 0}, {Name: "b1", Score: 60}, {Name: "c1", Score: 100}},
		},
		{
			name:  "no matching pods anywhere: every node scores 100",
			pod:   preferSpread(1),
			nodes: threeZones,
			want:  framework.NodeScoreList{{Name: "a1", Score: 100}, {Name: "b1", Score: 100}, {Name: "c1", Score: 100}},
		},
		{
			name:  "a node lacking the topology label scores 0",
			pod:   preferSpread(1),
			nodes: append([]*api.Node{st.MakeNode().Name("nozone").Obj()}, threeZones...),
			pods:  []*api.Pod{web("p1", "a1")},
			// Raw: a = round(1.61) = 2, b = c = 0.
			want: framework.NodeScoreList{{Name: "nozone", Score: 0}, {Name: "a1", Score: 0}, {Name: "b1", Score: 100}, {Name: "c1", Score: 100}},
		},
		{
			name:  "a larger maxSkew softens the difference",
			pod:   preferSpread(3),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1")},
			// Raw adds maxSkew−1 = 2 to every node: a = round(1.61 + 2) = 4,
			// b = c = 2. Normalized: 100 × (4 + 2 − raw) / 4.
			want: framework.NodeScoreList{{Name: "a1", Score: 50}, {Name: "b1", Score: 100}, {Name: "c1", Score: 100}},
		},
		{
			name:   "pods on unscored nodes count in the scored nodes' zones only",
			pod:    preferSpread(1),
			nodes:  []*api.Node{zoneNode("a1", "a"), zoneNode("a2", "a"), zoneNode("b1", "b"), zoneNode("c1", "c")},
			pods:   []*api.Pod{web("p1", "a2"), web("p2", "a2"), web("p3", "c1"), web("p4", "c1"), web("p5", "c1")},
			scored: []string{"a1", "b1"},
			// 2 domains weigh log(4) ≈ 1.39 a pod: a = round(2.77) = 3, b = 0.
			want: framework.NodeScoreList{{Name: "a1", Score: 0}, {Name: "b1", Score: 100}},
		},
		{
			name:  "pods being deleted and pods in other namespaces are not counted",
			pod:   preferSpread(1),
			nodes: threeZones[:2],
			pods: []*api.Pod{
				terminating(web("leaving", "a1")),
				st.MakePod().Name("other-ns").Namespace("other").Label("app", "web").Node("a1").Obj(),
				web("p1", "b1"),
			},
			want: framework.NodeScoreList{{Name: "a1", Score: 100}, {Name: "b1", Score: 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snapshot := framework.NewSnapshot(tt.nodes, tt.pods)
			state := framework.NewCycleState(snapshot)
			pl := &PodTopologySpread{}
			var scored []*framework.NodeInfo
			if tt.scored == nil {
				scored = snapshot.List()
			}
			for _, name := range tt.scored {
				scored = append(scored, snapshot.Get(name))
			}

			gotPreScore := describe(pl.PreScore(context.Background(), state, tt.pod, scored))
			if diff := cmp.Diff(tt.wantPreScore, gotPreScore); diff != "" {
				t.Fatalf("PreScore (-want +got):\n%s", diff)
			}
			if gotPreScore != "" {
				return
			}
			got := make(framework.NodeScoreList, len(scored))
			for i, ni := range scored {
				score, s := pl.Score(context.Background(), state, tt.pod, ni)
				if !s.IsSuccess() {
					t.Fatalf("Score(%s): %s", ni.Name(), describe(s))
				}
				got[i] = framework.NodeScore{Name: ni.Name(), Score: score}
			}
			if s := pl.NormalizeScore(context.Background(), state, tt.pod, got); !s.IsSuccess() {
				t.Fatalf("NormalizeScore: %s", describe(s))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}
