package deployment

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestMaxRevision(t *testing.T) {
	d := makeDeployment("web").Obj()
	tests := []struct {
		name string
		rss  []*api.ReplicaSet
		want int64
	}{
		{"none", nil, 0},
		{"no annotations", []*api.ReplicaSet{makeRS(d, "a", 0).Obj()}, 0},
		{"highest wins", []*api.ReplicaSet{makeRS(d, "a", 0).Revision("3").Obj(), makeRS(d, "b", 1).Revision("12").Obj(), makeRS(d, "c", 2).Revision("7").Obj()}, 12},
		{"unparsable skipped", []*api.ReplicaSet{makeRS(d, "a", 0).Revision("x").Obj(), makeRS(d, "b", 1).Revision("2").Obj()}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxRevision(tt.rss); got != tt.want {
				t.Errorf("maxRevision = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSetNewReplicaSetAnnotations(t *testing.T) {
	d := makeDeployment("web").Replicas(10).
		Annotation("kubernetes.io/change-cause", "kubectl set image").
		Annotation(RevisionAnnotation, "9").
		Annotation(lastAppliedAnnotation, "{}").Obj()
	tests := []struct {
		name        string
		rs          *api.ReplicaSet
		newRevision string
		exists      bool
		wantChanged bool
		want        map[string]string
	}{
		{
			name: "a ReplicaSet about to be created", rs: makeRS(d, "", 0).Obj(), newRevision: "1", exists: false,
			wantChanged: true,
			want: map[string]string{
				"kubernetes.io/change-cause": "kubectl set image", RevisionAnnotation: "1",
				DesiredReplicasAnnotation: "10", MaxReplicasAnnotation: "13",
			},
		},
		{
			name: "up to date", newRevision: "4", exists: true,
			rs:   makeRS(d, "", 0).Revision("4").Annotation("kubernetes.io/change-cause", "kubectl set image").Obj(),
			want: map[string]string{"kubernetes.io/change-cause": "kubectl set image", RevisionAnnotation: "4"},
		},
		{
			name: "a template that comes back gets the new revision and remembers the old", newRevision: "5", exists: true,
			rs:          makeRS(d, "", 0).Revision("2").Annotation("kubernetes.io/change-cause", "kubectl set image").Obj(),
			wantChanged: true,
			want: map[string]string{
				"kubernetes.io/change-cause": "kubectl set image", RevisionAnnotation: "5", RevisionHistoryAnnotation: "2",
			},
		},
		{
			name: "and again", newRevision: "7", exists: true,
			rs: makeRS(d, "", 0).Revision("5").Annotation(RevisionHistoryAnnotation, "2").
				Annotation("kubernetes.io/change-cause", "kubectl set image").Obj(),
			wantChanged: true,
			want: map[string]string{
				"kubernetes.io/change-cause": "kubectl set image", RevisionAnnotation: "7", RevisionHistoryAnnotation: "2,5",
			},
		},
		{
			name: "a higher revision is kept (old ones deleted since)", newRevision: "3", exists: true,
			rs:   makeRS(d, "", 0).Revision("6").Annotation("kubernetes.io/change-cause", "kubectl set image").Obj(),
			want: map[string]string{"kubernetes.io/change-cause": "kubectl set image", RevisionAnnotation: "6"},
		},
		{
			name: "a revision not a number is left alone", newRevision: "3", exists: true,
			rs:   makeRS(d, "", 0).Revision("x").Annotation("kubernetes.io/change-cause", "kubectl set image").Obj(),
			want: map[string]string{"kubernetes.io/change-cause": "kubectl set image", RevisionAnnotation: "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := setNewReplicaSetAnnotations(d, tt.rs, tt.newRevision, tt.exists)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if diff := cmp.Diff(tt.want, tt.rs.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendRevisionHistory(t *testing.T) {
	long := strings.Repeat("1234567,", 249) + "1234567" // 250 entries, 1999 characters
	tests := []struct {
		name, history, rev, want string
	}{
		{"first", "", "3", "3"},
		{"appended", "1,3", "5", "1,3,5"},
		{"oldest dropped at the limit", long, "9", strings.Repeat("1234567,", 249) + "9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendRevisionHistory(tt.history, tt.rev)
			if got != tt.want {
				t.Errorf("appendRevisionHistory = %.40q…, want %.40q…", got, tt.want)
			}
			if len(got) > maxRevisionHistoryLen {
				t.Errorf("history is %d characters, more than %d", len(got), maxRevisionHistoryLen)
			}
		})
	}
}

func TestHistoryToDelete(t *testing.T) {
	d := makeDeployment("web").Obj()
	rev := func(img string, r string, age int) *rsBuilder { return makeRS(d, img, age).Revision(r) }
	tests := []struct {
		name  string
		limit *int32
		olds  []*api.ReplicaSet
		want  []string
	}{
		{
			name: "within the limit", limit: ptr(int32(2)),
			olds: []*api.ReplicaSet{rev("a", "1", 0).Name("r1").Obj(), rev("b", "2", 1).Name("r2").Obj()},
		},
		{
			name: "lowest revisions go first, whatever their age", limit: ptr(int32(1)),
			olds: []*api.ReplicaSet{rev("a", "3", 0).Name("r3").Obj(), rev("b", "1", 1).Name("r1").Obj(), rev("c", "2", 2).Name("r2").Obj()},
			want: []string{"r1", "r2"},
		},
		{
			name: "limit zero deletes every old one", limit: ptr(int32(0)),
			olds: []*api.ReplicaSet{rev("a", "1", 0).Name("r1").Obj(), rev("b", "2", 1).Name("r2").Obj()},
			want: []string{"r1", "r2"},
		},
		{
			name: "ones with replicas, pods or an unobserved spec are kept", limit: ptr(int32(0)),
			olds: []*api.ReplicaSet{
				rev("a", "1", 0).Name("scaled").Replicas(1).Obj(),
				rev("b", "2", 1).Name("pods-left").StatusReplicas(1).Obj(),
				rev("c", "3", 2).Name("unobserved").Generation(2).Obj(),
				rev("d", "4", 3).Name("gone").Obj(),
			},
			want: []string{"gone"},
		},
		{
			name: "ones being deleted do not count", limit: ptr(int32(1)),
			olds: []*api.ReplicaSet{rev("a", "1", 0).Name("r1").Deleting().Obj(), rev("b", "2", 1).Name("r2").Obj()},
		},
		{
			name: "no limit", limit: nil,
			olds: []*api.ReplicaSet{rev("a", "1", 0).Name("r1").Obj()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := makeDeployment("web").Obj()
			d.Spec.RevisionHistoryLimit = tt.limit
			if diff := cmp.Diff(tt.want, names(historyToDelete(d, tt.olds))); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
		})
	}
}
