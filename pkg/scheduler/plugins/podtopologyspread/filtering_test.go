package podtopologyspread

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

const zone = "topology.kubernetes.io/zone"

// zoneNode is a node named name in zone z.
func zoneNode(name, z string) *api.Node {
	return st.MakeNode().Name(name).Label(zone, z).Obj()
}

// web is a pod labelled app=web on node.
func web(name, node string) *api.Pod {
	return st.MakePod().Name(name).Label("app", "web").Node(node).Obj()
}

var webSelector = st.MakeLabelSelector().Label("app", "web").Obj()

// describe shows a status as "Code: message", or "" for success.
func describe(s *framework.Status) string {
	if s.IsSuccess() {
		return ""
	}
	return s.Code().String() + ": " + s.Message()
}

func ptr[T any](v T) *T { return &v }

func withNodeAffinity(p *api.Pod, terms ...api.NodeSelectorTerm) *api.Pod {
	p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: terms},
	}}
	return p
}

func terminating(p *api.Pod) *api.Pod {
	p.DeletionTimestamp = &api.Time{Time: time.Unix(1, 0)}
	return p
}

func TestFilter(t *testing.T) {
	threeZones := []*api.Node{zoneNode("a1", "a"), zoneNode("b1", "b"), zoneNode("c1", "c")}
	spreadByZone := func(maxSkew int32) *api.Pod {
		return st.MakePod().Name("new").Label("app", "web").SpreadConstraint(maxSkew, zone, api.DoNotSchedule, webSelector).Obj()
	}
	withConstraint := func(c api.TopologySpreadConstraint) *api.Pod {
		return st.MakePod().Name("new").Label("app", "web").TopologySpreadConstraint(c).Obj()
	}
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*api.Node
		pods  []*api.Pod
		// wantPreFilter is PreFilter's status; Filter runs only if it is "".
		wantPreFilter string
		// wantRejected is Filter's status by node; nodes not listed fit.
		wantRejected map[string]string
	}{
		{
			name:          "pod without constraints is skipped",
			pod:           st.MakePod().Name("new").Obj(),
			nodes:         threeZones,
			wantPreFilter: "Skip: ",
		},
		{
			name:          "ScheduleAnyway constraints are not filters",
			pod:           st.MakePod().Name("new").SpreadConstraint(1, zone, api.ScheduleAnyway, webSelector).Obj(),
			nodes:         threeZones,
			wantPreFilter: "Skip: ",
		},
		{
			name:  "pods 2/1/1 over three zones with maxSkew 1: only the zones at the minimum fit",
			pod:   spreadByZone(1),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "a1"), web("p3", "b1"), web("p4", "c1")},
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name:  "maxSkew 2 tolerates one more pod in the fullest zone",
			pod:   spreadByZone(2),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "a1"), web("p3", "b1"), web("p4", "c1")},
		},
		{
			name:  "an empty zone is the minimum",
			pod:   spreadByZone(1),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "b1")},
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name:  "a node without the topology label is rejected for good, and its pods are not counted",
			pod:   spreadByZone(1),
			nodes: append([]*api.Node{st.MakeNode().Name("nozone").Obj()}, threeZones...),
			pods:  []*api.Pod{web("p1", "nozone"), web("p2", "nozone"), web("p3", "a1"), web("p4", "b1"), web("p5", "c1")},
			wantRejected: map[string]string{
				"nozone": "UnschedulableAndUnresolvable: " + ErrReasonNodeLabelNotMatch,
			},
		},
		{
			name:  "pods in other namespaces, pods being deleted and pods not matching are not counted",
			pod:   spreadByZone(1),
			nodes: threeZones[:2],
			pods: []*api.Pod{
				st.MakePod().Name("other-ns").Namespace("other").Label("app", "web").Node("a1").Obj(),
				terminating(web("leaving", "a1")),
				st.MakePod().Name("db").Label("app", "db").Node("a1").Obj(),
				web("p1", "b1"),
			},
			wantRejected: map[string]string{
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name:  "a pod not matching its own selector adds nothing to the domain",
			pod:   st.MakePod().Name("new").Label("app", "other").SpreadConstraint(1, zone, api.DoNotSchedule, webSelector).Obj(),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "a1"), web("p3", "b1"), web("p4", "c1")},
		},
		{
			name: "minDomains above the number of domains makes the global minimum 0",
			pod: withConstraint(api.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: zone, WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: webSelector, MinDomains: ptr[int32](3),
			}),
			nodes: threeZones[:2],
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "b1")},
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name: "minDomains met: the global minimum is the smallest count",
			pod: withConstraint(api.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: zone, WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: webSelector, MinDomains: ptr[int32](2),
			}),
			nodes: threeZones[:2],
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "b1")},
		},
		{
			name: "nodeAffinityPolicy Honor (default): a zone the pod cannot use is not the minimum",
			pod: withNodeAffinity(spreadByZone(1), api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{
				{Key: zone, Operator: api.NodeSelectorOpIn, Values: []string{"a", "b"}},
			}}),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "a1"), web("p3", "b1")},
			// c1 passes here; the NodeAffinity plugin rejects it.
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name: "nodeAffinityPolicy Ignore: every zone counts",
			pod: withNodeAffinity(withConstraint(api.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: zone, WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: webSelector, NodeAffinityPolicy: ptr(policyIgnore),
			}), api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{
				{Key: zone, Operator: api.NodeSelectorOpIn, Values: []string{"a", "b"}},
			}}),
			nodes: threeZones,
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "a1"), web("p3", "b1")},
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name: "nodeSelector is honoured like node affinity",
			pod: st.MakePod().Name("new").Label("app", "web").NodeSelector(map[string]string{"disk": "ssd"}).
				SpreadConstraint(1, zone, api.DoNotSchedule, webSelector).Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("a1").Label(zone, "a").Label("disk", "ssd").Obj(),
				st.MakeNode().Name("b1").Label(zone, "b").Label("disk", "ssd").Obj(),
				st.MakeNode().Name("c1").Label(zone, "c").Label("disk", "hdd").Obj(),
			},
			pods: []*api.Pod{web("p1", "a1"), web("p2", "b1")},
		},
		{
			name:  "nodeTaintsPolicy Ignore (default): a tainted empty zone is the minimum",
			pod:   spreadByZone(1),
			nodes: []*api.Node{zoneNode("a1", "a"), zoneNode("b1", "b"), st.MakeNode().Name("c1").Label(zone, "c").Taint("gpu", "", "NoSchedule").Obj()},
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "b1")},
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name: "nodeTaintsPolicy Honor: a zone of untolerated taints is not counted",
			pod: withConstraint(api.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: zone, WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: webSelector, NodeTaintsPolicy: ptr(policyHonor),
			}),
			nodes: []*api.Node{zoneNode("a1", "a"), zoneNode("b1", "b"), st.MakeNode().Name("c1").Label(zone, "c").Taint("gpu", "", "NoSchedule").Obj()},
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "b1")},
		},
		{
			name: "matchLabelKeys counts only pods with the pod's own value",
			pod: st.MakePod().Name("new").Label("app", "web").Label("rev", "2").TopologySpreadConstraint(api.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: zone, WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: webSelector, MatchLabelKeys: []string{"rev"},
			}).Obj(),
			nodes: threeZones[:2],
			pods: []*api.Pod{
				st.MakePod().Name("old1").Label("app", "web").Label("rev", "1").Node("a1").Obj(),
				st.MakePod().Name("old2").Label("app", "web").Label("rev", "1").Node("a1").Obj(),
				st.MakePod().Name("new1").Label("app", "web").Label("rev", "2").Node("b1").Obj(),
			},
			wantRejected: map[string]string{
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name: "every constraint must hold: zone and hostname",
			pod: st.MakePod().Name("new").Label("app", "web").
				SpreadConstraint(1, zone, api.DoNotSchedule, webSelector).
				SpreadConstraint(1, "kubernetes.io/hostname", api.DoNotSchedule, webSelector).Obj(),
			nodes: []*api.Node{zoneNode("a1", "a"), zoneNode("a2", "a"), zoneNode("b1", "b")},
			pods:  []*api.Pod{web("p1", "a1"), web("p2", "b1")},
			wantRejected: map[string]string{
				"a1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
				"b1": "Unschedulable: " + ErrReasonConstraintsNotMatch,
			},
		},
		{
			name: "an invalid selector rejects the pod in PreFilter",
			pod: st.MakePod().Name("new").SpreadConstraint(1, zone, api.DoNotSchedule,
				&api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}).Obj(),
			nodes:         threeZones,
			wantPreFilter: `UnschedulableAndUnresolvable: topology spread constraint on "topology.kubernetes.io/zone": "Bogus" is not a valid label selector operator`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, nodes, pods := api.DeepCopy(tt.pod), api.DeepCopy(tt.nodes), api.DeepCopy(tt.pods)
			state := framework.NewCycleState(framework.NewSnapshot(tt.nodes, tt.pods))
			pl := &PodTopologySpread{}

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
			if diff := cmp.Diff(nodes, tt.nodes); diff != "" {
				t.Errorf("nodes changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(pods, tt.pods); diff != "" {
				t.Errorf("pods changed (-before +after):\n%s", diff)
			}
		})
	}
}

