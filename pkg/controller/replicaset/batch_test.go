package replicaset

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBatchSizes(t *testing.T) {
	tests := []struct {
		name           string
		count, initial int
		want           []int
	}{
		{"none", 0, 1, nil},
		{"one", 1, 1, []int{1}},
		{"two", 2, 1, []int{1, 1}},
		{"three", 3, 1, []int{1, 2}},
		{"ten", 10, 1, []int{1, 2, 4, 3}},
		{"fifteen", 15, 1, []int{1, 2, 4, 8}},
		{"larger first batch", 10, 4, []int{4, 6}},
		{"burst", 500, 1, []int{1, 2, 4, 8, 16, 32, 64, 128, 245}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, batchSizes(tt.count, tt.initial)); diff != "" {
				t.Errorf("batchSizes(%d, %d) (-want +got):\n%s", tt.count, tt.initial, diff)
			}
		})
	}
}

func TestSlowStartBatch(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name          string
		count         int
		failFrom      int64 // calls numbered from 1 fail from this one on; 0: none fail
		wantSuccesses int
		wantCalls     int64
		wantErr       error
	}{
		{name: "all succeed", count: 10, wantSuccesses: 10, wantCalls: 10},
		{name: "the first call fails: nothing more is sent", count: 10, failFrom: 1, wantSuccesses: 0, wantCalls: 1, wantErr: boom},
		{name: "a failure in the second batch stops after it", count: 10, failFrom: 3, wantSuccesses: 2, wantCalls: 3, wantErr: boom},
		{name: "a failure in the third batch", count: 10, failFrom: 7, wantSuccesses: 6, wantCalls: 7, wantErr: boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			got, err := slowStartBatch(tt.count, 1, func() error {
				if n := calls.Add(1); tt.failFrom > 0 && n >= tt.failFrom {
					return boom
				}
				return nil
			})
			if got != tt.wantSuccesses || !errors.Is(err, tt.wantErr) || calls.Load() != tt.wantCalls {
				t.Errorf("slowStartBatch = %d, %v after %d calls; want %d, %v after %d calls",
					got, err, calls.Load(), tt.wantSuccesses, tt.wantErr, tt.wantCalls)
			}
		})
	}
}
