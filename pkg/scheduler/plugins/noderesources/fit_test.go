package noderesources

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

// result is the comparable part of a Status.
type result struct {
	Code    framework.Code
	Reasons []string
}

func resultOf(s *framework.Status) result { return result{Code: s.Code(), Reasons: s.Reasons()} }

func unschedulable(reasons ...string) result {
	return result{Code: framework.Unschedulable, Reasons: reasons}
}

func newFit(t *testing.T, args string) *Fit {
	t.Helper()
	var raw json.RawMessage
	if args != "" {
		raw = json.RawMessage(args)
	}
	p, err := NewFit(raw, nil)
	if err != nil {
		t.Fatalf("NewFit(%s): %v", args, err)
	}
	return p.(*Fit)
}

// node builds a node named "n" with the given allocatable (pods stays 110
// unless given).
func node(alloc map[string]string) *api.Node {
	return st.MakeNode().Name("n").Capacity(alloc).Obj()
}

// filter runs PreFilter then Filter in a fresh cycle.
func filter(t *testing.T, f *Fit, pod *api.Pod, n *framework.NodeInfo) *framework.Status {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState(nil)
	if s := f.PreFilter(ctx, state, pod); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s.Message())
	}
	return f.Filter(ctx, state, pod, n)
}

func TestFitFilter(t *testing.T) {
	cpuMem := map[string]string{"cpu": "2", "memory": "4Gi"}
	tests := []struct {
		name     string
		pod      *api.Pod
		nodeInfo *framework.NodeInfo
		want     result
	}{
		{
			name:     "fits on an empty node",
			pod:      st.MakePod().Req(map[string]string{"cpu": "2", "memory": "4Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
		},
		{
			name: "fits in what is left",
			pod:  st.MakePod().Req(map[string]string{"cpu": "1", "memory": "1Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "1", "memory": "3Gi"}).Obj()),
		},
		{
			name: "insufficient cpu",
			pod:  st.MakePod().Req(map[string]string{"cpu": "1500m"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "1"}).Obj()),
			want: unschedulable("Insufficient cpu"),
		},
		{
			name: "insufficient memory",
			pod:  st.MakePod().Req(map[string]string{"memory": "2Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"memory": "3Gi"}).Obj()),
			want: unschedulable("Insufficient memory"),
		},
		{
			name: "insufficient cpu and memory are two reasons",
			pod:  st.MakePod().Req(map[string]string{"cpu": "3", "memory": "5Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "1", "memory": "1Gi"}).Obj()),
			want: unschedulable("Insufficient cpu", "Insufficient memory"),
		},
		{
			name:     "node without cpu allocatable",
			pod:      st.MakePod().Req(map[string]string{"cpu": "100m"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"memory": "1Gi"})),
			want:     unschedulable("Insufficient cpu"),
		},
		{
			name: "init container larger than the containers sets the request",
			pod: st.MakePod().Req(map[string]string{"cpu": "1"}).
				InitReq(map[string]string{"cpu": "3"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
			want:     unschedulable("Insufficient cpu"),
		},
		{
			name: "init containers take the max, not the sum",
			pod: st.MakePod().Req(map[string]string{"cpu": "1"}).
				InitReq(map[string]string{"cpu": "2"}).
				InitReq(map[string]string{"cpu": "1500m", "memory": "4Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
		},
		{
			name: "containers sum past a smaller init container",
			pod: st.MakePod().Req(map[string]string{"cpu": "1"}).
				Container("c2", map[string]string{"cpu": "1500m"}).
				InitReq(map[string]string{"cpu": "2"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
			want:     unschedulable("Insufficient cpu"),
		},
		{
			name: "overhead is added to the requests",
			pod: st.MakePod().Req(map[string]string{"cpu": "1500m", "memory": "3Gi"}).
				Overhead(map[string]string{"cpu": "1", "memory": "512Mi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
			want:     unschedulable("Insufficient cpu"),
		},
		{
			name: "overhead of pods on the node is used up",
			pod:  st.MakePod().Req(map[string]string{"memory": "1Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"memory": "3Gi"}).
					Overhead(map[string]string{"memory": "512Mi"}).Obj()),
			want: unschedulable("Insufficient memory"),
		},
		{
			name:     "extended resource fits",
			pod:      st.MakePod().Req(map[string]string{"example.com/gpu": "2"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"example.com/gpu": "2"})),
		},
		{
			name: "insufficient extended resource",
			pod:  st.MakePod().Req(map[string]string{"example.com/gpu": "2"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"example.com/gpu": "2"}),
				st.MakePod().Name("a").Req(map[string]string{"example.com/gpu": "1"}).Obj()),
			want: unschedulable("Insufficient example.com/gpu"),
		},
		{
			name:     "extended resource the node does not have",
			pod:      st.MakePod().Req(map[string]string{"example.com/gpu": "1"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
			want:     unschedulable("Insufficient example.com/gpu"),
		},
		{
			name:     "zero of an extended resource the node does not have",
			pod:      st.MakePod().Req(map[string]string{"cpu": "1", "example.com/gpu": "0"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem)),
		},
		{
			name:     "ephemeral-storage and hugepages are checked by name",
			pod:      st.MakePod().Req(map[string]string{"ephemeral-storage": "2Gi", "hugepages-2Mi": "4Mi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"ephemeral-storage": "1Gi", "hugepages-2Mi": "2Mi"})),
			want:     unschedulable("Insufficient ephemeral-storage", "Insufficient hugepages-2Mi"),
		},
		{
			name: "too many pods",
			pod:  st.MakePod().Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"pods": "2"}),
				st.MakePod().Name("a").Obj(), st.MakePod().Name("b").Obj()),
			want: unschedulable("Too many pods"),
		},
		{
			name: "last pod slot",
			pod:  st.MakePod().Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"pods": "2"}),
				st.MakePod().Name("a").Obj()),
		},
		{
			name: "every reason, extended resources by name",
			pod: st.MakePod().Req(map[string]string{
				"cpu": "1", "memory": "1Gi", "example.com/gpu": "1", "a.example.com/fpga": "1",
			}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"pods": "1", "cpu": "1", "memory": "1Gi"}),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "1", "memory": "1Gi"}).Obj()),
			want: unschedulable("Too many pods", "Insufficient cpu", "Insufficient memory",
				"Insufficient a.example.com/fpga", "Insufficient example.com/gpu"),
		},
		{
			name: "a pod asking no cpu fits on a node over-committed on cpu",
			pod:  st.MakePod().Req(map[string]string{"memory": "1Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "3"}).Obj()),
		},
		{
			name: "a pod asking nothing fits on an over-committed node",
			pod:  st.MakePod().Obj(),
			nodeInfo: framework.NewNodeInfo(node(cpuMem),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "3", "memory": "8Gi", "example.com/gpu": "1"}).Obj()),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resultOf(filter(t, newFit(t, ""), tt.pod, tt.nodeInfo))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFitFilterFillsNode(t *testing.T) {
	f := newFit(t, "")
	ni := framework.NewNodeInfo(node(map[string]string{"cpu": "2", "memory": "4Gi"}))
	want := []result{{}, {}, unschedulable("Insufficient cpu")}
	var got []result
	for _, name := range []string{"p1", "p2", "p3"} {
		pod := st.MakePod().Name(name).Req(map[string]string{"cpu": "1"}).Obj()
		s := filter(t, f, pod, ni)
		got = append(got, resultOf(s))
		if s.IsSuccess() {
			ni.AddPod(pod) // as the engine does once the pod is assumed
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Filter of three 1-cpu pods on a 2-cpu node (-want +got):\n%s", diff)
	}
}

func TestFitFilterWithoutPreFilter(t *testing.T) {
	f := newFit(t, "")
	s := f.Filter(context.Background(), framework.NewCycleState(nil), st.MakePod().Obj(),
		framework.NewNodeInfo(node(map[string]string{"cpu": "1"})))
	if s.Code() != framework.Error {
		t.Errorf("Filter without PreFilter: code %v (%s), want Error", s.Code(), s.Message())
	}
}

func TestFitPreFilterState(t *testing.T) {
	pod := st.MakePod().Req(map[string]string{"cpu": "500m", "memory": "1Gi", "example.com/gpu": "1", "example.com/nic": "0"}).
		InitReq(map[string]string{"cpu": "2"}).
		Overhead(map[string]string{"memory": "64Mi"}).Obj()
	state := framework.NewCycleState(nil)
	if s := newFit(t, "").PreFilter(context.Background(), state, pod); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s.Message())
	}
	d, ok := state.Read(preFilterStateKey)
	if !ok {
		t.Fatalf("PreFilter wrote nothing under %q", preFilterStateKey)
	}
	got := d.(*fitState)
	want := &fitState{
		req: framework.Resource{
			MilliCPU: 2000, Memory: 1<<30 + 64<<20, Pods: 1,
			Scalar: map[string]int64{"example.com/gpu": 1, "example.com/nic": 0},
		},
		scalars: []string{"example.com/gpu"},
	}
	opt := cmp.AllowUnexported(fitState{})
	if diff := cmp.Diff(want, got, opt); diff != "" {
		t.Errorf("PreFilter state (-want +got):\n%s", diff)
	}

	clone := got.Clone().(*fitState)
	clone.req.Scalar["example.com/gpu"] = 7
	clone.scalars[0] = "changed"
	if diff := cmp.Diff(want, got, opt); diff != "" {
		t.Errorf("changing a Clone changed the state (-want +got):\n%s", diff)
	}
}

func TestFitScore(t *testing.T) {
	node48 := map[string]string{"cpu": "4", "memory": "8Gi"}
	node11 := map[string]string{"cpu": "1", "memory": "1Gi"}
	withGPU := map[string]string{"cpu": "4", "memory": "8Gi", "example.com/gpu": "4"}
	pod12 := st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi"}).Obj()
	existing22 := st.MakePod().Name("a").Req(map[string]string{"cpu": "2", "memory": "2Gi"}).Obj()
	overcommit := st.MakePod().Name("a").Req(map[string]string{"cpu": "2", "memory": "0"}).Obj()
	podHalfMem := st.MakePod().Req(map[string]string{"cpu": "1", "memory": "512Mi"}).Obj()
	const (
		most           = `{"scoringStrategy": {"type": "MostAllocated"}}`
		leastWeighted  = `{"scoringStrategy": {"resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}]}}`
		mostWeighted   = `{"scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}]}}`
		leastGPU       = `{"scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu"}, {"name": "memory"}, {"name": "example.com/gpu", "weight": 2}]}}`
		mostGPU        = `{"scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "cpu"}, {"name": "memory"}, {"name": "example.com/gpu", "weight": 2}]}}`
		leastCPUOnly   = `{"scoringStrategy": {"resources": [{"name": "cpu"}]}}`
		leastPodsCount = `{"scoringStrategy": {"resources": [{"name": "pods"}]}}`
	)
	tests := []struct {
		name     string
		args     string
		pod      *api.Pod
		nodeInfo *framework.NodeInfo
		want     int64
	}{
		// LeastAllocated: mean of (alloc-req)*100/alloc.
		{
			name: "least: empty node", pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(node48)),
			want:     75, // cpu 3000*100/4000 = 75, memory 6Gi*100/8Gi = 75
		},
		{
			name: "least: pods on the node count", pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(node48), existing22),
			want:     37, // cpu 1000*100/4000 = 25, memory 4Gi*100/8Gi = 50, 75/2
		},
		{
			name: "least: pods requesting nothing count at the defaults",
			pod:  st.MakePod().Req(map[string]string{"cpu": "400m", "memory": "312Mi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(node11),
				st.MakePod().Name("a").Obj()),
			want: 50, // cpu 100m+400m of 1, memory 200Mi+312Mi of 1Gi
		},
		{
			name: "least: a pod requesting nothing counts at the defaults",
			pod:  st.MakePod().Obj(), nodeInfo: framework.NewNodeInfo(node(node11)),
			want: 85, // cpu 900*100/1000 = 90, memory 824*100/1024 = 80, 170/2
		},
		{
			name: "least: init container and overhead",
			pod: st.MakePod().Req(map[string]string{"cpu": "500m", "memory": "1Gi"}).
				InitReq(map[string]string{"cpu": "1"}).
				Overhead(map[string]string{"cpu": "1", "memory": "1Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(node48)),
			want:     62, // cpu max(500m, 1)+1 = 2 of 4: 50; memory 2Gi of 8Gi: 75
		},
		{
			name: "least: over-committed resource scores 0", pod: podHalfMem,
			nodeInfo: framework.NewNodeInfo(node(node11), overcommit),
			want:     25, // cpu 3 of 1: 0; memory 512Mi of 1Gi: 50
		},
		{
			name: "least: weights", args: leastWeighted, pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(node48), existing22),
			want:     31, // (25*3 + 50*1)/4
		},
		{
			name: "least: extended resource", args: leastGPU,
			pod:      st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi", "example.com/gpu": "3"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(withGPU)),
			want:     50, // (75 + 75 + 25*2)/4
		},
		{
			name: "least: extended resource the pod does not request is left out", args: leastGPU, pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(withGPU),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "0", "memory": "0", "example.com/gpu": "4"}).Obj()),
			want: 75, // (75 + 75)/2; the full gpu would score 0
		},
		{
			name: "least: resource the node does not have is left out", pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"cpu": "4"})),
			want:     75, // cpu only
		},
		{
			name: "least: no resource the node has scores 0", args: leastCPUOnly, pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"memory": "8Gi"})),
			want:     0,
		},
		{
			name: "least: pods as a resource", args: leastPodsCount, pod: st.MakePod().Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"pods": "4"}), st.MakePod().Name("a").Obj()),
			want:     50, // 2 of 4 pods
		},
		// MostAllocated: mean of min(req, alloc)*100/alloc.
		{
			name: "most: empty node", args: most, pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(node48)),
			want:     25,
		},
		{
			name: "most: pods on the node count", args: most, pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(node48), existing22),
			want:     62, // cpu 75, memory 50, 125/2
		},
		{
			name: "most: a pod requesting nothing counts at the defaults", args: most,
			pod: st.MakePod().Obj(), nodeInfo: framework.NewNodeInfo(node(node11)),
			want: 14, // cpu 100*100/1000 = 10, memory 200*100/1024 = 19, 29/2
		},
		{
			name: "most: over-committed resource is capped", args: most, pod: podHalfMem,
			nodeInfo: framework.NewNodeInfo(node(node11), overcommit),
			want:     75, // cpu 100, memory 50
		},
		{
			name: "most: weights", args: mostWeighted, pod: pod12,
			nodeInfo: framework.NewNodeInfo(node(node48), existing22),
			want:     68, // (75*3 + 50*1)/4
		},
		{
			name: "most: extended resource", args: mostGPU,
			pod:      st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi", "example.com/gpu": "3"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(withGPU)),
			want:     50, // (25 + 25 + 75*2)/4
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFit(t, tt.args)
			ctx := context.Background()

			state := framework.NewCycleState(nil)
			if s := f.PreScore(ctx, state, tt.pod, []*framework.NodeInfo{tt.nodeInfo}); !s.IsSuccess() {
				t.Fatalf("PreScore: %v", s.Message())
			}
			got, s := f.Score(ctx, state, tt.pod, tt.nodeInfo)
			if !s.IsSuccess() {
				t.Fatalf("Score: %v", s.Message())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Score (-want +got):\n%s", diff)
			}

			got, _ = f.Score(ctx, framework.NewCycleState(nil), tt.pod, tt.nodeInfo)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Score without PreScore (-want +got):\n%s", diff)
			}
		})
	}
}
