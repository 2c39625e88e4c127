package interpodaffinity

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

const (
	zone     = "topology.kubernetes.io/zone"
	hostname = "kubernetes.io/hostname"
)

// zoneNode is a node named name in zone z.
func zoneNode(name, z string) *api.Node {
	return st.MakeNode().Name(name).Label(zone, z).Obj()
}

// labelled is a pod with one label, on node.
func labelled(name, key, value, node string) *api.Pod {
	return st.MakePod().Name(name).Label(key, value).Node(node).Obj()
}

func selector(key, value string) *api.LabelSelector {
	return st.MakeLabelSelector().Label(key, value).Obj()
}

// describe shows a status as "Code: message", or "" for success.
func describe(s *framework.Status) string {
	if s.IsSuccess() {
		return ""
	}
	return s.Code().String() + ": " + s.Message()
}

func TestFilter(t *testing.T) {
	// a1 and a2 are in zone a, b1 in zone b; nozone has no zone label.
	nodes := []*api.Node{zoneNode("a1", "a"), zoneNode("a2", "a"), zoneNode("b1", "b"), st.MakeNode().Name("nozone").Obj()}
	const (
		affinity         = "UnschedulableAndUnresolvable: " + ErrReasonAffinityRulesNotMatch
		antiAffinity     = "Unschedulable: " + ErrReasonAntiAffinityRulesNotMatch
		existingAntiAffi = "Unschedulable: " + ErrReasonExistingAntiAffinityRulesNotMatch
	)
	tests := []struct {
		name string
		pod  *api.Pod
		pods []*api.Pod
		// wantPreFilter is PreFilter's status; Filter runs only if it is "".
		wantPreFilter string
		// wantRejected is Filter's status by node; nodes not listed fit.
		wantRejected map[string]string
	}{
		{
			name:          "no terms and no existing anti-affinity: skipped",
			pod:           st.MakePod().Name("new").Obj(),
			pods:          []*api.Pod{labelled("cache", "app", "cache", "a1")},
			wantPreFilter: "Skip: ",
		},
		{
			name: "affinity to the zone of an existing pod; a node without the zone label cannot satisfy it",
			pod:  st.MakePod().Name("new").PodAffinity(zone, selector("app", "cache")).Obj(),
			pods: []*api.Pod{labelled("cache", "app", "cache", "a1")},
			wantRejected: map[string]string{
				"b1":     affinity,
				"nozone": affinity,
			},
		},
		{
			name: "affinity with no matching pod anywhere",
			pod:  st.MakePod().Name("new").PodAffinity(zone, selector("app", "cache")).Obj(),
			pods: []*api.Pod{labelled("web", "app", "web", "a1")},
			wantRejected: map[string]string{
				"a1": affinity, "a2": affinity, "b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "the first pod of a group with affinity to itself may go to any node with the key",
			pod:  st.MakePod().Name("new").Label("app", "web").PodAffinity(zone, selector("app", "web")).Obj(),
			wantRejected: map[string]string{
				"nozone": affinity,
			},
		},
		{
			name: "once a pod of the group runs, the others follow it",
			pod:  st.MakePod().Name("new").Label("app", "web").PodAffinity(zone, selector("app", "web")).Obj(),
			pods: []*api.Pod{labelled("web", "app", "web", "b1")},
			wantRejected: map[string]string{
				"a1": affinity, "a2": affinity, "nozone": affinity,
			},
		},
		{
			name: "an existing pod counts only if it matches every affinity term",
			pod: st.MakePod().Name("new").
				PodAffinity(zone, selector("app", "cache")).
				PodAffinity(hostname, selector("tier", "fast")).Obj(),
			pods: []*api.Pod{labelled("cache", "app", "cache", "a1"), labelled("fast", "tier", "fast", "b1")},
			wantRejected: map[string]string{
				"a1": affinity, "a2": affinity, "b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "each affinity term is checked in its own topology",
			pod: st.MakePod().Name("new").
				PodAffinity(zone, selector("app", "cache")).
				PodAffinity(hostname, selector("tier", "fast")).Obj(),
			pods: []*api.Pod{st.MakePod().Name("fast-cache").Label("app", "cache").Label("tier", "fast").Node("a1").Obj()},
			wantRejected: map[string]string{
				"a2": affinity, "b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "anti-affinity by hostname keeps replicas on separate nodes",
			pod:  st.MakePod().Name("new").Label("app", "web").PodAntiAffinity(hostname, selector("app", "web")).Obj(),
			pods: []*api.Pod{labelled("web", "app", "web", "a1")},
			wantRejected: map[string]string{
				"a1": antiAffinity,
			},
		},
		{
			name: "anti-affinity by zone rules out the whole zone, not nodes without the label",
			pod:  st.MakePod().Name("new").PodAntiAffinity(zone, selector("app", "web")).Obj(),
			pods: []*api.Pod{labelled("web", "app", "web", "a1")},
			wantRejected: map[string]string{
				"a1": antiAffinity, "a2": antiAffinity,
			},
		},
		{
			name: "an existing pod's anti-affinity keeps the incoming pod out of its zone",
			pod:  st.MakePod().Name("new").Label("app", "web").Obj(),
			pods: []*api.Pod{st.MakePod().Name("loner").Node("a1").PodAntiAffinity(zone, selector("app", "web")).Obj()},
			wantRejected: map[string]string{
				"a1": existingAntiAffi, "a2": existingAntiAffi,
			},
		},
		{
			name: "an existing pod's anti-affinity covers its own namespace only",
			pod:  st.MakePod().Name("new").Label("app", "web").Obj(),
			pods: []*api.Pod{st.MakePod().Name("loner").Namespace("other").Node("a1").PodAntiAffinity(zone, selector("app", "web")).Obj()},
		},
		{
			name: "a term without namespaces selects pods in the pod's own namespace",
			pod:  st.MakePod().Name("new").PodAffinity(zone, selector("app", "cache")).Obj(),
			pods: []*api.Pod{st.MakePod().Name("cache").Namespace("infra").Label("app", "cache").Node("a1").Obj()},
			wantRejected: map[string]string{
				"a1": affinity, "a2": affinity, "b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "a term's namespaces replace the pod's own",
			pod:  st.MakePod().Name("new").PodAffinity(zone, selector("app", "cache"), "infra").Obj(),
			pods: []*api.Pod{
				st.MakePod().Name("cache").Namespace("infra").Label("app", "cache").Node("a1").Obj(),
				labelled("local-cache", "app", "cache", "b1"),
			},
			wantRejected: map[string]string{
				"b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "an empty namespaceSelector selects every namespace",
			pod: st.MakePod().Name("new").PodAffinityTerm(api.PodAffinityTerm{
				TopologyKey: zone, LabelSelector: selector("app", "cache"), NamespaceSelector: &api.LabelSelector{},
			}).Obj(),
			pods: []*api.Pod{st.MakePod().Name("cache").Namespace("infra").Label("app", "cache").Node("a1").Obj()},
			wantRejected: map[string]string{
				"b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "a non-empty namespaceSelector selects no namespace (namespace labels are not known)",
			pod: st.MakePod().Name("new").PodAffinityTerm(api.PodAffinityTerm{
				TopologyKey: zone, LabelSelector: selector("app", "cache"), NamespaceSelector: selector("team", "infra"),
			}).Obj(),
			pods: []*api.Pod{st.MakePod().Name("cache").Namespace("infra").Label("app", "cache").Node("a1").Obj()},
			wantRejected: map[string]string{
				"a1": affinity, "a2": affinity, "b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "matchLabelKeys: anti-affinity only against pods of the same revision",
			pod: st.MakePod().Name("new").Label("app", "web").Label("rev", "2").PodAntiAffinityTerm(api.PodAffinityTerm{
				TopologyKey: hostname, LabelSelector: selector("app", "web"), MatchLabelKeys: []string{"rev"},
			}).Obj(),
			pods: []*api.Pod{
				st.MakePod().Name("old").Label("app", "web").Label("rev", "1").Node("a1").Obj(),
				st.MakePod().Name("current").Label("app", "web").Label("rev", "2").Node("b1").Obj(),
			},
			wantRejected: map[string]string{
				"b1": antiAffinity,
			},
		},
		{
			name: "mismatchLabelKeys: anti-affinity only against other tenants",
			pod: st.MakePod().Name("new").Label("tenant", "x").PodAntiAffinityTerm(api.PodAffinityTerm{
				TopologyKey: zone, LabelSelector: st.MakeLabelSelector().Exists("tenant").Obj(), MismatchLabelKeys: []string{"tenant"},
			}).Obj(),
			pods: []*api.Pod{labelled("mine", "tenant", "x", "a1"), labelled("theirs", "tenant", "y", "b1")},
			wantRejected: map[string]string{
				"b1": antiAffinity,
			},
		},
		{
			name: "affinity is checked before anti-affinity",
			pod: st.MakePod().Name("new").
				PodAffinity(zone, selector("app", "cache")).
				PodAntiAffinity(hostname, selector("app", "cache")).Obj(),
			pods: []*api.Pod{labelled("cache", "app", "cache", "a1")},
			wantRejected: map[string]string{
				"a1": antiAffinity, "b1": affinity, "nozone": affinity,
			},
		},
		{
			name: "a term that does not compile rejects the pod in PreFilter",
			pod: st.MakePod().Name("new").PodAffinity(zone,
				&api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}).Obj(),
			wantPreFilter: `UnschedulableAndUnresolvable: pod affinity term on "topology.kubernetes.io/zone": "Bogus" is not a valid label selector operator`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, pods := api.DeepCopy(tt.pod), api.DeepCopy(tt.pods)
			state := framework.NewCycleState(framework.NewSnapshot(nodes, tt.pods))
			pl := &InterPodAffinity{}

			gotPreFilter := describe(pl.PreFilter(context.Background(), state, tt.pod))
			if diff := cmp.Diff(tt.wantPreFilter, gotPreFilter); diff != "" {
				t.Fatalf("PreFilter (-want +got):\n%s", diff)
			}
			if gotPreFilter == "" {
				got := filterAll(pl, state, tt.pod)
				if diff := cmp.Diff(tt.wantRejected, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Filter rejections (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(pod, tt.pod); diff != "" {
				t.Errorf("pod changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(pods, tt.pods); diff != "" {
				t.Errorf("pods changed (-before +after):\n%s", diff)
			}
		})
	}
}

// filterAll runs Filter on every node at once, as the scheduler does (so the
// race detector checks it), and returns the rejections by node.
func filterAll(pl *InterPodAffinity, state *framework.CycleState, pod *api.Pod) map[string]string {
	var mu sync.Mutex
	var wg sync.WaitGroup
	rejected := map[string]string{}
	for _, ni := range state.Snapshot.List() {
		wg.Go(func() {
			if s := describe(pl.Filter(context.Background(), state, pod, ni)); s != "" {
				mu.Lock()
				rejected[ni.Name()] = s
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return rejected
}

func TestFilterWithoutPreFilterState(t *testing.T) {
	state := framework.NewCycleState(framework.NewSnapshot(nil, nil))
	s := (&InterPodAffinity{}).Filter(context.Background(), state, st.MakePod().Obj(), framework.NewNodeInfo(zoneNode("a1", "a")))
	if s.Code() != framework.Error {
		t.Errorf("Filter without PreFilter: got %q, want Error", describe(s))
	}
}

func TestPreFilterStateClone(t *testing.T) {
	pair := topologyPair{zone, "a"}
	s := &preFilterState{
		affinityCounts:             topologyCounts{pair: 1},
		antiAffinityCounts:         topologyCounts{pair: 1},
		existingAntiAffinityCounts: topologyCounts{pair: 1},
	}
	c := s.Clone().(*preFilterState)
	c.affinityCounts[pair], c.antiAffinityCounts[pair], c.existingAntiAffinityCounts[pair] = 5, 5, 5
	if s.affinityCounts[pair] != 1 || s.antiAffinityCounts[pair] != 1 || s.existingAntiAffinityCounts[pair] != 1 {
		t.Errorf("changing the clone changed the original: %+v", s)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		args     string
		wantArgs Args
		wantErr  bool
	}{
		{name: "defaults", args: "", wantArgs: Args{HardPodAffinityWeight: DefaultHardPodAffinityWeight}},
		{name: "null", args: "null", wantArgs: Args{HardPodAffinityWeight: DefaultHardPodAffinityWeight}},
		{name: "hardPodAffinityWeight", args: `{"hardPodAffinityWeight": 5}`, wantArgs: Args{HardPodAffinityWeight: 5}},
		{name: "hardPodAffinityWeight 0", args: `{"hardPodAffinityWeight": 0}`, wantArgs: Args{HardPodAffinityWeight: 0}},
		{name: "hardPodAffinityWeight too large", args: `{"hardPodAffinityWeight": 101}`, wantErr: true},
		{name: "unknown field", args: `{"hardPodAffinityWieght": 5}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, err := New([]byte(tt.args), nil)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New(%q) error = %v, want error: %v", tt.args, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.wantArgs, pl.(*InterPodAffinity).args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}
