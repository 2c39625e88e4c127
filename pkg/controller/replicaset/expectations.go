package replicaset

import (
	"sync"
	"time"
)

// ExpectationsTimeout is how long a ReplicaSet waits for the pod informer to
// report creations and deletions it asked for before it acts again anyway, as
// Kubernetes' ExpectationsTimeout: a watch event that is never delivered (a
// relist that skipped it) cannot stall a ReplicaSet for ever.
const ExpectationsTimeout = 5 * time.Minute

// expectations remember, per ReplicaSet key, the pod creations and deletions
// this controller asked for and the pod informer has not reported yet.
// Until they have been reported (or have expired), reconcile does not create
// or delete pods for that ReplicaSet: its informer cache does not show the
// writes yet, so acting on it would create or delete twice. This is
// Kubernetes' UIDTrackingControllerExpectations: creations are a count (the
// pods have no names before they exist), deletions the keys of the pods, so
// that seeing one pod's deletion twice (marked, then gone) counts once.
//
// All methods are safe for concurrent use: informer handlers lower the
// expectations while workers raise them.
type expectations struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*expectation
}

type expectation struct {
	adds    int                 // creations not yet seen
	deletes map[string]struct{} // pods whose deletion has not been seen
	set     time.Time           // when the expectations were set
}

func newExpectations(now func() time.Time) *expectations {
	return &expectations{now: now, m: map[string]*expectation{}}
}

// satisfied reports whether reconcile may create or delete pods for key: it
// has no expectations, they have all been observed, or they have expired.
func (e *expectations) satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return x.fulfilled() || e.now().Sub(x.set) > ExpectationsTimeout
}

func (x *expectation) fulfilled() bool { return x.adds <= 0 && len(x.deletes) == 0 }

// expectCreations records that n pods are about to be created for key,
// replacing what was expected before (reconcile only creates when that was
// satisfied).
func (e *expectations) expectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{adds: n, set: e.now()}
}

// expectDeletions records that the pods with podKeys are about to be deleted
// for key, replacing what was expected before.
func (e *expectations) expectDeletions(key string, podKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	dels := make(map[string]struct{}, len(podKeys))
	for _, k := range podKeys {
		dels[k] = struct{}{}
	}
	e.m[key] = &expectation{deletes: dels, set: e.now()}
}

// creationObserved lowers the creations expected for key by one: the informer
// saw a new pod, or a create was never sent or failed.
func (e *expectations) creationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok && x.adds > 0 {
		x.adds--
	}
}

// deletionObserved removes podKey from the deletions expected for key. A pod
// that was not expected to go (deleted by someone else) changes nothing.
func (e *expectations) deletionObserved(key, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.deletes, podKey)
	}
}

// forget drops the expectations of key, whose ReplicaSet is gone.
func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