// filterAll runs Filter on every node at once, as the scheduler does (so the
// race detector checks it), and returns the rejections by node.
func filterAll(pl *PodTopologySpread, state *framework.CycleState, pod *api.Pod) map[string]string {
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
	s := (&PodTopologySpread{}).Filter(context.Background(), state, st.MakePod().Obj(), framework.NewNodeInfo(zoneNode("a1", "a")))
	if s.Code() != framework.Error {
		t.Errorf("Filter without PreFilter: got %v, want Error", describe(s))
	}
}

func TestPreFilterStateClone(t *testing.T) {
	s := &preFilterState{counts: []map[string]int{{"a": 1}}, minimums: []int{1}}
	c := s.Clone().(*preFilterState)
	c.counts[0]["a"] = 5
	c.minimums[0] = 5
	if s.counts[0]["a"] != 1 || s.minimums[0] != 1 {
		t.Errorf("changing the clone changed the original: %+v", s)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		wantErr bool
	}{
		{name: "no args", args: ""},
		{name: "null", args: "null"},
		{name: "empty object", args: "{}"},
		{name: "unknown field", args: `{"defaultConstraints": []}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, err := New([]byte(tt.args), nil)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New(%q) error = %v, want error: %v", tt.args, err, tt.wantErr)
			}
			if err == nil && pl.Name() != Name {
				t.Errorf("Name() = %q, want %q", pl.Name(), Name)
			}
		})
	}
}
