package pods

import "time"

// Back-off periods, as in the kubelet.
const (
	// crashBackoffInitial and crashBackoffMax bound the wait before a failed
	// container is restarted (CrashLoopBackOff); a container that ran for
	// 2*crashBackoffMax (10 min) since its last restart starts over.
	crashBackoffInitial = 10 * time.Second
	crashBackoffMax     = 5 * time.Minute
	// pullBackoffInitial and pullBackoffMax bound the wait between failed
	// pulls of an image (ImagePullBackOff).
	pullBackoffInitial = 10 * time.Second
	pullBackoffMax     = 5 * time.Minute
	// retryBackoffInitial and retryBackoffMax bound the wait before a pod step
	// that failed (sandbox, network, volumes, status write, cleanup) is tried again.
	retryBackoffInitial = time.Second
	retryBackoffMax     = 16 * time.Second
)

// backoff is the kubelet's flowcontrol.Backoff without jitter: per key, a
// delay that starts at initial and doubles up to max with each Next, and
// starts over when the key was quiet for 2*max. It is used by one worker
// goroutine only.
type backoff struct {
	initial, max time.Duration
	entries      map[string]*backoffEntry
}

type backoffEntry struct {
	delay      time.Duration
	lastUpdate time.Time
}

func newBackoff(initial, max time.Duration) *backoff {
	return &backoff{initial: initial, max: max, entries: map[string]*backoffEntry{}}
}

// Next records an event at eventTime (e.g. a container's exit) and grows the
// key's delay, or starts it over at initial when the last one was long ago.
func (b *backoff) Next(key string, eventTime, now time.Time) {
	e, ok := b.entries[key]
	if !ok || b.expired(eventTime, e.lastUpdate) {
		e = &backoffEntry{delay: b.initial}
		b.entries[key] = e
	} else {
		e.delay = min(2*e.delay, b.max)
	}
	e.lastUpdate = now
}

// InBackOffSince reports whether now is within the key's delay after
// eventTime, and when that delay ends.
func (b *backoff) InBackOffSince(key string, eventTime, now time.Time) (bool, time.Time) {
	e, ok := b.entries[key]
	if !ok || b.expired(eventTime, e.lastUpdate) {
		return false, time.Time{}
	}
	end := eventTime.Add(e.delay)
	return now.Before(end), end
}

// InBackOffSinceUpdate reports whether now is within the key's delay after
// its last Next, and when that delay ends.
func (b *backoff) InBackOffSinceUpdate(key string, now time.Time) (bool, time.Time) {
	e, ok := b.entries[key]
	if !ok || b.expired(now, e.lastUpdate) {
		return false, time.Time{}
	}
	end := e.lastUpdate.Add(e.delay)
	return now.Before(end), end
}

// Delay returns the key's current delay (0 if none).
func (b *backoff) Delay(key string) time.Duration {
	if e, ok := b.entries[key]; ok {
		return e.delay
	}
	return 0
}

// Reset forgets the key.
func (b *backoff) Reset(key string) { delete(b.entries, key) }

func (b *backoff) expired(eventTime, lastUpdate time.Time) bool {
	return eventTime.Sub(lastUpdate) > 2*b.max
}
