package framework_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

// Fake plugins: a queue sort, a binder, a filter rejecting listed nodes, and a
// scorer reading scores from a map.
type sorter struct{}

func (sorter) Name() string                            { return "Sort" }
func (sorter) Less(a, b *framework.QueuedPodInfo) bool { return a.Timestamp < b.Timestamp }

type binder struct{}

func (binder) Name() string { return "Bind" }
func (binder) Bind(context.Context, *framework.CycleState, *api.Pod, string) *framework.Status {
	return nil
}

type rejecter struct {
	name   string
	reject map[string]string // node → reason
	code   framework.Code
}

func (r rejecter) Name() string { return r.name }
func (r rejecter) Filter(_ context.Context, _ *framework.CycleState, _ *api.Pod, n *framework.NodeInfo) *framework.Status {
	if reason, ok := r.reject[n.Name()]; ok {
		return framework.NewStatus(r.code, reason)
	}
	return nil
}

type scorer struct {
	name   string
	scores map[string]int64
}

func (s scorer) Name() string { return s.name }
func (s scorer) Score(_ context.Context, _ *framework.CycleState, _ *api.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	return s.scores[n.Name()], nil
}

func nodes(n int) []*api.Node {
	var out []*api.Node
	for i := range n {
		out = append(out, st.MakeNode().Name(fmt.Sprintf("n%d", i)).Obj())
	}
	return out
}

func schedule(t *testing.T, p *framework.Profile, ns []*api.Node) (framework.Result, error) {
	t.Helper()
	state := framework.NewCycleState(framework.NewSnapshot(ns, nil))
	res, _, err := p.Schedule(context.Background(), state, st.MakePod().Obj(), 0)
	return res, err
}

func TestScheduleSummaryNamesEveryReason(t *testing.T) {
	p, err := framework.NewProfile("test", []framework.Plugin{
		sorter{}, binder{},
		rejecter{name: "Taints", code: framework.UnschedulableAndUnresolvable, reject: map[string]string{"n0": "node(s) had untolerated taint {dedicated: gpu}", "n1": "node(s) had untolerated taint {dedicated: gpu}"}},
		rejecter{name: "Fit", code: framework.Unschedulable, reject: map[string]string{"n0": "Insufficient cpu", "n2": "Insufficient cpu", "n3": "Insufficient cpu", "n4": "Insufficient cpu"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = schedule(t, p, nodes(5))
	var fe *framework.FitError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FitError", err)
	}
	want := "0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}."
	if got := fe.Error(); got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
	// The first rejecting plugin is recorded for each node.
	if st := fe.Diagnosis.NodeToStatus["n0"]; st.Plugin() != "Taints" {
		t.Errorf("n0 rejected by %q, want Taints", st.Plugin())
	}
	if st := fe.Diagnosis.NodeToStatus["n3"]; st.Plugin() != "Fit" || st.Code() != framework.Unschedulable {
		t.Errorf("n3: %v %v", st.Plugin(), st.Code())
	}
}

func TestScheduleWeightsAndNormalizedRange(t *testing.T) {
	p, err := framework.NewProfile("test", []framework.Plugin{
		sorter{}, binder{},
		scorer{name: "A", scores: map[string]int64{"n0": 100, "n1": 0, "n2": 50}},
		scorer{name: "B", scores: map[string]int64{"n0": 0, "n1": 60, "n2": 50}},
	}, map[string]int64{"A": 1, "B": 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := schedule(t, p, nodes(3))
	if err != nil {
		t.Fatal(err)
	}
	// n0: 100, n1: 120, n2: 150.
	if res.NodeName != "n2" {
		t.Errorf("chose %s, want n2", res.NodeName)
	}

	bad, _ := framework.NewProfile("bad", []framework.Plugin{sorter{}, binder{}, scorer{name: "C", scores: map[string]int64{"n0": 101}}}, nil)
	if _, err := schedule(t, bad, nodes(2)); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("a score above 100: err %v", err)
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	p := &framework.Profile{}
	for n, want := range map[int]int{50: 50, 100: 100, 500: 230, 1000: 420, 5000: 500, 10000: 500} {
		if got := p.NumFeasibleNodesToFind(n); got != want {
			t.Errorf("%d nodes: find %d, want %d", n, got, want)
		}
	}
	p.PercentageOfNodesToScore = 100
	if got := p.NumFeasibleNodesToFind(5000); got != 5000 {
		t.Errorf("100%%: %d", got)
	}
}

// TestScheduleSamplesLargeClusters: with 1,000 nodes a cycle stops filtering
// once it has enough feasible nodes, and the next cycle starts where it stopped.
func TestScheduleSamplesLargeClusters(t *testing.T) {
	p, _ := framework.NewProfile("test", []framework.Plugin{sorter{}, binder{}, rejecter{name: "None", reject: map[string]string{}}}, nil)
	state := framework.NewCycleState(framework.NewSnapshot(nodes(1000), nil))
	res, next, err := p.Schedule(context.Background(), state, st.MakePod().Obj(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Feasible != 420 {
		t.Errorf("feasible %d, want 420", res.Feasible)
	}
	if next < 420 {
		t.Errorf("next start %d, want at least 420", next)
	}
}

func TestNewProfileNeedsSortAndBind(t *testing.T) {
	if _, err := framework.NewProfile("x", []framework.Plugin{binder{}}, nil); err == nil {
		t.Error("a profile without queue sort was accepted")
	}
	if _, err := framework.NewProfile("x", []framework.Plugin{sorter{}}, nil); err == nil {
		t.Error("a profile without bind was accepted")
	}
}
