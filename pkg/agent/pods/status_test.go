package pods

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestBackoff(t *testing.T) {
	b := newBackoff(10*time.Second, 5*time.Minute)
	now := epoch
	if in, _ := b.InBackOffSince("c", now, now); in {
		t.Fatal("in back-off before any event")
	}
	var delays []time.Duration
	for range 7 {
		b.Next("c", now, now)
		delays = append(delays, b.Delay("c"))
		in, end := b.InBackOffSince("c", now, now.Add(time.Second))
		if !in || !end.Equal(now.Add(b.Delay("c"))) {
			t.Errorf("InBackOffSince = %v, %v", in, end)
		}
		now = end
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 300 * time.Second, 300 * time.Second}
	if diff := cmp.Diff(want, delays); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	// Quiet for more than 2*max: start over.
	later := now.Add(11 * time.Minute)
	if in, _ := b.InBackOffSince("c", later, later); in {
		t.Error("in back-off after 11 quiet minutes")
	}
	b.Next("c", later, later)
	if d := b.Delay("c"); d != 10*time.Second {
		t.Errorf("delay after the reset = %s", d)
	}
	if in, end := b.InBackOffSinceUpdate("c", later.Add(5*time.Second)); !in || !end.Equal(later.Add(10*time.Second)) {
		t.Errorf("InBackOffSinceUpdate = %v, %v", in, end)
	}
	b.Reset("c")
	if b.Delay("c") != 0 {
		t.Error("Reset kept the delay")
	}
}

func TestPodPhase(t *testing.T) {
	running := api.ContainerState{Running: &api.ContainerStateRunning{}}
	waiting := api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonContainerCreating}}
	exited := func(code int32) api.ContainerState {
		return api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code}}
	}
	crashing := api.ContainerStatus{State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff}}, LastState: exited(1)}
	cs := func(states ...api.ContainerState) []api.ContainerStatus {
		var out []api.ContainerStatus
		for _, s := range states {
			out = append(out, api.ContainerStatus{State: s})
		}
		return out
	}
	tests := []struct {
		name   string
		policy string
		init   []api.ContainerStatus
		ctrs   []api.ContainerStatus
		final  bool
		want   string
	}{
		{"creating", api.RestartPolicyAlways, nil, cs(waiting), false, api.PodPending},
		{"one still creating", api.RestartPolicyAlways, nil, cs(running, waiting), false, api.PodPending},
		{"all running", api.RestartPolicyAlways, nil, cs(running, running), false, api.PodRunning},
		{"one exited, one running", api.RestartPolicyNever, nil, cs(running, exited(1)), false, api.PodRunning},
		{"crash loop", api.RestartPolicyAlways, nil, []api.ContainerStatus{crashing}, false, api.PodRunning},
		{"Always exited", api.RestartPolicyAlways, nil, cs(exited(0)), false, api.PodRunning},
		{"Never succeeded", api.RestartPolicyNever, nil, cs(exited(0), exited(0)), false, api.PodSucceeded},
		{"Never failed", api.RestartPolicyNever, nil, cs(exited(0), exited(2)), false, api.PodFailed},
		{"OnFailure restarting", api.RestartPolicyOnFailure, nil, []api.ContainerStatus{crashing}, false, api.PodRunning},
		{"OnFailure succeeded", api.RestartPolicyOnFailure, nil, cs(exited(0)), false, api.PodSucceeded},
		{"init running", api.RestartPolicyAlways, cs(running), cs(waiting), false, api.PodPending},
		{"init failed, Never", api.RestartPolicyNever, cs(exited(1)), cs(waiting), false, api.PodFailed},
		{"init failed, Always", api.RestartPolicyAlways, []api.ContainerStatus{crashing}, cs(waiting), false, api.PodPending},
		{"final, all completed", api.RestartPolicyAlways, nil, cs(exited(0)), true, api.PodSucceeded},
		{"final, killed", api.RestartPolicyAlways, nil, cs(exited(0), exited(143)), true, api.PodFailed},
		{"final, never started", api.RestartPolicyAlways, nil, cs(waiting), true, api.PodFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &api.Pod{Spec: api.PodSpec{RestartPolicy: tt.policy}}
			st := &api.PodStatus{InitContainerStatuses: tt.init, ContainerStatuses: tt.ctrs}
			if got := podPhase(pod, st, tt.final); got != tt.want {
				t.Errorf("phase = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConditionsReadinessGates(t *testing.T) {
	pod := &api.Pod{Spec: api.PodSpec{ReadinessGates: []api.PodReadinessGate{{ConditionType: "example.com/lb"}}}}
	st := &api.PodStatus{Phase: api.PodRunning, ContainerStatuses: []api.ContainerStatus{{Name: "a", Ready: true}}}
	conds := conditions(pod, st, nil, epoch)
	if c := findCondition(conds, api.PodReady); c.Status != api.ConditionFalse || c.Reason != ReasonReadinessGatesNotReady {
		t.Errorf("Ready without the gate's condition = %+v", c)
	}
	if c := findCondition(conds, api.ContainersReady); c.Status != api.ConditionTrue {
		t.Errorf("ContainersReady = %+v", c)
	}
	pod.Status.Conditions = []api.PodCondition{{Type: "example.com/lb", Status: api.ConditionTrue}}
	later := conditions(pod, st, conds, epoch.Add(time.Minute))
	if c := findCondition(later, api.PodReady); c.Status != api.ConditionTrue || !c.LastTransitionTime.Equal(epoch.Add(time.Minute)) {
		t.Errorf("Ready with the gate True = %+v", c)
	}
	if c := findCondition(later, api.ContainersReady); !c.LastTransitionTime.Equal(epoch) {
		t.Errorf("ContainersReady moved its lastTransitionTime without a transition: %+v", c)
	}
}

func TestMergeStatus(t *testing.T) {
	t0, t1 := api.NewTime(epoch), api.NewTime(epoch.Add(time.Minute))
	old := api.PodStatus{
		Phase:             api.PodPending,
		NominatedNodeName: "node-1",
		Conditions: []api.PodCondition{
			{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: t0},
			{Type: api.PodReady, Status: api.ConditionFalse, LastTransitionTime: t0},
			{Type: "example.com/lb", Status: api.ConditionTrue, LastTransitionTime: t0},
		},
	}
	status := api.PodStatus{
		Phase: api.PodRunning,
		Conditions: []api.PodCondition{
			{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: t1},
			{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: t1},
		},
	}
	got := MergeStatus(old, status)
	want := api.PodStatus{
		Phase:             api.PodRunning,
		NominatedNodeName: "node-1",
		Conditions: []api.PodCondition{
			{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: t1},
			{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: t0},
			{Type: "example.com/lb", Status: api.ConditionTrue, LastTransitionTime: t0},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MergeStatus (-want +got):\n%s", diff)
	}
}
