package deployment

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestIsScalingEvent(t *testing.T) {
	d := makeDeployment("web").Replicas(5).Image("nginx:2").Obj()
	tests := []struct {
		name string
		olds []*api.ReplicaSet
		new  *api.ReplicaSet
		want bool
	}{
		{"scaled for the current size", []*api.ReplicaSet{makeRS(d, "nginx:1", 0).Replicas(3).ScaledFor(5, 7).Obj()}, makeRS(d, "", 1).Replicas(3).ScaledFor(5, 7).Obj(), false},
		{"scaled for another size", []*api.ReplicaSet{makeRS(d, "nginx:1", 0).Replicas(3).ScaledFor(4, 5).Obj()}, nil, true},
		{"inactive sets do not count", []*api.ReplicaSet{makeRS(d, "nginx:1", 0).ScaledFor(4, 5).Obj()}, makeRS(d, "", 1).Replicas(5).ScaledFor(5, 7).Obj(), false},
		{"no annotation", []*api.ReplicaSet{makeRS(d, "nginx:1", 0).Replicas(3).Obj()}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isScalingEvent(d, tt.new, tt.olds); got != tt.want {
				t.Errorf("isScalingEvent = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanScale(t *testing.T) {
	type set struct {
		image     string // "" is the Deployment's template: the new set
		age       int
		size      int32
		available int32
		desired   int32 // DesiredReplicasAnnotation, MaxReplicasAnnotation = maxRS
		maxRS     int32
	}
	tests := []struct {
		name string
		d    *api.Deployment
		sets []set
		want map[string]int32 // image → size after, for the sets with a step
	}{
		{
			name: "one active set takes the new size",
			d:    makeDeployment("web").Replicas(7).Obj(),
			sets: []set{{"", 0, 3, 3, 3, 4}, {"nginx:0", -1, 0, 0, 3, 4}},
			want: map[string]int32{"": 7},
		},
		{
			name: "none active: the newest old one, when there is no new one",
			d:    makeDeployment("web").Replicas(2).Obj(),
			sets: []set{{"nginx:0", 0, 0, 0, 0, 0}, {"nginx:9", 5, 0, 0, 0, 0}},
			want: map[string]int32{"nginx:9": 2},
		},
		{
			name: "saturated new set: the old ones go",
			d:    makeDeployment("web").Replicas(5).Obj(),
			sets: []set{{"", 5, 5, 5, 5, 7}, {"nginx:0", 0, 2, 2, 5, 7}},
			want: map[string]int32{"nginx:0": 0},
		},
		{
			name: "proportional, up from 10 to 20 mid-rollout",
			d:    makeDeployment("web").Replicas(20).Surge("3").Unavailable("2").Obj(),
			sets: []set{{"nginx:0", 0, 8, 8, 10, 13}, {"", 5, 3, 0, 10, 13}},
			// 23 - 11 = 12 to add: old 8·23/13 ≈ 14 (+6), new 3·23/13 ≈ 5 (+2),
			// the 4 left over to the largest.
			want: map[string]int32{"nginx:0": 18, "": 5},
		},
		{
			name: "proportional, down from 10 to 5 mid-rollout",
			d:    makeDeployment("web").Replicas(5).Surge("3").Unavailable("2").Obj(),
			sets: []set{{"nginx:0", 0, 8, 8, 10, 13}, {"", 5, 5, 0, 10, 13}},
			// 8 - 13 = -5: old 8·8/13 ≈ 5 (-3), new 5·8/13 ≈ 3 (-2).
			want: map[string]int32{"nginx:0": 5, "": 3},
		},
		{
			name: "proportional, down to zero",
			d:    makeDeployment("web").Replicas(0).Obj(),
			sets: []set{{"nginx:0", 0, 8, 8, 10, 13}, {"", 5, 5, 0, 10, 13}},
			want: map[string]int32{"nginx:0": 0, "": 0},
		},
		{
			name: "proportional, three sets, ties go to the newer when growing",
			d:    makeDeployment("web").Replicas(8).Surge("1").Unavailable("0").Obj(),
			sets: []set{{"nginx:0", 0, 2, 2, 5, 6}, {"nginx:8", 1, 2, 2, 5, 6}, {"", 2, 2, 0, 5, 6}},
			// 9 - 6 = 3: each 2·9/6 = 3 (+1).
			want: map[string]int32{"nginx:0": 3, "nginx:8": 3, "": 3},
		},
		{
			name: "recreate: no proportions",
			d:    makeDeployment("web").Replicas(8).Recreate().Obj(),
			sets: []set{{"nginx:0", 0, 2, 2, 5, 5}, {"", 2, 2, 0, 5, 5}},
			want: map[string]int32{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var newRS *api.ReplicaSet
			var olds []*api.ReplicaSet
			byName := map[string]string{}
			for _, s := range tt.sets {
				rs := makeRS(tt.d, s.image, s.age).Replicas(s.size).Available(s.available).ScaledFor(s.desired, s.maxRS).Obj()
				byName[rs.Name] = s.image
				if s.image == "" {
					newRS = rs
				} else {
					olds = append(olds, rs)
				}
			}
			steps, _ := planScale(tt.d, newRS, olds)
			got := map[string]int32{}
			total := int32(0)
			for _, s := range steps {
				got[byName[s.rs.Name]] = s.replicas
			}
			for _, rs := range withNew(olds, newRS) {
				n, ok := got[byName[rs.Name]]
				if !ok {
					n = specReplicas(rs)
				}
				total += n
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
			if isRollingUpdate(tt.d) && activeOrLatest(newRS, olds) == nil && !isSaturated(tt.d, newRS) {
				want := desiredReplicas(tt.d)
				if want > 0 {
					want += maxSurge(tt.d)
				}
				if total != want {
					t.Errorf("total after proportional scaling = %d, want spec.replicas + maxSurge = %d", total, want)
				}
			}
		})
	}
}

func TestReplicaSetFraction(t *testing.T) {
	d := makeDeployment("web").Replicas(20).Surge("3").Obj()
	d.Status.Replicas = 10
	tests := []struct {
		name string
		rs   *api.ReplicaSet
		want int32
	}{
		{"from the max-replicas annotation", makeRS(d, "a", 0).Replicas(8).ScaledFor(10, 13).Obj(), 6},
		{"without it, from status.replicas", makeRS(d, "a", 0).Replicas(5).Obj(), 7}, // 5·23/10 = 11.5 → 12
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := replicaSetFraction(tt.rs, d); got != tt.want {
				t.Errorf("replicaSetFraction = %d, want %d", got, tt.want)
			}
		})
	}
	empty := makeDeployment("web").Replicas(20).Obj()
	if got := replicaSetFraction(makeRS(empty, "a", 0).Replicas(5).Obj(), empty); got != 0 {
		t.Errorf("no annotation and no status: fraction %d, want 0 (not a division by zero)", got)
	}
}
