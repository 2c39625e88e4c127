package imagelocality

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*api.Node
		want  framework.NodeScoreList
	}{
		{
			name: "no node has the image",
			pod:  st.MakePod().Image("app:1").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"other:1": 500 * mb}).Obj(),
				st.MakeNode().Name("n2").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 0}, {Name: "n2", Score: 0}},
		},
		{
			name: "image on one of two nodes counts half",
			// 500MB × 1/2 = 250MB: 100 × (250-23) / (1000-23) = 23.
			pod: st.MakePod().Image("app:1").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"app:1": 500 * mb}).Obj(),
				st.MakeNode().Name("n2").Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 23}, {Name: "n2", Score: 0}},
		},
		{
			name: "image on every node counts fully",
			// 100 × (500-23) / (1000-23) = 48.
			pod: st.MakePod().Image("app:1").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"app:1": 500 * mb}).Obj(),
				st.MakeNode().Name("n2").Images(map[string]int64{"app:1": 500 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 48}, {Name: "n2", Score: 48}},
		},
		{
			name: "small images score nothing",
			pod:  st.MakePod().Image("app:1").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"app:1": 20 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 0}},
		},
		{
			name: "huge images are capped",
			pod:  st.MakePod().Image("app:1").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"app:1": 3000 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 100}},
		},
		{
			name: "images of all containers add up, the cap grows with containers",
			// n1: 300MB + 700MB × 1/2 = 650MB: 100 × (650-23) / (2000-23) = 31.
			// n2: 300MB: 100 × (300-23) / (2000-23) = 14.
			pod: st.MakePod().Image("web").ContainerImage("cache", "redis:7").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"web:latest": 300 * mb, "redis:7": 700 * mb}).Obj(),
				st.MakeNode().Name("n2").Images(map[string]int64{"web:latest": 300 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 31}, {Name: "n2", Score: 14}},
		},
		{
			name: "init containers count",
			// 100 × (1000-23) / (2000-23) = 49.
			pod: st.MakePod().Image("app:1").InitContainerImage("init", "tools:1").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"tools:1": 1000 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 49}},
		},
		{
			name: "an untagged name on the node is the latest tag",
			pod:  st.MakePod().Image("app:latest").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"app": 500 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 48}},
		},
		{
			name: "a digest is not given the latest tag",
			pod:  st.MakePod().Image("app@sha256:abc").Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("n1").Images(map[string]int64{"app@sha256:abc": 500 * mb}).Obj(),
				st.MakeNode().Name("n2").Images(map[string]int64{"app:latest": 500 * mb}).Obj(),
			},
			want: framework.NodeScoreList{{Name: "n1", Score: 23}, {Name: "n2", Score: 0}},
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	il := pl.(*ImageLocality)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			snapshot := framework.NewSnapshot(tt.nodes, nil)
			withPreScore := framework.NewCycleState(snapshot)
			// PreScore skips scoring exactly when no node has any of the
			// pod's images, so every score would be 0.
			status := il.PreScore(ctx, withPreScore, tt.pod, snapshot.List())
			allZero := true
			for _, s := range tt.want {
				allZero = allZero && s.Score == 0
			}
			if status.IsSkip() && !allZero {
				t.Fatal("PreScore skipped scoring, but some node has the image")
			}
			if tt.name == "no node has the image" && !status.IsSkip() {
				t.Errorf("PreScore: %v, want Skip when no node has the image", status.Code())
			}
			if !status.IsSuccess() && !status.IsSkip() {
				t.Fatalf("PreScore: %v", status.Message())
			}
			for name, state := range map[string]*framework.CycleState{
				"after PreScore":   withPreScore,
				"without PreScore": framework.NewCycleState(snapshot),
			} {
				var got framework.NodeScoreList
				for _, ni := range snapshot.List() {
					s, status := il.Score(ctx, state, tt.pod, ni)
					if !status.IsSuccess() {
						t.Fatalf("Score(%s) %s: %v", ni.Name(), name, status.Message())
					}
					got = append(got, framework.NodeScore{Name: ni.Name(), Score: s})
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("scores %s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func TestNormalizedImageName(t *testing.T) {
	tests := []struct {
		name  string
		image string
		want  string
	}{
		{name: "no tag", image: "nginx", want: "nginx:latest"},
		{name: "tag", image: "nginx:1.27", want: "nginx:1.27"},
		{name: "registry and path", image: "docker.io/library/nginx", want: "docker.io/library/nginx:latest"},
		{name: "registry with a port and no tag", image: "localhost:5000/app", want: "localhost:5000/app:latest"},
		{name: "registry with a port and a tag", image: "localhost:5000/app:2", want: "localhost:5000/app:2"},
		{name: "digest", image: "nginx@sha256:abc", want: "nginx@sha256:abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, normalizedImageName(tt.image)); diff != "" {
				t.Errorf("normalizedImageName(%q) (-want +got):\n%s", tt.image, diff)
			}
		})
	}
}
