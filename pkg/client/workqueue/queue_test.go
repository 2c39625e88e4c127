package workqueue

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// op is one step of a TestQueue case.
type op func(t *testing.T, q *Queue[string])

func add(items ...string) op {
	return func(t *testing.T, q *Queue[string]) {
		for _, item := range items {
			q.Add(item)
		}
	}
}

func get(want string) op {
	return func(t *testing.T, q *Queue[string]) {
		t.Helper()
		if got := mustGet(t, q); got != want {
			t.Fatalf("Get() = %q, want %q", got, want)
		}
	}
}

func done(item string) op {
	return func(t *testing.T, q *Queue[string]) { q.Done(item) }
}

func TestQueue(t *testing.T) {
	tests := []struct {
		name string
		ops  []op
		want []string // items left in the queue afterwards, in order
	}{
		{
			name: "FIFO",
			ops:  []op{add("a", "b", "c")},
			want: []string{"a", "b", "c"},
		},
		{
			name: "adding a queued item is a no-op",
			ops:  []op{add("a", "b", "a", "b", "c")},
			want: []string{"a", "b", "c"},
		},
		{
			name: "item added while processing waits for Done",
			ops:  []op{add("a", "b"), get("a"), add("a")},
			want: []string{"b"},
		},
		{
			name: "item added while processing is re-queued on Done",
			ops:  []op{add("a", "b"), get("a"), add("a"), done("a")},
			want: []string{"b", "a"},
		},
		{
			name: "item added twice while processing is re-queued once",
			ops:  []op{add("a"), get("a"), add("a", "a"), done("a")},
			want: []string{"a"},
		},
		{
			name: "Done without a pending Add does not re-queue",
			ops:  []op{add("a", "b"), get("a"), done("a")},
			want: []string{"b"},
		},
		{
			name: "Done of an item not being processed is a no-op",
			ops:  []op{add("a"), done("a"), get("a"), add("a"), done("a"), done("a"), done("b")},
			want: []string{"a"},
		},
		{
			name: "processed item can be added again",
			ops:  []op{add("a"), get("a"), done("a"), add("b", "a")},
			want: []string{"b", "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := newTestQueue(t, Options{})
			for _, op := range tt.ops {
				op(t, q)
			}
			if diff := cmp.Diff(tt.want, drain(q)); diff != "" {
				t.Errorf("queued items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetWaitsForAdd(t *testing.T) {
	q, _ := newTestQueue(t, Options{})
	got := make(chan string)
	go func() {
		item, _ := getWithin5s(q)
		got <- item
	}()
	q.Add("a")
	if item := <-got; item != "a" {
		t.Errorf("Get() = %q, want %q", item, "a")
	}
}

// TestEveryWaitingGetIsWoken adds several items at once while several workers wait:
// each worker must get one, though nobody calls Done in between.
func TestEveryWaitingGetIsWoken(t *testing.T) {
	const workers = 4
	q, _ := newTestQueue(t, Options{})
	got := make(chan string, workers)
	for range workers {
		go func() {
			item, _ := getWithin5s(q)
			got <- item // "" if none came
		}()
	}
	runtime.Gosched() // give the workers a chance to block in Get first
	for i := range workers {
		q.Add(fmt.Sprint(i))
	}
	seen := make(map[string]bool)
	for range workers {
		seen[<-got] = true
	}
	want := map[string]bool{"0": true, "1": true, "2": true, "3": true}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("items handed out (-want +got):\n%s", diff)
	}
}

func TestGetContext(t *testing.T) {
	t.Run("cancel unblocks a waiting Get", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		result := make(chan bool)
		go func() {
			_, ok := q.Get(ctx)
			result <- ok
		}()
		cancel()
		if ok := <-result; ok {
			t.Errorf("Get() ok = true after cancel, want false")
		}
	})
	t.Run("done context returns no item and leaves the queue alone", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		q.Add("a")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if item, ok := q.Get(ctx); ok {
			t.Errorf("Get() = %q, true; want false", item)
		}
		if diff := cmp.Diff([]string{"a"}, drain(q)); diff != "" {
			t.Errorf("queued items (-want +got):\n%s", diff)
		}
	})
}

func TestShutDown(t *testing.T) {
	t.Run("unblocks a waiting Get", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		result := make(chan bool)
		go func() {
			_, ok := q.Get(context.Background())
			result <- ok
		}()
		q.ShutDown()
		if ok := <-result; ok {
			t.Errorf("Get() ok = true after ShutDown, want false")
		}
	})
	t.Run("queued items are still handed out", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		q.Add("a")
		q.Add("b")
		if diff := cmp.Diff([]string{"a", "b"}, drain(q)); diff != "" {
			t.Errorf("items after ShutDown (-want +got):\n%s", diff)
		}
	})
	t.Run("Add, AddAfter and AddRateLimited are ignored", func(t *testing.T) {
		q, clock := newTestQueue(t, Options{})
		q.AddAfter("delayed", time.Second)
		q.ShutDown()
		q.Add("a")
		q.AddAfter("b", time.Second)
		q.AddRateLimited("c")
		clock.Step(time.Hour)
		if diff := cmp.Diff([]string{}, drain(q)); diff != "" {
			t.Errorf("items after ShutDown (-want +got):\n%s", diff)
		}
	})
	t.Run("item dirty before ShutDown is re-queued on Done", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		q.Add("a")
		mustGet(t, q)
		q.Add("a")
		q.ShutDown()
		q.Done("a")
		if diff := cmp.Diff([]string{"a"}, drain(q)); diff != "" {
			t.Errorf("items after ShutDown (-want +got):\n%s", diff)
		}
	})
}

