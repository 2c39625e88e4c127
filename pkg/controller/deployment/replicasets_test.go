package deployment

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestClaimReplicaSets(t *testing.T) {
	d := makeDeployment("web").Obj()
	deleting := makeDeployment("web").Obj()
	deleting.DeletionTimestamp = &api.Time{Time: t0}
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	owned := makeRS(d, "nginx:1", 0).Name("owned").Obj()
	orphan := makeRS(d, "nginx:2", 1).Name("orphan").Orphan().Obj()
	orphanDeleting := makeRS(d, "nginx:3", 2).Name("orphan-deleting").Orphan().Deleting().Obj()
	orphanOther := makeRS(d, "nginx:4", 3).Name("orphan-other").Orphan().Labels(map[string]string{"app": "db"}).Obj()
	stray := makeRS(d, "nginx:5", 4).Name("stray").Labels(map[string]string{"app": "db"}).Obj()
	foreign := makeRS(d, "nginx:6", 5).Name("foreign").OwnedBy("someone-else").Obj()
	otherNamespace := makeRS(d, "nginx:7", 6).Name("elsewhere").Orphan().Obj()
	otherNamespace.Namespace = "other"
	all := []*api.ReplicaSet{owned, orphan, orphanDeleting, orphanOther, stray, foreign, otherNamespace}

	tests := []struct {
		name                  string
		d                     *api.Deployment
		owned, adopt, release []string
	}{
		{"live deployment", d, []string{"owned"}, []string{"orphan"}, []string{"stray"}},
		{"deployment being deleted neither adopts nor releases", deleting, []string{"owned"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claimReplicaSets(tt.d, sel, all)
			got := [][]string{names(c.owned), names(c.adopt), names(c.release)}
			want := [][]string{tt.owned, tt.adopt, tt.release}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("owned, adopt, release (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindNewAndOldReplicaSets(t *testing.T) {
	d := makeDeployment("web").Image("nginx:2").Obj()
	v1 := makeRS(d, "nginx:1", 0).Obj()
	v2 := makeRS(d, "nginx:2", 10).Obj()
	v2dup := makeRS(d, "nginx:2", 5).Name("web-older-duplicate").Obj()
	v3 := makeRS(d, "nginx:3", 20).Obj()

	tests := []struct {
		name    string
		rsList  []*api.ReplicaSet
		wantNew string
		wantOld []string
	}{
		{"no replica sets", nil, "", nil},
		{"only old ones", []*api.ReplicaSet{v1, v3}, "", []string{v1.Name, v3.Name}},
		{"new among old", []*api.ReplicaSet{v3, v2, v1}, v2.Name, []string{v3.Name, v1.Name}},
		{"two with the template: the oldest is new", []*api.ReplicaSet{v2, v1, v2dup}, v2dup.Name, []string{v2.Name, v1.Name}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newRS := findNewReplicaSet(d, tt.rsList)
			got := ""
			if newRS != nil {
				got = newRS.Name
			}
			if got != tt.wantNew {
				t.Errorf("new = %q, want %q", got, tt.wantNew)
			}
			if diff := cmp.Diff(tt.wantOld, names(oldReplicaSets(tt.rsList, newRS))); diff != "" {
				t.Errorf("old (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAvailableEstimate(t *testing.T) {
	d := makeDeployment("web").Obj()
	tests := []struct {
		name string
		rs   *api.ReplicaSet
		want int32
	}{
		{"nil", nil, 0},
		{"caught up", makeRS(d, "", 0).Replicas(3).Obj(), 3},
		{"some unavailable", makeRS(d, "", 0).Replicas(3).Available(1).Obj(), 1},
		{"status behind a scale-down", makeRS(d, "", 0).Replicas(1).Available(3).Obj(), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := availableEstimate(tt.rs); got != tt.want {
				t.Errorf("availableEstimate = %d, want %d", got, tt.want)
			}
		})
	}
}
