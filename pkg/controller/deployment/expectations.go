package deployment

import (
	"strconv"
	"sync"
	"time"

	"skiff/pkg/api"
)

// expectationsTimeout is how long a sync waits for the cache to show a write
// of the controller's, in case the event that would end the wait is lost (the
// ReplicaSet was deleted by someone else before the cache saw it, say); as
// kube-controller-manager's ExpectationsTimeout.
const expectationsTimeout = 5 * time.Minute

// expectations remembers, per Deployment, the ReplicaSet writes of its syncs
// (creations and updates) until the ReplicaSet cache shows them. A sync
// decides from the cache: one that ran while the cache is still behind the
// last sync's writes would size ReplicaSets from a state that is gone, e.g.
// create the new ReplicaSet as though an old one it does not see yet did not
// exist, past maxSurge. It is kube-controller-manager's ControllerExpectations
// idea, keyed by resourceVersion.
//
// The methods are safe for concurrent use.
type expectations struct {
	mu sync.Mutex
	m  map[string]map[string]expectation // Deployment key → ReplicaSet name →
}

// expectation is one write: the ReplicaSet's resourceVersion after it, and
// when it was made.
type expectation struct {
	rv uint64
	at time.Time
}

func newExpectations() *expectations {
	return &expectations{m: map[string]map[string]expectation{}}
}

// expect records that the sync of the Deployment with key wrote rs (as the
// apiserver returned it) at now.
func (e *expectations) expect(key string, rs *api.ReplicaSet, now time.Time) {
	rv, err := strconv.ParseUint(rs.ResourceVersion, 10, 64)
	if err != nil {
		return // nothing to compare the cache with
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m[key] == nil {
		e.m[key] = map[string]expectation{}
	}
	e.m[key][rs.Name] = expectation{rv: rv, at: now}
}

// forget drops what was expected of the ReplicaSet name (it is gone), or of
// all of the Deployment's if name is "".
func (e *expectations) forget(key, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "" {
		delete(e.m, key)
		return
	}
	delete(e.m[key], name)
	if len(e.m[key]) == 0 {
		delete(e.m, key)
	}
}

// pending returns the name of a ReplicaSet whose last write by the Deployment
// with key the cache (get, by name) does not show yet. Writes the cache shows,
// and those older than expectationsTimeout, are dropped.
func (e *expectations) pending(key string, get func(name string) (*api.ReplicaSet, bool), now time.Time) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, exp := range e.m[key] {
		if rs, ok := get(name); ok && shows(rs, exp.rv) || now.Sub(exp.at) > expectationsTimeout {
			delete(e.m[key], name)
			continue
		}
		return name, true
	}
	delete(e.m, key)
	return "", false
}

// shows reports whether rs is the version with resourceVersion rv or a later
// one. An unreadable resourceVersion shows everything: nothing would wait for
// it otherwise.
func shows(rs *api.ReplicaSet, rv uint64) bool {
	have, err := strconv.ParseUint(rs.ResourceVersion, 10, 64)
	return err != nil || have >= rv
}
