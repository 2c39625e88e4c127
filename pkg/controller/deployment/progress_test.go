package deployment

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

// cond is a condition without its times, for comparisons.
type cond struct{ Type, Status, Reason string }

func conds(s api.DeploymentStatus) []cond {
	var out []cond
	for _, c := range s.Conditions {
		out = append(out, cond{c.Type, c.Status, c.Reason})
	}
	return out
}

func progressing(status, reason string, updated time.Time) api.DeploymentCondition {
	c := newCondition(api.DeploymentProgressing, status, reason, "", updated)
	return c
}

func TestCalculateStatus(t *testing.T) {
	d := makeDeployment("web").Replicas(10).Image("nginx:2").Obj() // maxUnavailable 2
	d.Generation = 4
	d.Status.CollisionCount = ptr(int32(1))
	old := makeRS(d, "nginx:1", 0).Replicas(6).Obj()
	newRS := makeRS(d, "", 1).Replicas(5).Available(2).Obj()

	got := calculateStatus([]*api.ReplicaSet{old, newRS}, newRS, d, t0)
	want := api.DeploymentStatus{
		ObservedGeneration: 4, Replicas: 11, UpdatedReplicas: 5, ReadyReplicas: 8, AvailableReplicas: 8,
		UnavailableReplicas: 3, CollisionCount: ptr(int32(1)),
		Conditions: []api.DeploymentCondition{newCondition(api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable, "Deployment has minimum availability.", t0)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	// One fewer available pod is below the minimum; the transition time moves.
	newRS.Status.AvailableReplicas = 1
	d.Status = got
	later := t0.Add(time.Minute)
	got = calculateStatus([]*api.ReplicaSet{old, newRS, nil}, newRS, d, later)
	if diff := cmp.Diff([]cond{{api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable}}, conds(got)); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if !got.Conditions[0].LastTransitionTime.Equal(later) {
		t.Errorf("lastTransitionTime = %v, want %v", got.Conditions[0].LastTransitionTime, later)
	}
}

func TestRolloutConditions(t *testing.T) {
	start := t0
	now := t0.Add(5 * time.Minute)
	type rs struct{ spec, available int32 }
	tests := []struct {
		name     string
		deadline *int32
		prev     api.DeploymentStatus
		old, new rs
		// progress makes the previous counts one ready and available pod
		// short of the current ones; otherwise they are the same.
		progress bool
		failure  bool
		want     []cond
		// wantTransition/wantUpdate are Progressing's times, if checked.
		wantTransition, wantUpdate time.Time
	}{
		{
			name: "no progress within the deadline: unchanged",
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionTrue, ReasonNewReplicaSetCreated, start)}},
			old: rs{3, 3}, new: rs{1, 0},
			want:           []cond{{api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated}, {api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}},
			wantTransition: start, wantUpdate: start,
		},
		{
			name: "progress refreshes lastUpdateTime but not lastTransitionTime",
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionTrue, ReasonNewReplicaSetCreated, start)}},
			old: rs{3, 3}, new: rs{1, 1}, progress: true,
			want:           []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}, {api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated}},
			wantTransition: start, wantUpdate: now,
		},
		{
			name: "complete",
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionTrue, ReasonReplicaSetUpdated, start)}},
			old: rs{0, 0}, new: rs{3, 3},
			want:           []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}, {api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable}},
			wantTransition: start, wantUpdate: now,
		},
		{
			name: "complete stays complete, even when a pod becomes unavailable",
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionTrue, ReasonNewReplicaSetAvailable, start)}},
			old: rs{0, 0}, new: rs{3, 2},
			want:           []cond{{api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable}, {api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable}},
			wantTransition: start, wantUpdate: start,
		},
		{
			name:     "no progress past the deadline: timed out",
			deadline: ptr(int32(60)),
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionTrue, ReasonNewReplicaSetCreated, start)}},
			old: rs{3, 3}, new: rs{1, 0},
			want:           []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}, {api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded}},
			wantTransition: now, wantUpdate: now,
		},
		{
			name:     "timed out stays so without progress",
			deadline: ptr(int32(60)),
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionFalse, ReasonProgressDeadlineExceeded, start)}},
			old: rs{3, 3}, new: rs{1, 0},
			want:           []cond{{api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded}, {api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}},
			wantTransition: start, wantUpdate: start,
		},
		{
			name:     "progress after a timeout: progressing again",
			deadline: ptr(int32(60)),
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionFalse, ReasonProgressDeadlineExceeded, start)}},
			old: rs{3, 3}, new: rs{1, 1}, progress: true,
			want:           []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}, {api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated}},
			wantTransition: now, wantUpdate: now,
		},
		{
			name:     "resumed and idle past the deadline: timed out",
			deadline: ptr(int32(60)),
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionUnknown, ReasonDeploymentResumed, start)}},
			old: rs{3, 3}, new: rs{1, 0},
			want: []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}, {api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded}},
		},
		{
			name:     "no deadline: no Progressing condition",
			deadline: ptr(int32(-1)), // stands for nil
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				progressing(api.ConditionTrue, ReasonNewReplicaSetCreated, start)}},
			old: rs{3, 3}, new: rs{1, 1},
			want: []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}},
		},
		{
			name: "a ReplicaSet's ReplicaFailure is the Deployment's",
			prev: api.DeploymentStatus{},
			old:  rs{3, 3}, new: rs{1, 0},
			failure: true,
			want:    []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}, {replicaFailure, api.ConditionTrue, "FailedCreate"}},
		},
		{
			name: "and goes when it does",
			prev: api.DeploymentStatus{Conditions: []api.DeploymentCondition{
				{Type: replicaFailure, Status: api.ConditionTrue, Reason: "FailedCreate"}}},
			old: rs{3, 3}, new: rs{1, 0},
			want: []cond{{api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable}},
		},
		{
			name: "too few available",
			prev: api.DeploymentStatus{},
			old:  rs{2, 1}, new: rs{2, 0},
			want: []cond{{api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := makeDeployment("web").Image("nginx:2").Status(tt.prev) // 3 replicas: maxUnavailable 0
			switch {
			case tt.deadline == nil:
			case *tt.deadline < 0:
				b.Deadline(nil)
			default:
				b.Deadline(tt.deadline)
			}
			d := b.Obj()
			old := makeRS(d, "nginx:1", 0).Replicas(tt.old.spec).Available(tt.old.available).Obj()
			newRS := makeRS(d, "", 1).Replicas(tt.new.spec).Available(tt.new.available).Obj()
			all := []*api.ReplicaSet{old, newRS}
			counts := calculateStatus(all, newRS, d, now)
			d.Status.Replicas, d.Status.UpdatedReplicas = counts.Replicas, counts.UpdatedReplicas
			d.Status.ReadyReplicas, d.Status.AvailableReplicas = counts.ReadyReplicas, counts.AvailableReplicas
			if tt.progress {
				d.Status.ReadyReplicas--
				d.Status.AvailableReplicas--
			}
			if tt.failure {
				newRS.Status.Conditions = []api.ReplicaSetCondition{{Type: replicaFailure, Status: api.ConditionTrue, Reason: "FailedCreate"}}
			}
			got := rolloutStatus(d, all, newRS, now)
			if diff := cmp.Diff(tt.want, conds(got)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if p := getCondition(got, api.DeploymentProgressing); p != nil && !tt.wantUpdate.IsZero() {
				if !p.LastTransitionTime.Equal(tt.wantTransition) || !p.LastUpdateTime.Equal(tt.wantUpdate) {
					t.Errorf("Progressing transition %v update %v, want %v and %v", p.LastTransitionTime, p.LastUpdateTime, tt.wantTransition, tt.wantUpdate)
				}
			}
		})
	}
}

