package noderesources

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

// TestConcurrentCallsLeaveInputsAlone runs Filter and Score of both plugins
// on many nodes at once, as the engine does, over one CycleState, and checks
// the answers and that the pod and the NodeInfos are unchanged. Run with -race.
func TestConcurrentCallsLeaveInputsAlone(t *testing.T) {
	makePod := func() *api.Pod {
		return st.MakePod().Req(map[string]string{"cpu": "1", "memory": "1Gi", "example.com/gpu": "1"}).
			InitReq(map[string]string{"cpu": "2"}).
			Overhead(map[string]string{"memory": "128Mi"}).Obj()
	}
	makeNodes := func() []*framework.NodeInfo {
		var out []*framework.NodeInfo
		for i, alloc := range []map[string]string{
			{"cpu": "4", "memory": "8Gi", "example.com/gpu": "2"},
			{"cpu": "1", "memory": "8Gi", "example.com/gpu": "2"},
			{"cpu": "4", "memory": "8Gi"},
		} {
			n := st.MakeNode().Name(string(rune('a' + i))).Capacity(alloc).Obj()
			out = append(out, framework.NewNodeInfo(n,
				st.MakePod().Name("on-"+n.Name).Req(map[string]string{"cpu": "500m"}).Obj()))
		}
		return out
	}
	pod, nodes := makePod(), makeNodes()

	fit := newFit(t, `{"scoringStrategy": {"type": "MostAllocated"}}`)
	balanced := newBalancedAllocation(t, "")
	ctx := context.Background()
	state := framework.NewCycleState(framework.NewSnapshotFromInfos(nodes))
	if s := fit.PreFilter(ctx, state, pod); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s.Message())
	}
	if s := fit.PreScore(ctx, state, pod, nodes); !s.IsSuccess() {
		t.Fatalf("Fit PreScore: %v", s.Message())
	}
	if s := balanced.PreScore(ctx, state, pod, nodes); !s.IsSuccess() {
		t.Fatalf("BalancedAllocation PreScore: %v", s.Message())
	}

	type answer struct {
		Filter        result
		Fit, Balanced int64
		FitOK, BalOK  bool
	}
	once := func(n *framework.NodeInfo) answer {
		var a answer
		a.Filter = resultOf(fit.Filter(ctx, state, pod, n))
		var s *framework.Status
		a.Fit, s = fit.Score(ctx, state, pod, n)
		a.FitOK = s.IsSuccess()
		a.Balanced, s = balanced.Score(ctx, state, pod, n)
		a.BalOK = s.IsSuccess()
		return a
	}
	want := make([]answer, len(nodes))
	for i, n := range nodes {
		want[i] = once(n)
	}

	const rounds = 50
	got := make([][]answer, rounds)
	var wg sync.WaitGroup
	for r := range rounds {
		got[r] = make([]answer, len(nodes))
		for i, n := range nodes {
			wg.Go(func() { got[r][i] = once(n) })
		}
	}
	wg.Wait()
	for r := range rounds {
		if diff := cmp.Diff(want, got[r]); diff != "" {
			t.Fatalf("round %d answers differ from sequential ones (-want +got):\n%s", r, diff)
		}
	}

	if diff := cmp.Diff(makePod(), pod); diff != "" {
		t.Errorf("pod changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(makeNodes(), nodes); diff != "" {
		t.Errorf("NodeInfos changed (-want +got):\n%s", diff)
	}
}
