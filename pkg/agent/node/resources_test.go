package node

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

func list(kv ...string) api.ResourceList {
	l := api.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[kv[i]] = resource.MustParse(kv[i+1])
	}
	return l
}

func TestCapacity(t *testing.T) {
	tests := []struct {
		name    string
		facts   hostFacts
		maxPods int
		want    string
	}{
		{
			name:    "cpu memory pods",
			facts:   hostFacts{CPUs: 4, MemoryBytes: 8 << 30},
			maxPods: 110,
			want:    `{"cpu":"4","memory":"8Gi","pods":"110"}`,
		},
		{
			name:    "memory in kibibytes as /proc/meminfo gives it",
			facts:   hostFacts{CPUs: 2, MemoryBytes: 24684084 * 1024},
			maxPods: 20,
			want:    `{"cpu":"2","memory":"24684084Ki","pods":"20"}`,
		},
		{
			name:    "disk is ephemeral-storage",
			facts:   hostFacts{CPUs: 1, MemoryBytes: 1 << 30, DiskBytes: 100 << 30},
			maxPods: 110,
			want:    `{"cpu":"1","ephemeral-storage":"100Gi","memory":"1Gi","pods":"110"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(capacity(tt.facts, tt.maxPods))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("capacity (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllocatable(t *testing.T) {
	capacity := list("cpu", "4", "memory", "8Gi", "pods", "110")
	tests := []struct {
		name     string
		capacity api.ResourceList
		reserved api.ResourceList
		want     api.ResourceList
	}{
		{
			name:     "nothing reserved",
			capacity: capacity,
			want:     list("cpu", "4", "memory", "8Gi", "pods", "110"),
		},
		{
			name:     "cpu and memory reserved",
			capacity: capacity,
			reserved: list("cpu", "500m", "memory", "1Gi"),
			want:     list("cpu", "3500m", "memory", "7Gi", "pods", "110"),
		},
		{
			name:     "decimal reservation of binary memory",
			capacity: capacity,
			reserved: list("memory", "1G"),
			want:     list("cpu", "4", "memory", "7589934592", "pods", "110"),
		},
		{
			name:     "more reserved than there is gives zero",
			capacity: capacity,
			reserved: list("cpu", "8", "memory", "16Gi"),
			want:     list("cpu", "0", "memory", "0", "pods", "110"),
		},
		{
			name:     "reservation of a resource the node lacks is ignored",
			capacity: capacity,
			reserved: list("ephemeral-storage", "10Gi"),
			want:     list("cpu", "4", "memory", "8Gi", "pods", "110"),
		},
		{
			name:     "ephemeral storage",
			capacity: list("cpu", "1", "memory", "1Gi", "pods", "110", "ephemeral-storage", "100Gi"),
			reserved: list("ephemeral-storage", "10Gi"),
			want:     list("cpu", "1", "memory", "1Gi", "pods", "110", "ephemeral-storage", "90Gi"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(tt.capacity)
			got := allocatable(tt.capacity, tt.reserved)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("allocatable (-want +got):\n%s", diff)
			}
			if after, _ := json.Marshal(tt.capacity); string(after) != string(before) {
				t.Errorf("allocatable changed capacity: %s, was %s", after, before)
			}
		})
	}
}

func TestAllocatableFormat(t *testing.T) {
	got, err := json.Marshal(allocatable(list("cpu", "4", "memory", "8Gi"), list("cpu", "500m", "memory", "512Mi")))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"cpu":"3500m","memory":"7680Mi"}`; string(got) != want {
		t.Errorf("allocatable = %s, want %s", got, want)
	}
}