func TestRolloutConditionMessages(t *testing.T) {
	d := makeDeployment("web").Image("nginx:2").Obj()
	newRS := makeRS(d, "", 1).Replicas(3).Obj()
	got := rolloutStatus(d, []*api.ReplicaSet{newRS}, newRS, t0)
	p := getCondition(got, api.DeploymentProgressing)
	if want := `ReplicaSet "` + newRS.Name + `" has successfully progressed.`; p == nil || p.Message != want {
		t.Errorf("Progressing = %+v, want message %q", p, want)
	}
	a := getCondition(got, api.DeploymentAvailable)
	if want := "Deployment has minimum availability."; a == nil || a.Message != want {
		t.Errorf("Available = %+v, want message %q", a, want)
	}
}

func TestPausedCondition(t *testing.T) {
	tests := []struct {
		name        string
		paused      bool
		deadline    bool
		prev        string // reason of the current Progressing condition
		wantChanged bool
		wantReason  string
	}{
		{"pausing", true, true, ReasonReplicaSetUpdated, true, ReasonDeploymentPaused},
		{"pausing with no condition yet", true, true, "", true, ReasonDeploymentPaused},
		{"still paused", true, true, ReasonDeploymentPaused, false, ReasonDeploymentPaused},
		{"resuming", false, true, ReasonDeploymentPaused, true, ReasonDeploymentResumed},
		{"not paused", false, true, ReasonReplicaSetUpdated, false, ReasonReplicaSetUpdated},
		{"a timeout is not overwritten", true, true, ReasonProgressDeadlineExceeded, false, ReasonProgressDeadlineExceeded},
		{"no deadline: no condition", true, false, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := makeDeployment("web")
			if tt.paused {
				b.Paused()
			}
			if !tt.deadline {
				b.Deadline(nil)
			}
			d := b.Obj()
			if tt.prev != "" {
				d.Status.Conditions = []api.DeploymentCondition{progressing(api.ConditionTrue, tt.prev, t0)}
			}
			if changed := pausedCondition(d, t0.Add(time.Minute)); changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			got := ""
			if p := getCondition(d.Status, api.DeploymentProgressing); p != nil {
				got = p.Reason
				if tt.wantChanged && p.Status != api.ConditionUnknown {
					t.Errorf("status = %s, want Unknown", p.Status)
				}
			}
			if got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
		})
	}
}

