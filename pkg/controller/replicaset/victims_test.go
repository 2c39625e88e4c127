package replicaset

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestPodsToDelete(t *testing.T) {
	rs := makeRS("web", 1)
	older, newer := t0.Add(-time.Hour), t0
	tests := []struct {
		name    string
		pods    []*api.Pod
		related []*api.Pod // nil: none (a ReplicaSet without a controller)
		n       int
		want    []string
	}{
		{
			name: "unscheduled before scheduled",
			pods: []*api.Pod{makePod("bound").node("n1").obj(), makePod("unbound").obj()},
			n:    1, want: []string{"unbound"},
		},
		{
			name: "pending before unknown before running",
			pods: []*api.Pod{
				makePod("running").node("n1").phase(api.PodRunning).obj(),
				makePod("unknown").node("n1").phase(api.PodUnknown).obj(),
				makePod("pending").node("n1").phase(api.PodPending).obj(),
			},
			n: 2, want: []string{"pending", "unknown"},
		},
		{
			name: "not ready before ready",
			pods: []*api.Pod{
				makePod("ready").node("n1").ready(older).obj(),
				makePod("not-ready").node("n1").phase(api.PodRunning).notReady().obj(),
			},
			n: 1, want: []string{"not-ready"},
		},
		{
			name: "lower deletion cost first",
			pods: []*api.Pod{
				makePod("expensive").node("n1").ready(newer).cost(100).obj(),
				makePod("cheap").node("n1").ready(older).cost(-5).obj(),
				makePod("default").node("n1").ready(newer).obj(),
			},
			n: 2, want: []string{"cheap", "default"},
		},
		{
			name: "more related pods on the node first",
			pods: []*api.Pod{
				makePod("alone").node("n1").ready(older).obj(),
				makePod("crowded").node("n2").ready(older).obj(),
			},
			related: []*api.Pod{
				makePod("alone").node("n1").obj(),
				makePod("crowded").node("n2").obj(),
				makePod("sibling").node("n2").obj(),
				makePod("sibling-gone").node("n1").deleting().obj(),
			},
			n: 1, want: []string{"crowded"},
		},
		{
			name: "without related pods the node count does not matter",
			pods: []*api.Pod{
				makePod("a").node("n1").ready(older).obj(),
				makePod("b").node("n2").ready(newer).obj(),
				makePod("c").node("n2").ready(older).obj(),
			},
			n: 1, want: []string{"b"},
		},
		{
			name: "ready for a shorter time first",
			pods: []*api.Pod{
				makePod("long").node("n1").ready(older).obj(),
				makePod("short").node("n1").ready(newer).obj(),
			},
			n: 1, want: []string{"short"},
		},
		{
			name: "more restarts first",
			pods: []*api.Pod{
				makePod("stable").node("n1").ready(older).restarts(0).obj(),
				makePod("flaky").node("n1").ready(older).restarts(7).obj(),
			},
			n: 1, want: []string{"flaky"},
		},
		{
			name: "newer before older",
			pods: []*api.Pod{
				makePod("old").created(older).obj(),
				makePod("new").created(newer).obj(),
			},
			n: 1, want: []string{"new"},
		},
		{
			name: "the earlier rule wins: an unscheduled old pod goes before a scheduled new one",
			pods: []*api.Pod{
				makePod("bound-new-pending").node("n1").created(newer).obj(),
				makePod("unbound-old-ready").created(older).ready(older).obj(),
			},
			n: 1, want: []string{"unbound-old-ready"},
		},
		{
			name: "full order",
			pods: []*api.Pod{
				makePod("ready-old").node("n1").ready(older).created(older).obj(),
				makePod("ready-new").node("n1").ready(newer).created(newer).obj(),
				makePod("running").node("n1").phase(api.PodRunning).obj(),
				makePod("pending").node("n1").obj(),
				makePod("unscheduled").obj(),
			},
			n: 4, want: []string{"unscheduled", "pending", "running", "ready-new"},
		},
		{
			name: "all of them",
			pods: []*api.Pod{makePod("a").obj(), makePod("b").obj()},
			n:    5, want: []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range tt.pods {
				p.OwnerReferences = []api.OwnerReference{controllerRef(rs)}
			}
			got := names(podsToDelete(tt.pods, tt.related, tt.n))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("podsToDelete (-want +got):\n%s", diff)
			}
		})
	}
}
