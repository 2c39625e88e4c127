package node

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

// timeEqual lets cmp compare api.Time values by instant.
var timeEqual = cmp.Comparer(func(a, b api.Time) bool { return a.Equal(b.Time) })

// healthy are host facts without any pressure.
var healthy = hostFacts{
	CPUs: 4, MemoryBytes: 8 << 30, MemoryAvailableBytes: 6 << 30,
	DiskBytes: 100 << 30, DiskAvailableBytes: 50 << 30, PIDMax: 4194304, PIDsInUse: 300,
}

func cond(typ, status, reason, message string) api.NodeCondition {
	return api.NodeCondition{Type: typ, Status: status, Reason: reason, Message: message}
}

var (
	networkOK  = cond("NetworkUnavailable", "False", "NetworkReady", "pod network is configured")
	memoryOK   = cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "node agent has sufficient memory available")
	diskOK     = cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "node agent has no disk pressure")
	pidOK      = cond("PIDPressure", "False", "KubeletHasSufficientPID", "node agent has sufficient PID available")
	readyTrue  = cond("Ready", "True", "KubeletReady", "node agent is posting ready status")
	allHealthy = []api.NodeCondition{networkOK, memoryOK, diskOK, pidOK, readyTrue}
)

func TestDesiredConditions(t *testing.T) {
	with := func(f func(*hostFacts)) *hostFacts {
		c := healthy
		f(&c)
		return &c
	}
	tests := []struct {
		name string
		obs  observation
		want []api.NodeCondition
	}{
		{
			name: "healthy",
			obs:  observation{facts: &healthy},
			want: allHealthy,
		},
		{
			name: "healthy with passing checks",
			obs:  observation{facts: &healthy, network: &checkResult{ok: true}, ready: &checkResult{ok: true}},
			want: allHealthy,
		},
		{
			name: "runtime down",
			obs:  observation{facts: &healthy, runtimeErr: errors.New("connection refused")},
			want: []api.NodeCondition{networkOK, memoryOK, diskOK, pidOK,
				cond("Ready", "False", "KubeletNotReady", "container runtime is down: connection refused")},
		},
		{
			name: "network not ready",
			obs:  observation{facts: &healthy, network: &checkResult{message: "no pod CIDR yet"}},
			want: []api.NodeCondition{
				cond("NetworkUnavailable", "True", "NetworkPluginNotReady", "no pod CIDR yet"),
				memoryOK, diskOK, pidOK,
				cond("Ready", "False", "NetworkPluginNotReady", "container runtime network not ready: no pod CIDR yet")},
		},
		{
			name: "network not ready with its own reason",
			obs:  observation{facts: &healthy, network: &checkResult{reason: "CNIConfigMissing", message: "no conflist"}},
			want: []api.NodeCondition{
				cond("NetworkUnavailable", "True", "CNIConfigMissing", "no conflist"),
				memoryOK, diskOK, pidOK,
				cond("Ready", "False", "CNIConfigMissing", "container runtime network not ready: no conflist")},
		},
		{
			name: "extra check fails",
			obs:  observation{facts: &healthy, ready: &checkResult{reason: "DiskReadOnly", message: "root dir is read-only"}},
			want: []api.NodeCondition{networkOK, memoryOK, diskOK, pidOK,
				cond("Ready", "False", "DiskReadOnly", "root dir is read-only")},
		},
		{
			name: "extra check fails without saying why",
			obs:  observation{facts: &healthy, ready: &checkResult{}},
			want: []api.NodeCondition{networkOK, memoryOK, diskOK, pidOK,
				cond("Ready", "False", "KubeletNotReady", "readiness check failed")},
		},
		{
			name: "several failures: the first reason, all messages",
			obs: observation{facts: &healthy, runtimeErr: errors.New("dial unix: no such file"),
				ready: &checkResult{reason: "Other", message: "other check"}},
			want: []api.NodeCondition{networkOK, memoryOK, diskOK, pidOK,
				cond("Ready", "False", "KubeletNotReady", "container runtime is down: dial unix: no such file; other check")},
		},
		{
			name: "memory pressure",
			obs:  observation{facts: with(func(f *hostFacts) { f.MemoryAvailableBytes = 99 << 20 })},
			want: []api.NodeCondition{networkOK,
				cond("MemoryPressure", "True", "KubeletHasInsufficientMemory", "node has less than 100Mi of memory available"),
				diskOK, pidOK, readyTrue},
		},
		{
			name: "exactly at the memory threshold is no pressure",
			obs:  observation{facts: with(func(f *hostFacts) { f.MemoryAvailableBytes = 100 << 20 })},
			want: allHealthy,
		},
		{
			name: "disk pressure",
			obs:  observation{facts: with(func(f *hostFacts) { f.DiskAvailableBytes = 9 << 30 })},
			want: []api.NodeCondition{networkOK, memoryOK,
				cond("DiskPressure", "True", "KubeletHasDiskPressure", "node has less than 10% of its disk available"),
				pidOK, readyTrue},
		},
		{
			name: "unknown disk is no pressure",
			obs:  observation{facts: with(func(f *hostFacts) { f.DiskBytes, f.DiskAvailableBytes = 0, 0 })},
			want: allHealthy,
		},
		{
			name: "PID pressure",
			obs:  observation{facts: with(func(f *hostFacts) { f.PIDMax, f.PIDsInUse = 32768, 30000 })},
			want: []api.NodeCondition{networkOK, memoryOK, diskOK,
				cond("PIDPressure", "True", "KubeletHasInsufficientPID", "node has less than 10% of its process IDs available"),
				readyTrue},
		},
		{
			name: "host facts unreadable: no pressure conditions",
			obs:  observation{},
			want: []api.NodeCondition{networkOK, readyTrue},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, desiredConditions(tt.obs), timeEqual); diff != "" {
				t.Errorf("desiredConditions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeConditions(t *testing.T) {
	t0 := api.NewTime(time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC))
	t1 := api.NewTime(t0.Add(10 * time.Second))
	at := func(c api.NodeCondition, heartbeat, transition api.Time) api.NodeCondition {
		c.LastHeartbeatTime, c.LastTransitionTime = heartbeat, transition
		return c
	}
	readyFalse := cond("Ready", "False", "KubeletNotReady", "container runtime is down: boom")
	readyUnknown := cond("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
	foreign := at(cond("FrequentKernelDeadlock", "False", "KernelHasNoDeadlock", "fine"), t0, t0)

	tests := []struct {
		name    string
		current []api.NodeCondition
		desired []api.NodeCondition
		want    []api.NodeCondition
	}{
		{
			name:    "new conditions: both times now",
			desired: []api.NodeCondition{memoryOK, readyTrue},
			want:    []api.NodeCondition{at(memoryOK, t1, t1), at(readyTrue, t1, t1)},
		},
		{
			name:    "same status: heartbeat moves, transition stays",
			current: []api.NodeCondition{at(readyTrue, t0, t0)},
			desired: []api.NodeCondition{readyTrue},
			want:    []api.NodeCondition{at(readyTrue, t1, t0)},
		},
		{
			name:    "status changes: transition moves",
			current: []api.NodeCondition{at(readyTrue, t0, t0)},
			desired: []api.NodeCondition{readyFalse},
			want:    []api.NodeCondition{at(readyFalse, t1, t1)},
		},
		{
			name:    "message changes without status change: transition stays",
			current: []api.NodeCondition{at(cond("Ready", "False", "KubeletNotReady", "old reason"), t0, t0)},
			desired: []api.NodeCondition{readyFalse},
			want:    []api.NodeCondition{at(readyFalse, t1, t0)},
		},
		{
			name:    "Unknown set by the node lifecycle controller back to True",
			current: []api.NodeCondition{at(readyUnknown, t0, t0)},
			desired: []api.NodeCondition{readyTrue},
			want:    []api.NodeCondition{at(readyTrue, t1, t1)},
		},
		{
			name:    "existing condition without transition time gets one",
			current: []api.NodeCondition{readyTrue},
			desired: []api.NodeCondition{readyTrue},
			want:    []api.NodeCondition{at(readyTrue, t1, t1)},
		},
		{
			name:    "conditions of others are kept in place",
			current: []api.NodeCondition{foreign, at(readyTrue, t0, t0)},
			desired: []api.NodeCondition{memoryOK, readyTrue},
			want:    []api.NodeCondition{foreign, at(readyTrue, t1, t0), at(memoryOK, t1, t1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]api.NodeCondition(nil), tt.current...)
			got := mergeConditions(tt.current, tt.desired, t1)
			if diff := cmp.Diff(tt.want, got, timeEqual); diff != "" {
				t.Errorf("mergeConditions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.current, timeEqual); diff != "" {
				t.Errorf("mergeConditions changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestConditionsChanged(t *testing.T) {
	t0 := api.NewTime(time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC))
	posted := mergeConditions(nil, allHealthy, t0)
	tests := []struct {
		name    string
		current []api.NodeCondition
		desired []api.NodeCondition
		want    bool
	}{
		{"same", posted, allHealthy, false},
		{"nothing posted yet", nil, allHealthy, true},
		{"status changed", posted, []api.NodeCondition{cond("Ready", "False", "KubeletNotReady", "x")}, true},
		{"message changed", posted, []api.NodeCondition{cond("Ready", "True", "KubeletReady", "other")}, true},
		{"a condition more", posted, append(allHealthy[:len(allHealthy):len(allHealthy)], cond("Extra", "False", "", "")), true},
		{"others' conditions do not count", append(posted, cond("Foreign", "True", "", "")), allHealthy, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionsChanged(tt.current, tt.desired); got != tt.want {
				t.Errorf("conditionsChanged = %v, want %v", got, tt.want)
			}
		})
	}
}