func TestProgressCheckAfter(t *testing.T) {
	tests := []struct {
		name      string
		reason    string
		updated   time.Duration // before now
		complete  bool
		noDeadlne bool
		want      time.Duration
		wantOK    bool
	}{
		{"deadline ahead", ReasonReplicaSetUpdated, 4 * time.Minute, false, false, 6*time.Minute + time.Second, true},
		{"deadline passed", ReasonReplicaSetUpdated, 20 * time.Minute, false, false, time.Second, true},
		{"complete", ReasonReplicaSetUpdated, time.Minute, true, false, 0, false},
		{"timed out already", ReasonProgressDeadlineExceeded, time.Minute, false, false, 0, false},
		{"no deadline", ReasonReplicaSetUpdated, time.Minute, false, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(time.Hour)
			b := makeDeployment("web") // 600 s
			if tt.noDeadlne {
				b.Deadline(nil)
			}
			d := b.Obj()
			d.Status.Conditions = []api.DeploymentCondition{progressing(api.ConditionTrue, tt.reason, now.Add(-tt.updated))}
			s := api.DeploymentStatus{ObservedGeneration: 1}
			if tt.complete {
				s = api.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}
			}
			got, ok := progressCheckAfter(d, s, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("progressCheckAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSetConditionKeepsTransitionTime(t *testing.T) {
	s := api.DeploymentStatus{}
	setCondition(&s, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated, "a", t0))
	setCondition(&s, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated, "b", t0.Add(time.Minute)))
	if p := getCondition(s, api.DeploymentProgressing); p.Message != "a" {
		t.Errorf("same status and reason replaced the condition: %+v", p)
	}
	setCondition(&s, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated, "c", t0.Add(time.Minute)))
	if p := getCondition(s, api.DeploymentProgressing); p.Message != "c" || !p.LastTransitionTime.Equal(t0) || !p.LastUpdateTime.Equal(t0.Add(time.Minute)) {
		t.Errorf("new reason, same status: %+v; want message c, transition t0, update t0+1m", p)
	}
	setCondition(&s, newCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded, "d", t0.Add(2*time.Minute)))
	if p := getCondition(s, api.DeploymentProgressing); !p.LastTransitionTime.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("new status: transition %v, want t0+2m", p.LastTransitionTime)
	}
	if len(s.Conditions) != 1 {
		t.Errorf("%d conditions, want 1", len(s.Conditions))
	}
}