// draining reports whether a ShutDownWithDrain is waiting for items to be Done.
func draining(q *Queue[string]) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.drained != nil
}

func TestShutDownWithDrain(t *testing.T) {
	t.Run("waits until every item being processed is Done", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		q.Add("a")
		q.Add("b")
		q.Add("c")
		a, b := mustGet(t, q), mustGet(t, q)
		returned := make(chan struct{})
		go func() {
			q.ShutDownWithDrain()
			close(returned)
		}()
		waitFor(t, "ShutDownWithDrain to start waiting", func() bool { return draining(q) })
		q.Done(a)
		if !draining(q) {
			t.Fatal("ShutDownWithDrain stopped waiting while an item was still being processed")
		}
		q.Done(b)
		<-returned
		// c was queued but never handed out; it does not hold up the drain.
		if diff := cmp.Diff([]string{"c"}, drain(q)); diff != "" {
			t.Errorf("items after drain (-want +got):\n%s", diff)
		}
	})
	t.Run("returns at once when nothing is processing", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		q.Add("a")
		q.ShutDownWithDrain()
	})
	t.Run("ShutDown ends the wait", func(t *testing.T) {
		q, _ := newTestQueue(t, Options{})
		q.Add("a")
		mustGet(t, q)
		returned := make(chan struct{})
		go func() {
			q.ShutDownWithDrain()
			close(returned)
		}()
		waitFor(t, "ShutDownWithDrain to start waiting", func() bool { return draining(q) })
		q.ShutDown()
		<-returned
	})
}

func TestMetrics(t *testing.T) {
	q, clock := newTestQueue(t, Options{Name: "pods"})
	q.Add("a")
	q.Add("b")
	q.Add("a") // duplicate: not counted
	mustGet(t, q)
	clock.Step(3 * time.Second)
	mustGet(t, q)
	clock.Step(time.Second)
	q.Add("c")
	q.AddRateLimited("a")

	want := Metrics{Name: "pods", Depth: 1, Adds: 3, Retries: 1, LongestRunningProcessor: 4 * time.Second}
	if diff := cmp.Diff(want, q.Metrics()); diff != "" {
		t.Errorf("Metrics() (-want +got):\n%s", diff)
	}
	q.Done("a")
	q.Done("b")
	want.LongestRunningProcessor = 0
	if diff := cmp.Diff(want, q.Metrics()); diff != "" {
		t.Errorf("Metrics() after Done (-want +got):\n%s", diff)
	}
}

// TestConcurrentWorkers has producers add 10k keys from a set of 100 while 8 workers
// process them. No key may be processed by two workers at once, and every key must be
// processed after its last Add: each producer bumps the key's version before adding
// it, and the version the last processing saw must be the final one.
func TestConcurrentWorkers(t *testing.T) {
	const (
		keys      = 100
		producers = 4
		addsEach  = 2500
		workers   = 8
	)
	q := New[string](Options{Name: "concurrent"})
	var versions [keys]atomic.Int64
	var inFlight [keys]atomic.Int32
	var mu sync.Mutex
	seen := make(map[int]int64)

	var workerWG sync.WaitGroup
	for range workers {
		workerWG.Go(func() {
			for {
				item, ok := q.Get(context.Background())
				if !ok {
					return
				}
				var k int
				fmt.Sscanf(item, "ns/%d", &k)
				if !inFlight[k].CompareAndSwap(0, 1) {
					t.Errorf("key %s processed by two workers at once", item)
				}
				v := versions[k].Load()
				runtime.Gosched()
				mu.Lock()
				seen[k] = v
				mu.Unlock()
				inFlight[k].Store(0)
				q.Done(item)
			}
		})
	}

	var producerWG sync.WaitGroup
	for p := range producers {
		producerWG.Go(func() {
			for i := range addsEach {
				k := (p*addsEach + i) % keys
				versions[k].Add(1)
				q.Add(fmt.Sprintf("ns/%d", k))
			}
		})
	}
	producerWG.Wait()
	q.ShutDown()
	workerWG.Wait()

	want := make(map[int]int64)
	for k := range versions {
		want[k] = versions[k].Load()
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("version last processed per key (-want +got):\n%s", diff)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	q := New[string](Options{})
	q.AddAfter("later", time.Hour)
	q.AddRateLimited("retry")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				item, ok := q.Get(context.Background())
				if !ok {
					return
				}
				q.Done(item)
			}
		})
	}
	q.ShutDown()
	wg.Wait()
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}
