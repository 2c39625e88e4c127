package schedbench

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/apibench"
)

func TestParseSizes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Size
		wantErr bool
	}{
		{name: "defaults", in: "100x2000,1000x10000,5000x10000", want: DefaultSizes},
		{name: "spaces and empty parts", in: " 5x50 ,,", want: []Size{{5, 50}}},
		{name: "empty", in: "", wantErr: true},
		{name: "no x", in: "100", wantErr: true},
		{name: "no pods", in: "100x", wantErr: true},
		{name: "zero nodes", in: "0x10", wantErr: true},
		{name: "negative pods", in: "10x-1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSizes(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseSizes(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSizes(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestSizeNames(t *testing.T) {
	s := Size{Nodes: 5000, Pods: 10000}
	if got, want := s.Name(), "n5000_m10000"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if got, want := s.String(), "5000x10000"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestFigures(t *testing.T) {
	m := &measurement{
		pods:          2000,
		firstBind:     25 * time.Millisecond,
		lastBind:      4 * time.Second,
		createElapsed: 2 * time.Second,
		nodeElapsed:   500 * time.Millisecond,
		latencies:     []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 1500 * time.Microsecond},
	}
	want := []apibench.Figure{
		{Name: "sched_n100_m2000_pods_per_s", Value: 500, Unit: "pods/s"},
		{Name: "sched_n100_m2000_first_bind_ms", Value: 25, Unit: "ms"},
		{Name: "sched_n100_m2000_p50_ms", Value: 10, Unit: "ms"},
		{Name: "sched_n100_m2000_p99_ms", Value: 20, Unit: "ms"},
		{Name: "sched_n100_m2000_creates_per_s", Value: 1000, Unit: "pods/s"},
		{Name: "sched_n100_m2000_node_creates_per_s", Value: 200, Unit: "nodes/s"},
	}
	if diff := cmp.Diff(want, m.figures(Size{100, 2000})); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	rss := SchedulerRSSFigure(Size{1000, 10000}, 42.5)
	if diff := cmp.Diff(apibench.Figure{Name: "scheduler_rss_after_n1000_m10000", Value: 42.5, Unit: "MiB"}, rss); diff != "" {
		t.Errorf("SchedulerRSSFigure (-want +got):\n%s", diff)
	}
}

func TestFiguresOfNothingAreZero(t *testing.T) {
	for _, f := range (&measurement{}).figures(Size{1, 1}) {
		if f.Value != 0 {
			t.Errorf("%s = %v for an empty measurement, want 0", f.Name, f.Value)
		}
	}
}
