package apibench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // reversed: percentile sorts
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{name: "none", in: nil, p: 50, want: 0},
		{name: "one", in: []time.Duration{7}, p: 99, want: 7},
		{name: "p50 of 100", in: hundred, p: 50, want: 50 * time.Millisecond},
		{name: "p99 of 100", in: hundred, p: 99, want: 99 * time.Millisecond},
		{name: "p100 of 100", in: hundred, p: 100, want: 100 * time.Millisecond},
		{name: "p0 is the least", in: hundred, p: 0, want: time.Millisecond},
		{name: "p50 of 3", in: []time.Duration{3, 1, 2}, p: 50, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("Percentile(p%d) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
	if hundred[0] != 100*time.Millisecond {
		t.Errorf("percentile sorted its input in place")
	}
}
