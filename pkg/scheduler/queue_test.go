package scheduler

import (
	"context"
	"testing"
	"time"

	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func byPriority(a, b *framework.QueuedPodInfo) bool {
	pa, pb := int32(0), int32(0)
	if a.Pod.Spec.Priority != nil {
		pa = *a.Pod.Spec.Priority
	}
	if b.Pod.Spec.Priority != nil {
		pb = *b.Pod.Spec.Priority
	}
	if pa != pb {
		return pa > pb
	}
	return a.Timestamp < b.Timestamp
}

func pop(t *testing.T, q *queue) (string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { <-ctx.Done(); q.mu.Lock(); q.cond.Broadcast(); q.mu.Unlock(); close(done) }()
	qpi, cycle := q.Pop(ctx)
	cancel()
	<-done
	if qpi == nil {
		return "", 0
	}
	return qpi.Pod.Name, cycle
}

func TestQueueOrder(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	q := newQueue(byPriority, clock.now)
	q.Add(st.MakePod().Name("low").Obj())
	clock.t = clock.t.Add(time.Millisecond)
	q.Add(st.MakePod().Name("high").Priority(100).Obj())
	clock.t = clock.t.Add(time.Millisecond)
	q.Add(st.MakePod().Name("low-later").Obj())
	var got []string
	for range 3 {
		name, _ := pop(t, q)
		got = append(got, name)
	}
	want := []string{"high", "low", "low-later"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	if name, _ := pop(t, q); name != "" {
		t.Errorf("popped %q from an empty queue", name)
	}
}

func TestQueueUnschedulableAndBackoff(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	q := newQueue(byPriority, clock.now)
	q.Add(st.MakePod().Name("a").Obj())
	_, cycle := pop(t, q)
	qpi := &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Obj(), Attempts: 1}
	q.Unschedulable(qpi, cycle)
	if a, b, u := q.Len(); a != 0 || b != 0 || u != 1 {
		t.Fatalf("after Unschedulable: active %d backoff %d unschedulable %d", a, b, u)
	}
	// A cluster event moves it to backoff (its 1s backoff has not passed)...
	q.MoveAll()
	if a, b, u := q.Len(); a != 0 || b != 1 || u != 0 {
		t.Fatalf("after MoveAll: active %d backoff %d unschedulable %d", a, b, u)
	}
	// ...and once the backoff is over, to active.
	clock.t = clock.t.Add(1100 * time.Millisecond)
	q.flush()
	if name, _ := pop(t, q); name != "a" {
		t.Fatalf("popped %q, want a", name)
	}
}

// TestQueueEventDuringAttempt: a cluster event while a pod is being scheduled
// must not be lost: the pod goes to backoff, not unschedulable.
func TestQueueEventDuringAttempt(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	q := newQueue(byPriority, clock.now)
	q.Add(st.MakePod().Name("a").Obj())
	_, cycle := pop(t, q)
	q.MoveAll() // e.g. a node was added while "a" was being filtered
	q.Unschedulable(&framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Obj(), Attempts: 1}, cycle)
	if a, b, u := q.Len(); b != 1 || u != 0 || a != 0 {
		t.Fatalf("active %d backoff %d unschedulable %d, want the pod in backoff", a, b, u)
	}
}

func TestQueueBackoffDoubles(t *testing.T) {
	q := newQueue(byPriority, time.Now)
	base := time.Unix(1000, 0)
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 20: 10 * time.Second} {
		got := q.backoffUntil(&framework.QueuedPodInfo{Timestamp: base.UnixNano(), Attempts: attempts}).Sub(base)
		if got != want {
			t.Errorf("attempts %d: backoff %v, want %v", attempts, got, want)
		}
	}
}

func TestQueueUpdateAndDelete(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	q := newQueue(byPriority, clock.now)
	q.Add(st.MakePod().Name("a").Obj())
	_, cycle := pop(t, q)
	old := st.MakePod().Name("a").Obj()
	q.Unschedulable(&framework.QueuedPodInfo{Pod: old, Attempts: 1}, cycle)

	// A status-only update (the scheduler's own condition) leaves it waiting.
	statusOnly := st.MakePod().Name("a").Obj()
	statusOnly.Status.Phase = "Pending"
	q.Update(old, statusOnly)
	if _, _, u := q.Len(); u != 1 {
		t.Fatal("a status update woke an unschedulable pod")
	}
	// A spec change gives it another try at once.
	changed := st.MakePod().Name("a").NodeSelector(map[string]string{"disk": "ssd"}).Obj()
	q.Update(statusOnly, changed)
	if a, _, u := q.Len(); a != 1 || u != 0 {
		t.Fatalf("after a spec change: active %d unschedulable %d", a, u)
	}
	q.Delete(changed)
	if a, b, u := q.Len(); a+b+u != 0 {
		t.Fatalf("after Delete: %d %d %d", a, b, u)
	}
}
