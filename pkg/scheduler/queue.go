package scheduler

import (
	"container/heap"
	"context"
	"reflect"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/scheduler/framework"
)

// Backoff after a failed attempt doubles from initialBackoff up to maxBackoff;
// a pod left unschedulable is retried at least every maxUnschedulable even if
// no event suggests it might fit.
const (
	initialBackoff   = time.Second
	maxBackoff       = 10 * time.Second
	maxUnschedulable = 5 * time.Minute
	flushInterval    = 100 * time.Millisecond
)

// queue holds the pods waiting to be scheduled, in three parts, as
// kube-scheduler's does:
//
//	active        ready now, ordered by the profile's QueueSort plugin
//	backoff       failed recently; each waits out its backoff, then goes active
//	unschedulable fit nowhere; they wait for a cluster event that may change that
//
// A cluster event (a node added or changed, a pod deleted) moves every
// unschedulable pod to backoff or active. A pod whose attempt was in flight
// when such an event arrived goes to backoff rather than unschedulable, so the
// event is not missed.
type queue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	now   func() time.Time
	where map[string]string // key → "active", "backoff", "unschedulable"

	active        *podHeap
	backoff       *podHeap
	unschedulable map[string]*framework.QueuedPodInfo

	// cycle counts Pops; moveCycle is the cycle at the last cluster event.
	cycle, moveCycle int64
	closed           bool
}

func newQueue(less func(a, b *framework.QueuedPodInfo) bool, now func() time.Time) *queue {
	q := &queue{
		now:           now,
		where:         map[string]string{},
		active:        &podHeap{less: less, index: map[string]int{}},
		unschedulable: map[string]*framework.QueuedPodInfo{},
	}
	q.backoff = &podHeap{less: func(a, b *framework.QueuedPodInfo) bool { return q.backoffUntil(a).Before(q.backoffUntil(b)) }, index: map[string]int{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues a new pending pod.
func (q *queue) Add(p *api.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := client.KeyOf(p)
	if _, ok := q.where[key]; ok {
		q.updateLocked(key, p)
		return
	}
	q.pushActive(&framework.QueuedPodInfo{Pod: p, Timestamp: q.now().UnixNano()})
}

// Update replaces a queued pod's object. An unschedulable pod whose spec
// changed gets another try at once.
func (q *queue) Update(old, p *api.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := client.KeyOf(p)
	if _, ok := q.where[key]; !ok {
		return // in flight, or not ours: the scheduler re-reads it after the attempt
	}
	q.updateLocked(key, p)
}

func (q *queue) updateLocked(key string, p *api.Pod) {
	switch q.where[key] {
	case "active":
		q.active.update(key, p)
	case "backoff":
		q.backoff.update(key, p)
	case "unschedulable":
		qpi := q.unschedulable[key]
		changed := schedulingChanged(qpi.Pod, p)
		qpi.Pod = p
		if changed {
			delete(q.unschedulable, key)
			q.pushActive(qpi)
		}
	}
}

// schedulingChanged reports whether an update touched what decides where a pod
// fits (its spec or labels). Status updates, such as the scheduler's own
// PodScheduled condition, do not count, or every failure would retrigger itself.
func schedulingChanged(a, b *api.Pod) bool {
	return !reflect.DeepEqual(a.Spec, b.Spec) || !reflect.DeepEqual(a.Labels, b.Labels)
}

// Delete drops a pod from the queue.
func (q *queue) Delete(p *api.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := client.KeyOf(p)
	switch q.where[key] {
	case "active":
		q.active.remove(key)
	case "backoff":
		q.backoff.remove(key)
	case "unschedulable":
		delete(q.unschedulable, key)
	}
	delete(q.where, key)
}

// Pop waits for an active pod and returns it with the scheduling cycle it
// starts; it returns nil when ctx ends or the queue is closed.
func (q *queue) Pop(ctx context.Context) (*framework.QueuedPodInfo, int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 && !q.closed && ctx.Err() == nil {
		q.cond.Wait()
	}
	if q.active.Len() == 0 {
		return nil, 0
	}
	qpi := heap.Pop(q.active).(*framework.QueuedPodInfo)
	delete(q.where, client.KeyOf(qpi.Pod))
	qpi.Attempts++
	q.cycle++
	return qpi, q.cycle
}

// Unschedulable puts back a pod that fit nowhere in the given cycle.
func (q *queue) Unschedulable(qpi *framework.QueuedPodInfo, cycle int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := client.KeyOf(qpi.Pod)
	if _, ok := q.where[key]; ok {
		return // re-added meanwhile
	}
	qpi.Timestamp = q.now().UnixNano()
	if q.moveCycle >= cycle {
		q.pushBackoff(qpi) // the cluster changed during the attempt: try again soon
		return
	}
	q.unschedulable[key] = qpi
	q.where[key] = "unschedulable"
}

// Backoff puts back a pod whose attempt failed for another reason (an error,
// a failed binding).
func (q *queue) Backoff(qpi *framework.QueuedPodInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.where[client.KeyOf(qpi.Pod)]; ok {
		return
	}
	q.pushBackoff(qpi)
}

// MoveAll is called on a cluster event that may let unschedulable pods fit:
// each goes to backoff, or active if its backoff is over.
func (q *queue) MoveAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveCycle = q.cycle
	for key, qpi := range q.unschedulable {
		delete(q.unschedulable, key)
		if q.backoffUntil(qpi).After(q.now()) {
			q.pushBackoff(qpi)
		} else {
			q.pushActive(qpi)
		}
	}
}

// Run moves pods whose backoff ended to active, and unschedulable pods that
// waited maxUnschedulable, until ctx ends; then it wakes any Pop.
func (q *queue) Run(ctx context.Context) {
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			q.mu.Lock()
			q.closed = true
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		case <-t.C:
			q.flush()
		}
	}
}

