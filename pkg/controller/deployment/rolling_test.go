package deployment

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestResolveFenceposts(t *testing.T) {
	tests := []struct {
		name                   string
		desired                int32
		surge, unavailable     string
		wantSurge, wantUnavail int32
		wantErr                bool
	}{
		{"defaults of 10", 10, "25%", "25%", 3, 2, false},
		{"defaults of 4", 4, "25%", "25%", 1, 1, false},
		{"defaults of 3: surge up, unavailable down", 3, "25%", "25%", 1, 0, false},
		{"defaults of 1", 1, "25%", "25%", 1, 0, false},
		{"30% / 20% of 10", 10, "30%", "20%", 3, 2, false},
		{"33% / 33% of 10", 10, "33%", "33%", 4, 3, false},
		{"absolute", 5, "2", "1", 2, 1, false},
		{"surge only", 5, "1", "0", 1, 0, false},
		{"unavailable only", 5, "0", "2", 0, 2, false},
		{"both round to zero: unavailable becomes 1", 5, "0", "10%", 0, 1, false},
		{"both zero: unavailable becomes 1", 5, "0%", "0", 0, 1, false},
		{"zero replicas", 0, "25%", "25%", 0, 1, false},
		{"absolute above replicas stays", 2, "5", "5", 5, 5, false},
		{"not a percentage", 5, "x%", "1", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var surge *api.IntOrString
			if tt.surge == "x%" {
				v := api.FromString("x%")
				surge = &v
			} else {
				surge = intOrPercent(tt.surge)
			}
			s, u, err := resolveFenceposts(surge, intOrPercent(tt.unavailable), tt.desired)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (s != tt.wantSurge || u != tt.wantUnavail) {
				t.Errorf("surge, unavailable = %d, %d, want %d, %d", s, u, tt.wantSurge, tt.wantUnavail)
			}
		})
	}
}

func TestMaxSurgeAndUnavailable(t *testing.T) {
	tests := []struct {
		name               string
		d                  *api.Deployment
		surge, unavailable int32
	}{
		{"rolling", makeDeployment("web").Replicas(10).Obj(), 3, 2},
		{"unavailable capped at replicas", makeDeployment("web").Replicas(2).Surge("1").Unavailable("5").Obj(), 1, 2},
		{"zero replicas: nothing may be unavailable", makeDeployment("web").Replicas(0).Obj(), 0, 0},
		{"recreate", makeDeployment("web").Replicas(10).Recreate().Obj(), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, u := maxSurge(tt.d), maxUnavailable(tt.d); s != tt.surge || u != tt.unavailable {
				t.Errorf("maxSurge, maxUnavailable = %d, %d, want %d, %d", s, u, tt.surge, tt.unavailable)
			}
		})
	}
}

func TestNewReplicaSetTarget(t *testing.T) {
	base := makeDeployment("web").Image("nginx:2")
	tests := []struct {
		name       string
		d          *api.Deployment
		oldSize    []int32
		newSize    int32
		wantTarget int32
	}{
		{"first step: up to the surge", base.Replicas(10).Obj(), []int32{10}, 0, 3},
		{"surge used up", makeDeployment("web").Image("nginx:2").Replicas(10).Obj(), []int32{10}, 3, 3},
		{"room after old scaled down", makeDeployment("web").Image("nginx:2").Replicas(10).Obj(), []int32{8}, 3, 5},
		{"never past replicas", makeDeployment("web").Image("nginx:2").Replicas(10).Obj(), []int32{0}, 9, 10},
		{"above replicas comes down", makeDeployment("web").Image("nginx:2").Replicas(4).Obj(), []int32{0}, 6, 4},
		{"no surge: waits for old to go", makeDeployment("web").Image("nginx:2").Replicas(5).Surge("0").Unavailable("1").Obj(), []int32{5}, 0, 0},
		{"no surge: follows the scale-down", makeDeployment("web").Image("nginx:2").Replicas(5).Surge("0").Unavailable("1").Obj(), []int32{4}, 0, 1},
		{"several old ones count", makeDeployment("web").Image("nginx:3").Replicas(4).Surge("2").Obj(), []int32{2, 2}, 0, 2},
		{"recreate: straight to replicas", makeDeployment("web").Image("nginx:2").Replicas(5).Recreate().Obj(), []int32{0}, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all []*api.ReplicaSet
			for i, n := range tt.oldSize {
				all = append(all, makeRS(tt.d, fmt.Sprintf("old:%d", i), i).Replicas(n).Obj())
			}
			newRS := makeRS(tt.d, "", 100).Replicas(tt.newSize).Obj()
			got, err := newReplicaSetTarget(tt.d, append(all, newRS), newRS)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.wantTarget {
				t.Errorf("target = %d, want %d", got, tt.wantTarget)
			}
		})
	}
}

// rsState is spec.replicas and status.availableReplicas of a ReplicaSet.
type rsState struct{ spec, available int32 }

