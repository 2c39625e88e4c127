package runtime

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMilliCPUToShares(t *testing.T) {
	for _, tc := range []struct {
		name  string
		milli int64
		want  uint64
	}{
		{"none", 0, MinShares},
		{"negative", -5, MinShares},
		{"tiny rounds up to the minimum", 1, MinShares},
		{"smallest above the minimum", 3, 3},
		{"quarter", 250, 256},
		{"one CPU", 1000, 1024},
		{"two and a half", 2500, 2560},
		{"huge is capped", 1_000_000, MaxShares},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MilliCPUToShares(tc.milli); got != tc.want {
				t.Errorf("MilliCPUToShares(%d) = %d, want %d", tc.milli, got, tc.want)
			}
		})
	}
}

func TestMilliCPUToQuota(t *testing.T) {
	for _, tc := range []struct {
		name   string
		milli  int64
		period uint64
		want   int64
	}{
		{"no limit", 0, QuotaPeriod, 0},
		{"no period", 500, 0, 0},
		{"half a CPU", 500, QuotaPeriod, 50000},
		{"one CPU", 1000, QuotaPeriod, 100000},
		{"two CPUs", 2000, QuotaPeriod, 200000},
		{"one millicore is raised to the minimum", 1, QuotaPeriod, MinQuota},
		{"other period", 250, 200000, 50000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MilliCPUToQuota(tc.milli, tc.period); got != tc.want {
				t.Errorf("MilliCPUToQuota(%d, %d) = %d, want %d", tc.milli, tc.period, got, tc.want)
			}
		})
	}
}

func TestResourcesFor(t *testing.T) {
	for _, tc := range []struct {
		name                string
		request, limit, mem int64
		want                Resources
	}{
		{"best effort", 0, 0, 0, Resources{CPUShares: MinShares}},
		{"request only", 100, 0, 0, Resources{CPUShares: 102}},
		{"limit only: shares from the limit", 0, 500, 0, Resources{CPUShares: 512, CPUQuota: 50000, CPUPeriod: QuotaPeriod}},
		{"request and limit", 250, 1000, 64 << 20, Resources{CPUShares: 256, CPUQuota: 100000, CPUPeriod: QuotaPeriod, MemoryLimit: 64 << 20}},
		{"memory only", 0, 0, 16 << 20, Resources{CPUShares: MinShares, MemoryLimit: 16 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ResourcesFor(tc.request, tc.limit, tc.mem)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ResourcesFor(%d, %d, %d) (-want +got):\n%s", tc.request, tc.limit, tc.mem, diff)
			}
		})
	}
}
