package schedbench

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func pod(name, node string) *api.Pod {
	return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name}, Spec: api.PodSpec{NodeName: node}}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestTrackerMeasures(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tr := newTracker([]string{"p0", "p1", "p2"}, []string{"n0", "n1"}, "probe")

	tr.observe(pod("probe", "n1"), at(0))
	if !closed(tr.probeBound) {
		t.Fatal("probe bound but probeBound is open")
	}
	for i := range 3 {
		tr.created(i, at(i))
	}
	tr.observe(pod("p0", ""), at(3))    // ADDED, pending
	tr.observe(pod("p1", "n0"), at(10)) // bound
	tr.observe(pod("p1", "n0"), at(11)) // a later update of the same binding
	tr.observe(pod("other", "n9"), at(12))
	tr.observe(pod("p0", "n1"), at(20))
	if closed(tr.allBound) {
		t.Fatal("allBound closed with one pod pending")
	}
	tr.observe(pod("p2", "n0"), at(42))
	if !closed(tr.allBound) {
		t.Fatal("every pod bound but allBound is open")
	}
	if problems, n := tr.trouble(); n != 0 {
		t.Fatalf("problems for a clean run: %v", problems)
	}
	got := tr.measurement(at(0))
	want := &measurement{pods: 3, firstBind: 10 * time.Millisecond, lastBind: 42 * time.Millisecond,
		latencies: []time.Duration{20 * time.Millisecond, 9 * time.Millisecond, 40 * time.Millisecond}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(measurement{})); diff != "" {
		t.Errorf("measurement (-want +got):\n%s", diff)
	}
}

func TestTrackerProblems(t *testing.T) {
	tests := []struct {
		name   string
		events func(tr *tracker)
		want   string
	}{
		{
			name:   "bound twice",
			events: func(tr *tracker) { tr.observe(pod("p0", "n0"), time.Now()); tr.observe(pod("p0", "n1"), time.Now()) },
			want:   "pod p0 was bound twice: to n0, then to n1",
		},
		{
			name:   "unknown node",
			events: func(tr *tracker) { tr.observe(pod("p0", "ghost"), time.Now()) },
			want:   "pod p0 was bound to ghost, which is not one of the run's nodes",
		},
		{
			name:   "unbound again",
			events: func(tr *tracker) { tr.observe(pod("p0", "n0"), time.Now()); tr.observe(pod("p0", ""), time.Now()) },
			want:   "pod p0 was seen bound to n0, then unbound",
		},
		{
			name:   "deleted",
			events: func(tr *tracker) { tr.deleted("p0") },
			want:   "pod p0 was deleted while the run was measuring",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker([]string{"p0"}, []string{"n0", "n1"}, "probe")
			tc.events(tr)
			problems, n := tr.trouble()
			if n != 1 || len(problems) != 1 || problems[0] != tc.want {
				t.Errorf("problems = %d %q, want [%q]", n, problems, tc.want)
			}
		})
	}
}

func TestTrackerCapsProblems(t *testing.T) {
	tr := newTracker([]string{"p0"}, nil, "probe")
	for range 25 {
		tr.deleted("p0")
	}
	problems, n := tr.trouble()
	if n != 25 || len(problems) != maxProblems {
		t.Errorf("kept %d of %d problems, want %d of 25", len(problems), n, maxProblems)
	}
	if !strings.Contains(problems[0], "p0") {
		t.Errorf("problem %q does not name the pod", problems[0])
	}
}
