package schedbench

import (
	"fmt"
	"sync"
	"time"

	"skiff/pkg/api"
)

// maxProblems is how many problems a tracker keeps word for word; it counts the rest.
const maxProblems = 10

// tracker records, for each of the run's pods, when its create was sent and when
// and where a watch first saw it bound, and notes anything that breaks "bound
// exactly once, to one of the run's nodes". Its methods are safe for concurrent use.
type tracker struct {
	index map[string]int  // pod name → index; read-only
	nodes map[string]bool // the run's nodes; read-only
	probe string

	mu         sync.Mutex
	sent       []time.Time
	bound      []time.Time
	nodeOf     []string
	nBound     int
	firstBind  time.Time
	lastBind   time.Time
	probeNode  string
	problems   []string
	nProblems  int
	probeBound chan struct{} // closed when the probe pod is bound
	allBound   chan struct{} // closed when every pod is bound
}

func newTracker(pods, nodes []string, probe string) *tracker {
	t := &tracker{
		index:      make(map[string]int, len(pods)),
		nodes:      make(map[string]bool, len(nodes)),
		probe:      probe,
		sent:       make([]time.Time, len(pods)),
		bound:      make([]time.Time, len(pods)),
		nodeOf:     make([]string, len(pods)),
		probeBound: make(chan struct{}),
		allBound:   make(chan struct{}),
	}
	for i, p := range pods {
		t.index[p] = i
	}
	for _, n := range nodes {
		t.nodes[n] = true
	}
	if len(pods) == 0 {
		close(t.allBound)
	}
	return t
}

// created records that the create of pod i was sent at.
func (t *tracker) created(i int, at time.Time) {
	t.mu.Lock()
	t.sent[i] = at
	t.mu.Unlock()
}

// observe takes a pod as a watch (or list) delivered it at.
func (t *tracker) observe(p *api.Pod, at time.Time) {
	node := p.Spec.NodeName
	t.mu.Lock()
	defer t.mu.Unlock()
	if p.Name == t.probe {
		if node != "" && t.probeNode == "" {
			t.probeNode = node
			close(t.probeBound)
		}
		return
	}
	i, ok := t.index[p.Name]
	if !ok {
		return
	}
	switch prev := t.nodeOf[i]; {
	case node == "" && prev != "":
		t.problemf("pod %s was seen bound to %s, then unbound", p.Name, prev)
	case node == "" || node == prev:
	case prev != "":
		t.problemf("pod %s was bound twice: to %s, then to %s", p.Name, prev, node)
	default:
		if !t.nodes[node] {
			t.problemf("pod %s was bound to %s, which is not one of the run's nodes", p.Name, node)
		}
		t.nodeOf[i], t.bound[i] = node, at
		if t.nBound == 0 || at.Before(t.firstBind) {
			t.firstBind = at
		}
		if at.After(t.lastBind) {
			t.lastBind = at
		}
		t.nBound++
		if t.nBound == len(t.nodeOf) {
			close(t.allBound)
		}
	}
}

// deleted takes a pod a watch saw deleted; none should be while the run lasts.
func (t *tracker) deleted(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.index[name]; ok || name == t.probe {
		t.problemf("pod %s was deleted while the run was measuring", name)
	}
}

func (t *tracker) problemf(format string, args ...any) {
	t.nProblems++
	if len(t.problems) < maxProblems {
		t.problems = append(t.problems, fmt.Sprintf(format, args...))
	}
}

func (t *tracker) boundCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nBound
}

// trouble returns the problems noted so far and how many there were in all.
func (t *tracker) trouble() ([]string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.problems...), t.nProblems
}

// boundTo returns where the watch saw pod i bound ("" if not yet).
func (t *tracker) boundTo(i int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nodeOf[i]
}

// measurement summarises a run whose pods are all bound; the clock started at start.
func (t *tracker) measurement(start time.Time) *measurement {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := &measurement{pods: len(t.nodeOf), firstBind: t.firstBind.Sub(start), lastBind: t.lastBind.Sub(start)}
	for i, b := range t.bound {
		if !b.IsZero() && !t.sent[i].IsZero() {
			m.latencies = append(m.latencies, b.Sub(t.sent[i]))
		}
	}
	return m
}
