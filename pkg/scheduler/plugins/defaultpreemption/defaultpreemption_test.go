package defaultpreemption_test

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins/defaultbinder"
	"skiff/pkg/scheduler/plugins/defaultpreemption"
	"skiff/pkg/scheduler/plugins/interpodaffinity"
	"skiff/pkg/scheduler/plugins/noderesources"
	"skiff/pkg/scheduler/plugins/podtopologyspread"
	"skiff/pkg/scheduler/plugins/queuesort"
	"skiff/pkg/scheduler/plugins/tainttoleration"
	st "skiff/pkg/scheduler/testing"
)

// recorder is a Handle that remembers what preemption asked for.
type recorder struct {
	deleted   []string
	nominated map[string]string
}

func (r *recorder) Bind(context.Context, *api.Pod, string) error { return nil }
func (r *recorder) DeletePod(_ context.Context, p *api.Pod) error {
	r.deleted = append(r.deleted, p.Name)
	return nil
}
func (r *recorder) NominateNode(_ context.Context, p *api.Pod, node string) error {
	r.nominated[p.Name] = node
	return nil
}

func profile(t *testing.T, h framework.Handle) *framework.Profile {
	t.Helper()
	var plugins []framework.Plugin
	for _, f := range []framework.Factory{queuesort.New, tainttoleration.New, noderesources.NewFit,
		// These skip their Filter for pods without spread or affinity terms;
		// preemption's simulation must skip them too.
		podtopologyspread.New, interpodaffinity.New,
		defaultbinder.New, defaultpreemption.New} {
		pl, err := f(nil, h)
		if err != nil {
			t.Fatal(err)
		}
		plugins = append(plugins, pl)
	}
	p, err := framework.NewProfile("test", plugins, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func cpu(n string) map[string]string { return map[string]string{"cpu": n} }

func TestPreemption(t *testing.T) {
	twoCPU := func(name string) *api.Node { return st.MakeNode().Name(name).Capacity(cpu("2")).Obj() }
	tests := []struct {
		name          string
		nodes         []*api.Node
		pods          []*api.Pod
		preemptor     *api.Pod
		wantNominated string
		wantDeleted   []string
	}{
		{
			name:          "evicts the one lower-priority pod that makes room",
			nodes:         []*api.Node{twoCPU("n1")},
			pods:          []*api.Pod{st.MakePod().Name("low").Priority(1).Req(cpu("1")).Node("n1").Obj(), st.MakePod().Name("mid").Priority(5).Req(cpu("1")).Node("n1").Obj()},
			preemptor:     st.MakePod().Name("high").Priority(10).Req(cpu("1")).Obj(),
			wantNominated: "n1",
			wantDeleted:   []string{"low"},
		},
		{
			name:      "never evicts pods of equal or higher priority",
			nodes:     []*api.Node{twoCPU("n1")},
			pods:      []*api.Pod{st.MakePod().Name("a").Priority(10).Req(cpu("1")).Node("n1").Obj(), st.MakePod().Name("b").Priority(20).Req(cpu("1")).Node("n1").Obj()},
			preemptor: st.MakePod().Name("high").Priority(10).Req(cpu("1")).Obj(),
		},
		{
			name:  "prefers the node whose victims matter least",
			nodes: []*api.Node{twoCPU("n1"), twoCPU("n2")},
			pods: []*api.Pod{
				st.MakePod().Name("n1-a").Priority(5).Req(cpu("2")).Node("n1").Obj(),
				st.MakePod().Name("n2-a").Priority(1).Req(cpu("1")).Node("n2").Obj(),
				st.MakePod().Name("n2-b").Priority(2).Req(cpu("1")).Node("n2").Obj(),
			},
			preemptor:     st.MakePod().Name("high").Priority(10).Req(cpu("2")).Obj(),
			wantNominated: "n2",
			wantDeleted:   []string{"n2-a", "n2-b"},
		},
		{
			name:      "a taint is not fixed by evicting pods",
			nodes:     []*api.Node{st.MakeNode().Name("n1").Capacity(cpu("2")).Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Obj()},
			pods:      []*api.Pod{st.MakePod().Name("low").Priority(1).Req(cpu("2")).Node("n1").Obj()},
			preemptor: st.MakePod().Name("high").Priority(10).Req(cpu("1")).Obj(),
		},
		{
			name:      "preemptionPolicy Never",
			nodes:     []*api.Node{twoCPU("n1")},
			pods:      []*api.Pod{st.MakePod().Name("low").Priority(1).Req(cpu("2")).Node("n1").Obj()},
			preemptor: withPolicy(st.MakePod().Name("high").Priority(10).Req(cpu("1")).Obj(), defaultpreemption.PreemptNever),
		},
		{
			name:      "too big even on an empty node",
			nodes:     []*api.Node{twoCPU("n1")},
			pods:      []*api.Pod{st.MakePod().Name("low").Priority(1).Req(cpu("1")).Node("n1").Obj()},
			preemptor: st.MakePod().Name("huge").Priority(10).Req(cpu("3")).Obj(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &recorder{nominated: map[string]string{}}
			p := profile(t, h)
			state := framework.NewCycleState(framework.NewSnapshot(tc.nodes, tc.pods))
			_, _, err := p.Schedule(context.Background(), state, tc.preemptor, 0)
			var fe *framework.FitError
			if !errors.As(err, &fe) {
				t.Fatalf("Schedule: %v, want a FitError (the pod waits for its victims)", err)
			}
			sort.Strings(h.deleted)
			if diff := cmp.Diff(tc.wantDeleted, h.deleted); diff != "" {
				t.Errorf("victims (-want +got):\n%s", diff)
			}
			if got := h.nominated[tc.preemptor.Name]; got != tc.wantNominated {
				t.Errorf("nominated %q, want %q", got, tc.wantNominated)
			}
		})
	}
}

func withPolicy(p *api.Pod, policy string) *api.Pod {
	p.Spec.PreemptionPolicy = &policy
	return p
}
