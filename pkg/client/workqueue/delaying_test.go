package workqueue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDelayerOrder(t *testing.T) {
	type insert struct {
		item  string
		after time.Duration
	}
	type pop struct {
		at   time.Duration // since the start
		want []string
	}
	tests := []struct {
		name    string
		inserts []insert
		pops    []pop
	}{
		{
			name:    "earliest first",
			inserts: []insert{{"a", 3 * time.Second}, {"b", time.Second}, {"c", 2 * time.Second}},
			pops:    []pop{{at: 5 * time.Second, want: []string{"b", "c", "a"}}},
		},
		{
			name:    "only items that are due",
			inserts: []insert{{"a", 2 * time.Second}, {"b", time.Second}},
			pops: []pop{
				{at: 0, want: nil},
				{at: time.Second, want: []string{"b"}},
				{at: 1999 * time.Millisecond, want: nil},
				{at: 2 * time.Second, want: []string{"a"}},
			},
		},
		{
			name:    "items due at the same time keep insertion order",
			inserts: []insert{{"c", time.Second}, {"a", time.Second}, {"b", time.Second}},
			pops:    []pop{{at: time.Second, want: []string{"c", "a", "b"}}},
		},
		{
			name:    "shorter delay moves a waiting item earlier",
			inserts: []insert{{"a", 10 * time.Second}, {"b", 5 * time.Second}, {"a", time.Second}},
			pops:    []pop{{at: time.Second, want: []string{"a"}}, {at: 5 * time.Second, want: []string{"b"}}},
		},
		{
			name:    "longer delay does not postpone a waiting item",
			inserts: []insert{{"a", time.Second}, {"a", 10 * time.Second}},
			pops:    []pop{{at: time.Second, want: []string{"a"}}, {at: 10 * time.Second, want: nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := newFakeClock().Now()
			d := newDelayer[string](nil, nil) // run is not started; popReady is called directly
			for _, in := range tt.inserts {
				d.insert(in.item, start.Add(in.after))
			}
			for _, p := range tt.pops {
				got, _ := d.popReady(start.Add(p.at))
				if diff := cmp.Diff(p.want, got); diff != "" {
					t.Errorf("popReady(start+%v) (-want +got):\n%s", p.at, diff)
				}
			}
		})
	}
}

func TestAddAfter(t *testing.T) {
	q, clock := newTestQueue(t, Options{})
	q.AddAfter("a", 2*time.Second)
	q.AddAfter("b", time.Second)
	q.AddAfter("now", 0)
	if diff := cmp.Diff("now", mustGet(t, q)); diff != "" {
		t.Errorf("zero delay (-want +got):\n%s", diff)
	}
	clock.Step(time.Second)
	if diff := cmp.Diff("b", mustGet(t, q)); diff != "" {
		t.Errorf("after 1s (-want +got):\n%s", diff)
	}
	clock.Step(time.Second)
	if diff := cmp.Diff("a", mustGet(t, q)); diff != "" {
		t.Errorf("after 2s (-want +got):\n%s", diff)
	}
}

// TestAddAfterMovesEarlier checks that the delaying goroutine, already waiting for a
// late item, wakes up for an earlier one.
func TestAddAfterMovesEarlier(t *testing.T) {
	q, clock := newTestQueue(t, Options{})
	q.AddAfter("a", time.Hour)
	q.AddAfter("b", time.Hour)
	q.AddAfter("b", time.Second)
	clock.Step(time.Second)
	if diff := cmp.Diff("b", mustGet(t, q)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAddAfterRealClock(t *testing.T) {
	q := New[string](Options{})
	t.Cleanup(q.ShutDown)
	q.AddAfter("a", 20*time.Millisecond)
	q.AddAfter("b", 10*time.Millisecond)
	got := []string{mustGet(t, q), mustGet(t, q)}
	if diff := cmp.Diff([]string{"b", "a"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
