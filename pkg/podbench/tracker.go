package podbench

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"skiff/pkg/api"
)

// tracker records, per pod of the run, when its create call started and when
// the watch first showed it bound and Running. Its methods are safe for
// concurrent use.
type tracker struct {
	want int

	mu       sync.Mutex
	created  map[string]time.Time
	bound    map[string]time.Time
	running  map[string]time.Time
	problems map[string]string // pod → the last waiting reason or failure seen
	all      chan struct{}     // closed once want pods are Running
}

func newTracker(want int) *tracker {
	return &tracker{want: want, created: map[string]time.Time{}, bound: map[string]time.Time{},
		running: map[string]time.Time{}, problems: map[string]string{}, all: make(chan struct{})}
}

// creating records the start of a pod's create call.
func (t *tracker) creating(name string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created[name] = at
}

// observe takes a pod as a watch event showed it at time at.
func (t *tracker) observe(p *api.Pod, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.created[p.Name]; !ok {
		return // not ours, or its create has not started (impossible for a watch event)
	}
	if _, ok := t.bound[p.Name]; !ok && p.Spec.NodeName != "" {
		t.bound[p.Name] = at
	}
	if p.Status.Phase == api.PodFailed || p.Status.Phase == api.PodSucceeded {
		t.problems[p.Name] = "phase " + p.Status.Phase
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
			t.problems[p.Name] = w.Reason + ": " + w.Message
		}
	}
	if _, ok := t.running[p.Name]; ok || p.Status.Phase != api.PodRunning {
		return
	}
	t.running[p.Name] = at
	delete(t.problems, p.Name)
	if len(t.running) == t.want {
		close(t.all)
	}
}

// result is what the run measured.
type result struct {
	startup  []time.Duration // create call start → Running seen, per pod
	bind     []time.Duration // create call start → bound seen, per pod
	allRun   time.Duration   // first create call start → last Running seen
	creating time.Duration   // first create call start → last create call start
}

func (t *tracker) result() result {
	t.mu.Lock()
	defer t.mu.Unlock()
	var r result
	var first, lastCreate, lastRun time.Time
	for name, c := range t.created {
		if first.IsZero() || c.Before(first) {
			first = c
		}
		if c.After(lastCreate) {
			lastCreate = c
		}
		if b, ok := t.bound[name]; ok {
			r.bind = append(r.bind, b.Sub(c))
		}
		if at, ok := t.running[name]; ok {
			r.startup = append(r.startup, at.Sub(c))
			if at.After(lastRun) {
				lastRun = at
			}
		}
	}
	if len(t.running) == t.want && t.want > 0 {
		r.allRun = lastRun.Sub(first)
	}
	r.creating = lastCreate.Sub(first)
	return r
}

// trouble describes the pods not Running yet, for a run that timed out.
func (t *tracker) trouble() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for name := range t.created {
		if _, ok := t.running[name]; ok {
			continue
		}
		state := "not bound"
		if _, ok := t.bound[name]; ok {
			state = "bound, not running"
		}
		if p := t.problems[name]; p != "" {
			state += " (" + p + ")"
		}
		lines = append(lines, name+": "+state)
	}
	sort.Strings(lines)
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("and %d more", len(lines)-10))
	}
	return fmt.Sprintf("%d of %d pods running; %v", len(t.running), t.want, lines)
}
