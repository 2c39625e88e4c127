package workqueue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// whens calls when once per item at the same instant and returns the delays.
func whens(r *rateLimiter[string], now time.Time, items ...string) []time.Duration {
	var got []time.Duration
	for _, item := range items {
		got = append(got, r.when(item, now))
	}
	return got
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		calls int
		want  []time.Duration
	}{
		{
			name:  "defaults double from 5ms",
			calls: 5,
			want: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond,
				20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond},
		},
		{
			name:  "capped at MaxDelay",
			opts:  Options{BaseDelay: time.Second, MaxDelay: 10 * time.Second},
			calls: 6,
			want: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second,
				8 * time.Second, 10 * time.Second, 10 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tt.opts.Clock = clock
			r := newRateLimiter[string](tt.opts)
			var got []time.Duration
			for range tt.calls {
				got = append(got, r.when("a", clock.Now()))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoffDoesNotOverflow(t *testing.T) {
	clock := newFakeClock()
	r := newRateLimiter[string](Options{QPS: 1e9, Burst: 1e6, Clock: clock})
	var last time.Duration
	for range 1000 {
		last = r.when("a", clock.Now())
	}
	if last != DefaultMaxDelay {
		t.Errorf("delay after 1000 failures = %v, want %v", last, DefaultMaxDelay)
	}
}

func TestForget(t *testing.T) {
	clock := newFakeClock()
	r := newRateLimiter[string](Options{Clock: clock})
	got := whens(r, clock.Now(), "a", "a", "b", "a")
	want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if n := r.numRequeues("a"); n != 3 {
		t.Errorf("numRequeues(a) = %d, want 3", n)
	}
	r.forget("a")
	if n := r.numRequeues("a"); n != 0 {
		t.Errorf("numRequeues(a) after forget = %d, want 0", n)
	}
	if diff := cmp.Diff([]time.Duration{5 * time.Millisecond, 10 * time.Millisecond}, whens(r, clock.Now(), "a", "b")); diff != "" {
		t.Errorf("delays after forget(a) (-want +got):\n%s", diff)
	}
}

func TestBucket(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name  string
		after time.Duration // clock advance before these calls
		items []string
		want  []time.Duration
	}{
		{name: "burst passes, then one token per second", items: []string{"a", "b", "c", "d"},
			want: []time.Duration{ms, ms, time.Second, 2 * time.Second}},
		{name: "debt is paid back before refilling", after: time.Second, items: []string{"e"},
			want: []time.Duration{2 * time.Second}},
		{name: "refills up to burst only", after: time.Hour, items: []string{"f", "g", "h"},
			want: []time.Duration{ms, ms, time.Second}},
		{name: "per-item back-off wins when longer", after: time.Hour, items: []string{"a"},
			want: []time.Duration{2 * ms}},
	}
	// The cases run in order against one limiter: the bucket carries over.
	clock := newFakeClock()
	r := newRateLimiter[string](Options{BaseDelay: ms, QPS: 1, Burst: 2, Clock: clock})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Step(tt.after)
			if diff := cmp.Diff(tt.want, whens(r, clock.Now(), tt.items...)); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddRateLimited(t *testing.T) {
	q, clock := newTestQueue(t, Options{})
	q.AddRateLimited("a")
	clock.Step(5 * time.Millisecond)
	mustGet(t, q)
	q.AddRateLimited("a") // failed again: 10ms, re-queued once Done
	q.Done("a")
	clock.Step(10 * time.Millisecond)
	mustGet(t, q)
	if n := q.NumRequeues("a"); n != 2 {
		t.Errorf("NumRequeues(a) = %d, want 2", n)
	}
	q.Forget("a")
	q.Done("a")
	if n := q.NumRequeues("a"); n != 0 {
		t.Errorf("NumRequeues(a) after Forget = %d, want 0", n)
	}
	if m := q.Metrics(); m.Retries != 2 {
		t.Errorf("Metrics().Retries = %d, want 2", m.Retries)
	}
}
