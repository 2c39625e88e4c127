package replicaset

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestClaimPods(t *testing.T) {
	web := makeRS("web", 3)
	deleting := makeRS("web", 3)
	ts := api.NewTime(t0)
	deleting.DeletionTimestamp = &ts

	type want struct{ Owned, Adopt, Release []string }
	tests := []struct {
		name string
		rs   *api.ReplicaSet
		pods []*api.Pod
		want want
	}{
		{
			name: "owned and matching is kept",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "web").ownedBy(web).obj()},
			want: want{Owned: []string{"a"}},
		},
		{
			name: "matching orphan is adopted",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "web", "extra", "x").obj()},
			want: want{Adopt: []string{"a"}},
		},
		{
			name: "orphan that does not match is left alone",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "db").obj(), makePod("b").obj()},
		},
		{
			name: "owned pod that no longer matches is released",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "other").ownedBy(web).obj()},
			want: want{Release: []string{"a"}},
		},
		{
			name: "pod controlled by another object is left alone even if it matches",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "web").ownerRef("uid-other", true).obj()},
		},
		{
			name: "a non-controller reference does not make a pod owned: it is adopted",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "web").ownerRef("uid-other", false).obj()},
			want: want{Adopt: []string{"a"}},
		},
		{
			name: "a pod controlled by an earlier ReplicaSet of the same name is not ours",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "web").ownerRef("uid-web-old", true).obj()},
		},
		{
			name: "orphan being deleted is not adopted",
			rs:   web,
			pods: []*api.Pod{makePod("a").labels("app", "web").deleting().obj()},
		},
		{
			name: "a ReplicaSet being deleted keeps its pods but neither adopts nor releases",
			rs:   deleting,
			pods: []*api.Pod{
				makePod("owned").labels("app", "web").ownedBy(web).obj(),
				makePod("orphan").labels("app", "web").obj(),
				makePod("relabelled").labels("app", "other").ownedBy(web).obj(),
			},
			want: want{Owned: []string{"owned"}},
		},
		{
			name: "mixed",
			rs:   web,
			pods: []*api.Pod{
				makePod("a").labels("app", "web").ownedBy(web).obj(),
				makePod("b").labels("app", "web").obj(),
				makePod("c").labels("app", "x").ownedBy(web).obj(),
				makePod("d").labels("app", "web").ownedBy(makeRS("other", 1)).obj(),
				makePod("e").labels("app", "web").ownedBy(web).obj(),
			},
			want: want{Owned: []string{"a", "e"}, Adopt: []string{"b"}, Release: []string{"c"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := api.LabelSelectorAsSelector(tt.rs.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			c := claimPods(tt.rs, sel, tt.pods)
			got := want{Owned: names(c.owned), Adopt: names(c.adopt), Release: names(c.release)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("claimPods (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnerPatches(t *testing.T) {
	rs := makeRS("web", 1)
	pod := makePod("a").obj()
	tests := []struct {
		name  string
		patch []byte
		want  string
	}{
		{
			name:  "adopt",
			patch: adoptPatch(rs, pod),
			want: `{"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"uid-web",` +
				`"controller":true,"blockOwnerDeletion":true}],"uid":"uid-a"}}`,
		},
		{
			name:  "release",
			patch: releasePatch(rs, pod),
			want:  `{"metadata":{"ownerReferences":[{"$patch":"delete","uid":"uid-web"}],"uid":"uid-a"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, want any
			if err := json.Unmarshal(tt.patch, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}
