package replicaset

import (
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	const key = "default/web"
	type step struct {
		do            func(e *expectations)
		advance       time.Duration
		wantSatisfied bool
	}
	creations := func(n int) func(*expectations) { return func(e *expectations) { e.expectCreations(key, n) } }
	created := func(e *expectations) { e.creationObserved(key) }
	deletions := func(pods ...string) func(*expectations) {
		return func(e *expectations) { e.expectDeletions(key, pods) }
	}
	deleted := func(pod string) func(*expectations) { return func(e *expectations) { e.deletionObserved(key, pod) } }
	nothing := func(*expectations) {}

	tests := []struct {
		name  string
		steps []step
	}{
		{
			name:  "a ReplicaSet never seen is satisfied",
			steps: []step{{do: nothing, wantSatisfied: true}},
		},
		{
			name: "creations are satisfied once all are observed",
			steps: []step{
				{do: creations(3), wantSatisfied: false},
				{do: created, wantSatisfied: false},
				{do: created, wantSatisfied: false},
				{do: created, wantSatisfied: true},
				{do: created, wantSatisfied: true}, // one more (another actor's pod) does no harm
			},
		},
		{
			name: "deletions are tracked per pod: the same pod seen twice counts once",
			steps: []step{
				{do: deletions("default/a", "default/b"), wantSatisfied: false},
				{do: deleted("default/a"), wantSatisfied: false},
				{do: deleted("default/a"), wantSatisfied: false}, // marked, then gone
				{do: deleted("default/other"), wantSatisfied: false},
				{do: deleted("default/b"), wantSatisfied: true},
			},
		},
		{
			name: "expectations expire",
			steps: []step{
				{do: creations(2), wantSatisfied: false},
				{do: nothing, advance: ExpectationsTimeout, wantSatisfied: false},
				{do: nothing, advance: time.Second, wantSatisfied: true},
			},
		},
		{
			name: "new expectations replace old ones",
			steps: []step{
				{do: creations(2), advance: ExpectationsTimeout + time.Second, wantSatisfied: true},
				{do: deletions("default/a"), wantSatisfied: false},
				{do: created, wantSatisfied: false},
				{do: deleted("default/a"), wantSatisfied: true},
			},
		},
		{
			name: "forget drops them",
			steps: []step{
				{do: creations(2), wantSatisfied: false},
				{do: func(e *expectations) { e.forget(key) }, wantSatisfied: true},
				{do: created, wantSatisfied: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			e := newExpectations(func() time.Time { return now })
			for i, s := range tt.steps {
				s.do(e)
				now = now.Add(s.advance)
				if got := e.satisfied(key); got != s.wantSatisfied {
					t.Fatalf("step %d: satisfied = %v, want %v", i, got, s.wantSatisfied)
				}
				if other := e.satisfied("default/other"); !other {
					t.Fatalf("step %d: another ReplicaSet's expectations are not satisfied", i)
				}
			}
		})
	}
}
