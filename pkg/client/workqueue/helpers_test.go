package workqueue

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock only moves when Step is called.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	c  chan time.Time
}

var _ Clock = (*fakeClock)(nil)

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: t, c: ch})
	return ch
}

// Step moves the clock forward by d and fires the waiters that are due.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	pending := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			pending = append(pending, w)
			continue
		}
		w.c <- c.now
	}
	c.waiters = pending
}

// newTestQueue returns a queue on a fake clock that is shut down when the test ends.
func newTestQueue(t *testing.T, opts Options) (*Queue[string], *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	opts.Clock = clock
	q := New[string](opts)
	t.Cleanup(q.ShutDown)
	return q, clock
}

// getWithin5s returns the next item, or ok=false if none arrives within 5s. Unlike
// mustGet it may be called from any goroutine.
func getWithin5s(q *Queue[string]) (item string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return q.Get(ctx)
}

// mustGet returns the next item, failing the test if none arrives within 5s.
func mustGet(t *testing.T, q *Queue[string]) string {
	t.Helper()
	item, ok := getWithin5s(q)
	if !ok {
		t.Fatalf("Get: no item within 5s")
	}
	return item
}

// drain shuts q down and returns the items still queued, in order.
func drain(q *Queue[string]) []string {
	q.ShutDown()
	got := []string{}
	for {
		item, ok := q.Get(context.Background())
		if !ok {
			return got
		}
		got = append(got, item)
	}
}

// waitFor polls cond until it holds, failing the test after 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