func TestPlanOldScaleDown(t *testing.T) {
	tests := []struct {
		name string
		d    *api.Deployment
		olds []rsState // oldest first
		new  rsState
		want []int32 // new sizes of the old ReplicaSets, in order
	}{
		{
			name: "new pods not yet available: nothing to spare",
			d:    makeDeployment("web").Image("nginx:2").Replicas(10).Obj(), // surge 3, unavailable 2
			olds: []rsState{{10, 10}}, new: rsState{3, 0},
			want: []int32{8},
		},
		{
			name: "new pods available: down to the minimum",
			d:    makeDeployment("web").Image("nginx:2").Replicas(10).Obj(),
			olds: []rsState{{8, 8}}, new: rsState{5, 5},
			want: []int32{3},
		},
		{
			name: "at the minimum: no step",
			d:    makeDeployment("web").Image("nginx:2").Replicas(10).Surge("0").Unavailable("2").Obj(),
			olds: []rsState{{8, 8}}, new: rsState{2, 0},
			want: []int32{8},
		},
		{
			name: "maxUnavailable 0: only what new pods replace",
			d:    makeDeployment("web").Image("nginx:2").Replicas(5).Surge("1").Unavailable("0").Obj(),
			olds: []rsState{{5, 5}}, new: rsState{1, 1},
			want: []int32{4},
		},
		{
			name: "unhealthy old pods go first, even with no availability to spare",
			d:    makeDeployment("web").Image("nginx:2").Replicas(4).Surge("1").Unavailable("0").Obj(),
			olds: []rsState{{4, 2}}, new: rsState{1, 1},
			want: []int32{3},
		},
		{
			name: "unhealthy cleanup bounded by what the new set's unavailable pods leave",
			d:    makeDeployment("web").Image("nginx:2").Replicas(10).Obj(), // min available 8
			olds: []rsState{{10, 5}}, new: rsState{3, 0},
			want: []int32{8},
		},
		{
			name: "oldest first across several old sets",
			d:    makeDeployment("web").Image("nginx:3").Replicas(6).Surge("0").Unavailable("3").Obj(),
			olds: []rsState{{2, 2}, {4, 4}}, new: rsState{0, 0},
			want: []int32{0, 3},
		},
		{
			name: "a status behind a scale-down is not counted twice",
			d:    makeDeployment("web").Image("nginx:2").Replicas(4).Surge("1").Unavailable("1").Obj(),
			olds: []rsState{{3, 4}}, new: rsState{2, 0},
			want: []int32{3},
		},
		{
			name: "old sets already at zero",
			d:    makeDeployment("web").Image("nginx:2").Replicas(4).Obj(),
			olds: []rsState{{0, 0}}, new: rsState{4, 4},
			want: []int32{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var olds []*api.ReplicaSet
			for i, s := range tt.olds {
				olds = append(olds, makeRS(tt.d, fmt.Sprintf("old:%d", i), i).Replicas(s.spec).Available(s.available).Obj())
			}
			newRS := makeRS(tt.d, "", 100).Replicas(tt.new.spec).Available(tt.new.available).Obj()
			steps := planOldScaleDown(tt.d, withNew(olds, newRS), activeReplicaSets(olds), newRS)
			got := make([]int32, len(olds))
			for i, rs := range olds {
				got[i] = specReplicas(rs)
			}
			seen := map[string]bool{}
			for _, s := range steps {
				if seen[s.rs.Name] {
					t.Errorf("two steps for %s", s.rs.Name)
				}
				seen[s.rs.Name] = true
				for i, rs := range olds {
					if rs == s.rs {
						got[i] = s.replicas
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("old sizes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRollingUpdateSimulation plays whole rollouts with the controller's
// decisions and a ReplicaSet controller that makes every pod available at
// once, checking the bounds after every step and that the rollout ends.
func TestRollingUpdateSimulation(t *testing.T) {
	tests := []struct {
		replicas           int32
		surge, unavailable string
	}{
		{10, "25%", "25%"},
		{4, "25%", "25%"},
		{3, "25%", "25%"},
		{1, "25%", "25%"},
		{5, "1", "0"},
		{5, "0", "1"},
		{5, "0", "5"},
		{10, "30%", "20%"},
		{7, "3", "2"},
		{6, "100%", "0"},
		{6, "0", "10%"}, // both resolve to zero: unavailable 1
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d replicas, surge %s, unavailable %s", tt.replicas, tt.surge, tt.unavailable), func(t *testing.T) {
			d := makeDeployment("web").Image("nginx:2").Replicas(tt.replicas).Surge(tt.surge).Unavailable(tt.unavailable).Obj()
			surge, unavail := maxSurge(d), maxUnavailable(d)
			old := makeRS(d, "nginx:1", 0).Replicas(tt.replicas).Obj()
			newRS := makeRS(d, "", 10).Obj()
			all := []*api.ReplicaSet{old, newRS}
			settle := func() {
				for _, rs := range all {
					n := specReplicas(rs)
					rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n, n
				}
			}
			for step := 0; ; step++ {
				if step > 100 {
					t.Fatal("rollout did not finish in 100 steps")
				}
				target, err := newReplicaSetTarget(d, all, newRS)
				if err != nil {
					t.Fatal(err)
				}
				if target != specReplicas(newRS) {
					newRS.Spec.Replicas = ptr(target)
				} else {
					steps := planOldScaleDown(d, all, activeReplicaSets([]*api.ReplicaSet{old}), newRS)
					if len(steps) == 0 {
						break
					}
					for _, s := range steps {
						// Before the ReplicaSet controller catches up, the pods
						// scaled away are gone at once (worst case).
						s.rs.Spec.Replicas = ptr(s.replicas)
						s.rs.Status.AvailableReplicas = min(s.rs.Status.AvailableReplicas, s.replicas)
					}
				}
				if total := sumSpecReplicas(all); total > tt.replicas+surge {
					t.Fatalf("step %d: %d replicas in all, more than %d + %d", step, total, tt.replicas, surge)
				}
				if avail := sumAvailableReplicas(all); avail < tt.replicas-unavail {
					t.Fatalf("step %d: %d available, fewer than %d - %d", step, avail, tt.replicas, unavail)
				}
				settle()
			}
			if specReplicas(newRS) != tt.replicas || specReplicas(old) != 0 {
				t.Errorf("ended with new %d, old %d; want %d and 0", specReplicas(newRS), specReplicas(old), tt.replicas)
			}
		})
	}
}
