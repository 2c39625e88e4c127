package replicaset

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestComputeStatus(t *testing.T) {
	now := t0
	quota := errors.New(`pods "web-x" is forbidden: exceeded quota: q`)
	failure := api.ReplicaSetCondition{Type: ReplicaFailure, Status: api.ConditionTrue,
		LastTransitionTime: api.NewTime(now.Add(-time.Minute)), Reason: ReasonFailedCreate, Message: "earlier"}
	withMinReady := func(s int32) func(*api.ReplicaSet) { return func(rs *api.ReplicaSet) { rs.Spec.MinReadySeconds = s } }
	withFailure := func(rs *api.ReplicaSet) { rs.Status.Conditions = []api.ReplicaSetCondition{failure} }

	tests := []struct {
		name        string
		replicas    int32
		setup       []func(*api.ReplicaSet)
		pods        []*api.Pod
		manageErr   error
		want        api.ReplicaSetStatus
		wantRecheck time.Duration
	}{
		{
			name:     "no pods",
			replicas: 3,
			want:     api.ReplicaSetStatus{},
		},
		{
			name:     "counts pods, fully labelled ones and ready ones",
			replicas: 3,
			pods: []*api.Pod{
				makePod("a").labels("app", "web").ready(now.Add(-time.Second)).obj(),
				makePod("b").labels("app", "web", "extra", "x").obj(),
				// A pod without all of the template's labels (possible when the
				// selector asks for fewer) is not fully labelled.
				makePod("c").labels("other", "y").ready(now).obj(),
			},
			want: api.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2},
		},
		{
			name:     "minReadySeconds: ready long enough is available, the rest is rechecked when it will be",
			replicas: 3,
			setup:    []func(*api.ReplicaSet){withMinReady(10)},
			pods: []*api.Pod{
				makePod("a").labels("app", "web").ready(now.Add(-time.Minute)).obj(),
				makePod("b").labels("app", "web").ready(now.Add(-4 * time.Second)).obj(),
				makePod("c").labels("app", "web").ready(now.Add(-8 * time.Second)).obj(),
			},
			want:        api.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 1},
			wantRecheck: 2*time.Second + availabilityMargin,
		},
		{
			name:     "minReadySeconds: exactly minReadySeconds is not yet available",
			replicas: 1,
			setup:    []func(*api.ReplicaSet){withMinReady(10)},
			pods:     []*api.Pod{makePod("a").labels("app", "web").ready(now.Add(-10 * time.Second)).obj()},
			want:     api.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ReadyReplicas: 1},
			// Due now: checked again just after.
			wantRecheck: availabilityMargin,
		},
		{
			name:     "not ready pods are neither ready nor available and need no recheck",
			replicas: 1,
			setup:    []func(*api.ReplicaSet){withMinReady(10)},
			pods:     []*api.Pod{makePod("a").labels("app", "web").notReady().obj()},
			want:     api.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1},
		},
		{
			name:      "a failed create sets ReplicaFailure with reason FailedCreate",
			replicas:  3,
			pods:      []*api.Pod{makePod("a").labels("app", "web").obj()},
			manageErr: quota,
			want: api.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, Conditions: []api.ReplicaSetCondition{{
				Type: ReplicaFailure, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(now),
				Reason: ReasonFailedCreate, Message: quota.Error()}}},
		},
		{
			name:      "a failed delete sets reason FailedDelete",
			replicas:  0,
			pods:      []*api.Pod{makePod("a").labels("app", "web").obj()},
			manageErr: errors.New("nope"),
			want: api.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, Conditions: []api.ReplicaSetCondition{{
				Type: ReplicaFailure, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(now),
				Reason: ReasonFailedDelete, Message: "nope"}}},
		},
		{
			name:      "an existing ReplicaFailure is kept as it is while failures go on",
			replicas:  3,
			setup:     []func(*api.ReplicaSet){withFailure},
			manageErr: quota,
			want:      api.ReplicaSetStatus{Conditions: []api.ReplicaSetCondition{failure}},
		},
		{
			name:     "a reconcile without failure clears ReplicaFailure",
			replicas: 0,
			setup:    []func(*api.ReplicaSet){withFailure},
			want:     api.ReplicaSetStatus{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := makeRS("web", tt.replicas)
			for _, f := range tt.setup {
				f(rs)
			}
			before := api.DeepCopy(rs)
			got, recheck := computeStatus(rs, tt.pods, tt.manageErr, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if recheck != tt.wantRecheck {
				t.Errorf("recheck = %v, want %v", recheck, tt.wantRecheck)
			}
			if diff := cmp.Diff(before, rs); diff != "" {
				t.Errorf("computeStatus changed the ReplicaSet (-before +after):\n%s", diff)
			}
		})
	}
}

func TestStatusUnchanged(t *testing.T) {
	rs := makeRS("web", 3)
	rs.Generation = 2
	rs.Status = api.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 2}
	tests := []struct {
		name   string
		change func(rs *api.ReplicaSet, st *api.ReplicaSetStatus)
		want   bool
	}{
		{"same", func(*api.ReplicaSet, *api.ReplicaSetStatus) {}, true},
		{"observedGeneration differs from the object's own", func(_ *api.ReplicaSet, st *api.ReplicaSetStatus) { st.ObservedGeneration = 5 }, true},
		{"a new generation", func(rs *api.ReplicaSet, _ *api.ReplicaSetStatus) { rs.Generation = 3 }, false},
		{"replicas", func(_ *api.ReplicaSet, st *api.ReplicaSetStatus) { st.Replicas = 2 }, false},
		{"fullyLabeledReplicas", func(_ *api.ReplicaSet, st *api.ReplicaSetStatus) { st.FullyLabeledReplicas = 2 }, false},
		{"readyReplicas", func(_ *api.ReplicaSet, st *api.ReplicaSetStatus) { st.ReadyReplicas = 2 }, false},
		{"availableReplicas", func(_ *api.ReplicaSet, st *api.ReplicaSetStatus) { st.AvailableReplicas = 2 }, false},
		{"conditions", func(_ *api.ReplicaSet, st *api.ReplicaSetStatus) {
			st.Conditions = []api.ReplicaSetCondition{{Type: ReplicaFailure, Status: api.ConditionTrue}}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := api.DeepCopy(rs)
			st := rs.Status
			tt.change(rs, &st)
			if got := statusUnchanged(rs, st); got != tt.want {
				t.Errorf("statusUnchanged = %v, want %v", got, tt.want)
			}
		})
	}
}
