// Package workqueue is the rate-limited queue of keys that Skiff's controllers and
// scheduler work from, with the semantics of client-go's workqueue: watch handlers Add
// keys, and workers Get a key, reconcile it, then call Done, plus Forget on success or
// AddRateLimited on failure. A key is queued at most once and is never handed to two
// workers at the same time.
package workqueue

import (
	"context"
	"sync"
	"time"
)

// Defaults for Options, the same as client-go's DefaultControllerRateLimiter.
const (
	DefaultBaseDelay = 5 * time.Millisecond
	DefaultMaxDelay  = 1000 * time.Second
	DefaultQPS       = 10
	DefaultBurst     = 100
)

// Options configure a Queue. Zero (or negative) values take the defaults above.
type Options struct {
	// Name identifies the queue in Metrics.
	Name string
	// BaseDelay and MaxDelay bound the per-item exponential back-off of
	// AddRateLimited: BaseDelay, 2*BaseDelay, 4*BaseDelay ... up to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// QPS and Burst size the token bucket shared by all items. AddRateLimited waits
	// for the longer of the item's back-off and the bucket's delay.
	QPS   float64
	Burst int
	// Clock is the time source; tests inject a fake. The default is real time.
	Clock Clock
}

// Metrics is a snapshot of a queue's counters, for export by the caller.
type Metrics struct {
	Name string
	// Depth is the number of items waiting for a worker.
	Depth int
	// Adds counts items added, not counting duplicates of queued items.
	Adds uint64
	// Retries counts calls to AddRateLimited.
	Retries uint64
	// LongestRunningProcessor is how long the oldest item still being processed
	// (handed out by Get, not yet Done) has been running.
	LongestRunningProcessor time.Duration
}

// Queue is a FIFO of distinct items with delayed and rate-limited adds. All methods
// are safe for concurrent use. Every item returned by Get must be passed to Done.
type Queue[T comparable] struct {
	name    string
	clock   Clock
	delay   *delayer[T]
	limiter *rateLimiter[T]

	// ready holds a token when a waiting Get should look at the queue again.
	ready chan struct{}
	// closed is closed when the queue starts shutting down.
	closed chan struct{}

	mu           sync.Mutex
	queue        []T             // items waiting for a worker, oldest first
	dirty        map[T]struct{}  // items that need processing: queued, or to re-queue on Done
	processing   map[T]time.Time // items handed out by Get, and when
	shuttingDown bool            // set by ShutDown; Add is ignored from then on
	drained      chan struct{}   // closed when processing empties, for ShutDownWithDrain
	adds         uint64
	retries      uint64
}

// New returns a running queue. Call ShutDown (or ShutDownWithDrain) to stop the
// goroutine that releases delayed items.
func New[T comparable](opts Options) *Queue[T] {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	q := &Queue[T]{
		name:       opts.Name,
		clock:      opts.Clock,
		limiter:    newRateLimiter[T](opts),
		ready:      make(chan struct{}, 1),
		closed:     make(chan struct{}),
		dirty:      make(map[T]struct{}),
		processing: make(map[T]time.Time),
	}
	q.delay = newDelayer(opts.Clock, q.Add)
	go q.delay.run()
	return q
}

// Add queues item. It does nothing if item is already queued or the queue is shutting
// down. If item is being processed, it is queued again when Done is called.
func (q *Queue[T]) Add(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shuttingDown {
		return
	}
	if _, ok := q.dirty[item]; ok {
		return
	}
	q.adds++
	q.dirty[item] = struct{}{}
	if _, ok := q.processing[item]; ok {
		return // Done re-queues it.
	}
	q.queue = append(q.queue, item)
	q.wake()
}

// Get blocks until an item is available and returns it, marking it as being
// processed. It returns ok=false once ctx is done, or once the queue is shutting down
// and empty. The caller must call Done(item) when finished with it.
func (q *Queue[T]) Get(ctx context.Context) (item T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	// A Get that leaves while items remain passes the wake-up on to another one.
	defer func() {
		if len(q.queue) > 0 {
			q.wake()
		}
	}()
	for len(q.queue) == 0 && !q.shuttingDown && ctx.Err() == nil {
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-q.closed:
		case <-ctx.Done():
		}
		q.mu.Lock()
	}
	if ctx.Err() != nil || len(q.queue) == 0 {
		return item, false
	}
	item = q.queue[0]
	var zero T
	q.queue[0] = zero // let the backing array forget it
	q.queue = q.queue[1:]
	delete(q.dirty, item)
	q.processing[item] = q.clock.Now()
	return item, true
}

// Done marks item as no longer being processed. If it was added meanwhile, it is
// queued again. Done of an item that is not being processed does nothing.
func (q *Queue[T]) Done(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.processing[item]; !ok {
		return
	}
	delete(q.processing, item)
	if _, ok := q.dirty[item]; ok {
		q.queue = append(q.queue, item)
		q.wake()
	}
	if len(q.processing) == 0 && q.drained != nil {
		close(q.drained)
		q.drained = nil
	}
}

// Len returns the number of items waiting for a worker.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// ShutDown stops the queue: Add is ignored from now on, delayed items are dropped,
// and Get returns ok=false once the queued items are gone. It does not wait for
// workers; a pending ShutDownWithDrain returns.
func (q *Queue[T]) ShutDown() {
	q.mu.Lock()
	q.shutDownLocked()
	if q.drained != nil {
		close(q.drained)
		q.drained = nil
	}
	q.mu.Unlock()
	q.delay.stop()
}

// ShutDownWithDrain is ShutDown, but it also waits until every item being processed
// has been passed to Done. Items still queued do not hold it up.
func (q *Queue[T]) ShutDownWithDrain() {
	q.mu.Lock()
	q.shutDownLocked()
	var drained chan struct{}
	if len(q.processing) > 0 {
		if q.drained == nil {
			q.drained = make(chan struct{})
		}
		drained = q.drained
	}
	q.mu.Unlock()
	q.delay.stop()
	if drained != nil {
		<-drained
	}
}

// Metrics returns a snapshot of the queue's counters.
func (q *Queue[T]) Metrics() Metrics {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := Metrics{Name: q.name, Depth: len(q.queue), Adds: q.adds, Retries: q.retries}
	now := q.clock.Now()
	for _, start := range q.processing {
		m.LongestRunningProcessor = max(m.LongestRunningProcessor, now.Sub(start))
	}
	return m
}

func (q *Queue[T]) shutDownLocked() {
	if !q.shuttingDown {
		q.shuttingDown = true
		close(q.closed)
	}
}

// wake lets one waiting Get look at the queue again. It never blocks: if a token is
// already there, a Get has yet to see it.
func (q *Queue[T]) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
