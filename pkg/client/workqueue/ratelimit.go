package workqueue

import (
	"math"
	"sync"
	"time"
)

// AddRateLimited adds item after the longer of two delays: the item's exponential
// back-off, which doubles with every call until Forget, and the delay of the token
// bucket shared by all items. Workers call it when reconciling item failed.
func (q *Queue[T]) AddRateLimited(item T) {
	q.mu.Lock()
	q.retries++
	q.mu.Unlock()
	q.AddAfter(item, q.limiter.when(item, q.clock.Now()))
}

// Forget resets item's back-off. Workers call it when reconciling item succeeded.
// It does not remove item from the queue.
func (q *Queue[T]) Forget(item T) { q.limiter.forget(item) }

// NumRequeues returns how many times item has been added with AddRateLimited since
// it was last forgotten.
func (q *Queue[T]) NumRequeues(item T) int { return q.limiter.numRequeues(item) }

// rateLimiter combines client-go's ItemExponentialFailureRateLimiter and
// BucketRateLimiter, as its MaxOfRateLimiter does.
type rateLimiter[T comparable] struct {
	baseDelay, maxDelay time.Duration
	qps                 float64
	burst               float64

	mu       sync.Mutex
	failures map[T]int
	tokens   float64   // may go negative: the tokens already promised to waiters
	last     time.Time // when tokens was last brought up to date
}

func newRateLimiter[T comparable](opts Options) *rateLimiter[T] {
	r := &rateLimiter[T]{
		baseDelay: orDefault(opts.BaseDelay, DefaultBaseDelay),
		maxDelay:  orDefault(opts.MaxDelay, DefaultMaxDelay),
		qps:       orDefault(opts.QPS, DefaultQPS),
		burst:     float64(orDefault(opts.Burst, DefaultBurst)),
		failures:  make(map[T]int),
		last:      opts.Clock.Now(),
	}
	r.tokens = r.burst
	return r
}

// when records a failure of item and returns how long to wait before retrying it.
func (r *rateLimiter[T]) when(item T, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(r.backoff(item), r.reserve(now))
}

// backoff returns baseDelay * 2^failures, capped at maxDelay, and counts the failure.
func (r *rateLimiter[T]) backoff(item T) time.Duration {
	exp := r.failures[item]
	r.failures[item]++
	d := float64(r.baseDelay) * math.Pow(2, float64(exp))
	if d >= float64(r.maxDelay) {
		return r.maxDelay // also keeps a huge exp from overflowing Duration
	}
	return time.Duration(d)
}

// reserve takes a token from the bucket, which refills at qps up to burst, and
// returns how long until that token exists: zero while the bucket is not empty.
func (r *rateLimiter[T]) reserve(now time.Time) time.Duration {
	if elapsed := now.Sub(r.last); elapsed > 0 {
		r.tokens = min(r.burst, r.tokens+elapsed.Seconds()*r.qps)
		r.last = now
	}
	r.tokens--
	if r.tokens >= 0 {
		return 0
	}
	return time.Duration(-r.tokens / r.qps * float64(time.Second))
}

func (r *rateLimiter[T]) forget(item T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.failures, item)
}

func (r *rateLimiter[T]) numRequeues(item T) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures[item]
}

// orDefault returns v, or def when v is not positive.
func orDefault[N int | float64 | time.Duration](v, def N) N {
	if v <= 0 {
		return def
	}
	return v
}
