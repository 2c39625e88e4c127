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

func newBalancedAllocation(t *testing.T, args string) *BalancedAllocation {
	t.Helper()
	var raw json.RawMessage
	if args != "" {
		raw = json.RawMessage(args)
	}
	p, err := NewBalancedAllocation(raw, nil)
	if err != nil {
		t.Fatalf("NewBalancedAllocation(%s): %v", args, err)
	}
	return p.(*BalancedAllocation)
}

func TestBalancedAllocationScore(t *testing.T) {
	node48 := map[string]string{"cpu": "4", "memory": "8Gi"}
	const withGPU = `{"resources": [{"name": "cpu"}, {"name": "memory"}, {"name": "example.com/gpu", "weight": 1}]}`
	tests := []struct {
		name     string
		args     string
		pod      *api.Pod
		nodeInfo *framework.NodeInfo
		want     int64
	}{
		{
			name:     "equal fractions",
			pod:      st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(node48)),
			want:     100, // 1/4 and 2/8
		},
		{
			name:     "unequal fractions",
			pod:      st.MakePod().Req(map[string]string{"cpu": "2", "memory": "2Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(node48)),
			want:     87, // 0.5 and 0.25: std 0.125, 87.5
		},
		{
			name: "pods on the node count",
			pod:  st.MakePod().Req(map[string]string{"cpu": "1", "memory": "1Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(node48),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "1", "memory": "4Gi"}).Obj()),
			want: 93, // 2/4 and 5/8: std 0.0625, 93.75
		},
		{
			name: "fraction is capped at 1",
			pod:  st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"cpu": "1", "memory": "8Gi"}),
				st.MakePod().Name("a").Req(map[string]string{"cpu": "2", "memory": "0"}).Obj()),
			want: 62, // 3/1 → 1 and 2/8: std 0.375, 62.5
		},
		{
			name:     "a pod requesting nothing counts at the defaults",
			pod:      st.MakePod().Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"cpu": "1", "memory": "1Gi"})),
			want:     95, // 100m/1 and 200Mi/1Gi: std 0.04765625, 95.23
		},
		{
			name: "init container and overhead",
			pod: st.MakePod().Req(map[string]string{"cpu": "500m"}).
				InitReq(map[string]string{"cpu": "1"}).
				Overhead(map[string]string{"cpu": "1", "memory": "1Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(node48)),
			want:     82, // cpu 2/4, memory (200Mi default + 1Gi)/8Gi = 0.149: std 0.175, 82.47
		},
		{
			name:     "a resource the node does not have is left out",
			pod:      st.MakePod().Req(map[string]string{"cpu": "3", "memory": "2Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"cpu": "4"})),
			want:     100, // one fraction: std 0
		},
		{
			name:     "three resources",
			args:     withGPU,
			pod:      st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi", "example.com/gpu": "4"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"cpu": "4", "memory": "8Gi", "example.com/gpu": "4"})),
			want:     64, // 0.25, 0.25, 1: std sqrt(0.125) = 0.354, 64.6
		},
		{
			name:     "an extended resource the pod does not request is left out",
			args:     withGPU,
			pod:      st.MakePod().Req(map[string]string{"cpu": "1", "memory": "2Gi"}).Obj(),
			nodeInfo: framework.NewNodeInfo(node(map[string]string{"cpu": "4", "memory": "8Gi", "example.com/gpu": "4"})),
			want:     100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBalancedAllocation(t, tt.args)
			ctx := context.Background()

			state := framework.NewCycleState(nil)
			if s := b.PreScore(ctx, state, tt.pod, []*framework.NodeInfo{tt.nodeInfo}); !s.IsSuccess() {
				t.Fatalf("PreScore: %v", s.Message())
			}
			got, s := b.Score(ctx, state, tt.pod, tt.nodeInfo)
			if !s.IsSuccess() {
				t.Fatalf("Score: %v", s.Message())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Score (-want +got):\n%s", diff)
			}

			got, _ = b.Score(ctx, framework.NewCycleState(nil), tt.pod, tt.nodeInfo)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Score without PreScore (-want +got):\n%s", diff)
			}
		})
	}
}