func (q *queue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	for q.backoff.Len() > 0 && !q.backoffUntil(q.backoff.peek()).After(now) {
		q.pushActive(heap.Pop(q.backoff).(*framework.QueuedPodInfo))
	}
	for key, qpi := range q.unschedulable {
		if now.Sub(time.Unix(0, qpi.Timestamp)) > maxUnschedulable {
			delete(q.unschedulable, key)
			q.pushActive(qpi)
		}
	}
}

// Len counts the pods in each part (for metrics and tests).
func (q *queue) Len() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

func (q *queue) pushActive(qpi *framework.QueuedPodInfo) {
	heap.Push(q.active, qpi)
	q.where[client.KeyOf(qpi.Pod)] = "active"
	q.cond.Signal()
}

func (q *queue) pushBackoff(qpi *framework.QueuedPodInfo) {
	heap.Push(q.backoff, qpi)
	q.where[client.KeyOf(qpi.Pod)] = "backoff"
}

// backoffUntil is when a pod's backoff ends: its last attempt plus 1s, 2s,
// 4s... up to maxBackoff.
func (q *queue) backoffUntil(qpi *framework.QueuedPodInfo) time.Time {
	d := initialBackoff
	for i := 1; i < qpi.Attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return time.Unix(0, qpi.Timestamp).Add(min(d, maxBackoff))
}

// podHeap is a heap of queued pods with removal by key.
type podHeap struct {
	items []*framework.QueuedPodInfo
	index map[string]int
	less  func(a, b *framework.QueuedPodInfo) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.index[client.KeyOf(h.items[i].Pod)] = i
	h.index[client.KeyOf(h.items[j].Pod)] = j
}
func (h *podHeap) Push(x any) {
	qpi := x.(*framework.QueuedPodInfo)
	h.index[client.KeyOf(qpi.Pod)] = len(h.items)
	h.items = append(h.items, qpi)
}
func (h *podHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items[len(h.items)-1] = nil
	h.items = h.items[:len(h.items)-1]
	delete(h.index, client.KeyOf(last.Pod))
	return last
}
func (h *podHeap) peek() *framework.QueuedPodInfo { return h.items[0] }

func (h *podHeap) update(key string, p *api.Pod) {
	if i, ok := h.index[key]; ok {
		h.items[i].Pod = p
		heap.Fix(h, i)
	}
}

func (h *podHeap) remove(key string) {
	if i, ok := h.index[key]; ok {
		heap.Remove(h, i)
	}
}
