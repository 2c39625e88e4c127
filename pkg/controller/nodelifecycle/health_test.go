package nodelifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestHeartbeatsObserve(t *testing.T) {
	type step struct {
		now          time.Duration // since t0, by the local clock
		ready, lease time.Time     // the node's values (from its own clock)
		want         time.Duration // the latest heartbeat, as observed locally
	}
	remote := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC) // a node clock years off
	tests := []struct {
		name  string
		steps []step
	}{
		{"first sight counts as a heartbeat", []step{{now: 5 * time.Second, want: 5 * time.Second}}},
		{"unchanged values are no heartbeat", []step{
			{now: 0, ready: remote, lease: remote, want: 0},
			{now: 30 * time.Second, ready: remote, lease: remote, want: 0},
		}},
		{"a renewed lease is a heartbeat", []step{
			{now: 0, ready: remote, lease: remote, want: 0},
			{now: 10 * time.Second, ready: remote, lease: remote.Add(10 * time.Second), want: 10 * time.Second},
			{now: 20 * time.Second, ready: remote, lease: remote.Add(10 * time.Second), want: 10 * time.Second},
		}},
		{"a new Ready heartbeat is a heartbeat", []step{
			{now: 0, ready: remote, want: 0},
			{now: 15 * time.Second, ready: remote.Add(time.Minute), want: 15 * time.Second},
		}},
		{"a node clock going backwards still beats", []step{
			{now: 0, lease: remote, want: 0},
			{now: 10 * time.Second, lease: remote.Add(-time.Hour), want: 10 * time.Second},
		}},
		{"a deleted lease is no heartbeat", []step{
			{now: 0, lease: remote, want: 0},
			{now: 10 * time.Second, want: 0},
			{now: 20 * time.Second, lease: remote, want: 20 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHeartbeats()
			for i, s := range tt.steps {
				if got := h.observe("n1", s.ready, s.lease, at(s.now)); !got.Equal(at(s.want)) {
					t.Fatalf("step %d: latest heartbeat = t0+%v, want t0+%v", i, got.Sub(t0), s.want)
				}
			}
		})
	}
}

func TestHeartbeatsForget(t *testing.T) {
	h := newHeartbeats()
	h.observe("n1", time.Time{}, t0, at(0))
	h.forget("n1")
	if got := h.observe("n1", time.Time{}, t0, at(time.Minute)); !got.Equal(at(time.Minute)) {
		t.Errorf("a forgotten node seen again: latest heartbeat = t0+%v, want t0+1m (a first sighting)", got.Sub(t0))
	}
}

func TestGracePeriod(t *testing.T) {
	o := Options{MonitorGracePeriod: 40 * time.Second, StartupGracePeriod: time.Minute}
	if got := o.gracePeriod(makeNode("n").obj()); got != time.Minute {
		t.Errorf("node without Ready: grace %v, want the startup grace period 1m", got)
	}
	if got := o.gracePeriod(makeNode("n").cond(api.NodeReady, api.ConditionFalse).obj()); got != 40*time.Second {
		t.Errorf("node with Ready: grace %v, want 40s", got)
	}
}

func TestMarkUnknown(t *testing.T) {
	now := at(time.Minute)
	heartbeat := api.NewTime(at(0))
	unknown := func(typ string) api.NodeCondition {
		return api.NodeCondition{Type: typ, Status: api.ConditionUnknown, Reason: reasonStatusUnknown, Message: messageStatusUnknown,
			LastHeartbeatTime: heartbeat, LastTransitionTime: api.NewTime(now)}
	}
	never := func(typ string) api.NodeCondition {
		return api.NodeCondition{Type: typ, Status: api.ConditionUnknown, Reason: reasonStatusNeverUpdated, Message: messageNeverUpdated,
			LastTransitionTime: api.NewTime(now)}
	}
	reported := func(typ, status string) api.NodeCondition {
		return api.NodeCondition{Type: typ, Status: status, Reason: "KubeletReady", LastHeartbeatTime: heartbeat}
	}
	network := api.NodeCondition{Type: api.NodeNetworkUnavailable, Status: api.ConditionFalse}
	tests := []struct {
		name        string
		in, want    []api.NodeCondition
		wantChanged bool
	}{
		{
			name: "reported conditions turn Unknown, heartbeats kept, others untouched",
			in: []api.NodeCondition{reported(api.NodeReady, api.ConditionTrue), reported(api.NodeMemoryPressure, api.ConditionFalse),
				reported(api.NodeDiskPressure, api.ConditionFalse), reported(api.NodePIDPressure, api.ConditionFalse), network},
			want: []api.NodeCondition{unknown(api.NodeReady), unknown(api.NodeMemoryPressure), unknown(api.NodeDiskPressure),
				unknown(api.NodePIDPressure), network},
			wantChanged: true,
		},
		{
			name:        "missing conditions are added as never updated",
			in:          []api.NodeCondition{reported(api.NodeReady, api.ConditionFalse)},
			want:        []api.NodeCondition{unknown(api.NodeReady), never(api.NodeMemoryPressure), never(api.NodeDiskPressure), never(api.NodePIDPressure)},
			wantChanged: true,
		},
		{
			name: "already Unknown: nothing to write",
			in:   []api.NodeCondition{unknown(api.NodeReady), unknown(api.NodeMemoryPressure), unknown(api.NodeDiskPressure), unknown(api.NodePIDPressure)},
			want: []api.NodeCondition{unknown(api.NodeReady), unknown(api.NodeMemoryPressure), unknown(api.NodeDiskPressure), unknown(api.NodePIDPressure)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := api.NodeStatus{Conditions: tt.in}
			changed := markUnknown(&s, now)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if diff := cmp.Diff(tt.want, s.Conditions); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}
