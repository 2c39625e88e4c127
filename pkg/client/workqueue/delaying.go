package workqueue

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the time source of a Queue.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock has reached t; at once if
	// it already has. Taking an absolute time (not a duration) means a fake clock
	// stepped between Now and At cannot make the waiter miss its time.
	At(t time.Time) <-chan time.Time
}

type realClock struct{}

var _ Clock = realClock{}

func (realClock) Now() time.Time { return time.Now() }

// At uses time.After: since Go 1.23 a timer nobody references any more is garbage
// collected, so the delaying loop can drop the channel when it wakes for another reason.
func (realClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// AddAfter adds item to the queue once d has passed; d <= 0 adds it now. If item is
// already waiting, it keeps the earlier of the two times.
func (q *Queue[T]) AddAfter(item T, d time.Duration) {
	if d <= 0 {
		q.Add(item)
		return
	}
	q.delay.insert(item, q.clock.Now().Add(d))
}

// delayer holds items in a heap ordered by the time they are due, and adds them to
// the queue when that time comes. One goroutine (run) waits for the earliest item.
type delayer[T comparable] struct {
	clock    Clock
	add      func(T)
	wake     chan struct{} // holds a token when the earliest item may have changed
	quit     chan struct{} // closed by stop
	done     chan struct{} // closed when run returns
	stopOnce sync.Once

	mu      sync.Mutex
	waiting waitHeap[T]
	entries map[T]*entry[T] // the heap entry of each waiting item
	seq     uint64
}

func newDelayer[T comparable](clock Clock, add func(T)) *delayer[T] {
	return &delayer[T]{
		clock:   clock,
		add:     add,
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		entries: make(map[T]*entry[T]),
	}
}

// insert makes item due at readyAt, or earlier if it is already waiting.
func (d *delayer[T]) insert(item T, readyAt time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[item]
	switch {
	case !ok:
		d.seq++
		e = &entry[T]{item: item, readyAt: readyAt, seq: d.seq}
		heap.Push(&d.waiting, e)
		d.entries[item] = e
	case readyAt.Before(e.readyAt):
		e.readyAt = readyAt
		heap.Fix(&d.waiting, e.index)
	default:
		return // already due sooner
	}
	if d.waiting[0] == e {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// popReady removes and returns the items due at now, earliest first, and the time
// the next one is due (zero if none is waiting).
func (d *delayer[T]) popReady(now time.Time) (ready []T, next time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.waiting) > 0 && !d.waiting[0].readyAt.After(now) {
		e := heap.Pop(&d.waiting).(*entry[T])
		delete(d.entries, e.item)
		ready = append(ready, e.item)
	}
	if len(d.waiting) > 0 {
		next = d.waiting[0].readyAt
	}
	return ready, next
}

// run adds due items to the queue until stop is called.
func (d *delayer[T]) run() {
	defer close(d.done)
	for {
		ready, next := d.popReady(d.clock.Now())
		for _, item := range ready {
			d.add(item)
		}
		var due <-chan time.Time // nil, so never ready, when nothing is waiting
		if !next.IsZero() {
			due = d.clock.At(next)
		}
		select {
		case <-d.quit:
			return
		case <-d.wake:
		case <-due:
		}
	}
}

// stop ends run and waits for it to return. Waiting items are dropped.
func (d *delayer[T]) stop() {
	d.stopOnce.Do(func() { close(d.quit) })
	<-d.done
}

type entry[T comparable] struct {
	item    T
	readyAt time.Time
	seq     uint64 // insertion order, so items due at the same time stay FIFO
	index   int    // position in the heap, maintained by waitHeap
}

// waitHeap implements heap.Interface, earliest readyAt first.
type waitHeap[T comparable] []*entry[T]

func (h waitHeap[T]) Len() int { return len(h) }

func (h waitHeap[T]) Less(i, j int) bool {
	if h[i].readyAt.Equal(h[j].readyAt) {
		return h[i].seq < h[j].seq
	}
	return h[i].readyAt.Before(h[j].readyAt)
}

func (h waitHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *waitHeap[T]) Push(x any) {
	e := x.(*entry[T])
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *waitHeap[T]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
