package podtopologyspread

import (
	"testing"

	"skiff/pkg/api"
	st "skiff/pkg/scheduler/testing"
)

func TestNodeAffinityMatches(t *testing.T) {
	node := st.MakeNode().Name("n1").Label("zone", "a").Label("cores", "8").Obj()
	expr := func(key, op string, values ...string) api.NodeSelectorTerm {
		return api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
	}
	field := func(op string, values ...string) api.NodeSelectorTerm {
		return api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: op, Values: values}}}
	}
	tests := []struct {
		name string
		pod  *api.Pod
		want bool
	}{
		{name: "no constraints", pod: st.MakePod().Obj(), want: true},
		{name: "nodeSelector matches", pod: st.MakePod().NodeSelector(map[string]string{"zone": "a"}).Obj(), want: true},
		{name: "nodeSelector differs", pod: st.MakePod().NodeSelector(map[string]string{"zone": "b"}).Obj(), want: false},
		{name: "In", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "In", "a", "b")), want: true},
		{name: "In, other values", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "In", "b")), want: false},
		{name: "NotIn", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "NotIn", "b")), want: true},
		{name: "NotIn, own value", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "NotIn", "a")), want: false},
		{name: "NotIn, label absent", pod: withNodeAffinity(st.MakePod().Obj(), expr("gpu", "NotIn", "x")), want: true},
		{name: "Exists", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "Exists")), want: true},
		{name: "Exists, label absent", pod: withNodeAffinity(st.MakePod().Obj(), expr("gpu", "Exists")), want: false},
		{name: "DoesNotExist", pod: withNodeAffinity(st.MakePod().Obj(), expr("gpu", "DoesNotExist")), want: true},
		{name: "DoesNotExist, label present", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "DoesNotExist")), want: false},
		{name: "Gt", pod: withNodeAffinity(st.MakePod().Obj(), expr("cores", "Gt", "4")), want: true},
		{name: "Gt, equal", pod: withNodeAffinity(st.MakePod().Obj(), expr("cores", "Gt", "8")), want: false},
		{name: "Lt", pod: withNodeAffinity(st.MakePod().Obj(), expr("cores", "Lt", "16")), want: true},
		{name: "Lt, label not an integer", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "Lt", "16")), want: false},
		{name: "Gt, value not an integer", pod: withNodeAffinity(st.MakePod().Obj(), expr("cores", "Gt", "four")), want: false},
		{name: "unknown operator", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "Like", "a")), want: false},
		{name: "terms are ORed", pod: withNodeAffinity(st.MakePod().Obj(), expr("zone", "In", "b"), expr("cores", "Exists")), want: true},
		{
			name: "requirements in a term are ANDed",
			pod: withNodeAffinity(st.MakePod().Obj(), api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{
				{Key: "zone", Operator: "In", Values: []string{"a"}},
				{Key: "cores", Operator: "Gt", Values: []string{"8"}},
			}}),
			want: false,
		},
		{name: "an empty term matches nothing", pod: withNodeAffinity(st.MakePod().Obj(), api.NodeSelectorTerm{}), want: false},
		{name: "no terms match nothing", pod: withNodeAffinity(st.MakePod().Obj()), want: false},
		{name: "matchFields metadata.name In", pod: withNodeAffinity(st.MakePod().Obj(), field("In", "n1")), want: true},
		{name: "matchFields metadata.name NotIn", pod: withNodeAffinity(st.MakePod().Obj(), field("NotIn", "n1")), want: false},
		{
			name: "nodeSelector and node affinity must both match",
			pod:  withNodeAffinity(st.MakePod().NodeSelector(map[string]string{"zone": "b"}).Obj(), expr("zone", "Exists")),
			want: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newNodeAffinity(tt.pod).matches(node); got != tt.want {
				t.Errorf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestToleratesNoScheduleTaints(t *testing.T) {
	tests := []struct {
		name        string
		taints      []api.Taint
		tolerations []api.Toleration
		want        bool
	}{
		{name: "no taints", want: true},
		{name: "untolerated NoSchedule", taints: []api.Taint{{Key: "gpu", Effect: "NoSchedule"}}, want: false},
		{name: "untolerated NoExecute", taints: []api.Taint{{Key: "gpu", Effect: "NoExecute"}}, want: false},
		{name: "PreferNoSchedule does not keep pods away", taints: []api.Taint{{Key: "gpu", Effect: "PreferNoSchedule"}}, want: true},
		{
			name:        "Equal with the same value",
			taints:      []api.Taint{{Key: "gpu", Value: "yes", Effect: "NoSchedule"}},
			tolerations: []api.Toleration{{Key: "gpu", Operator: "Equal", Value: "yes"}},
			want:        true,
		},
		{
			name:        "Equal with another value",
			taints:      []api.Taint{{Key: "gpu", Value: "yes", Effect: "NoSchedule"}},
			tolerations: []api.Toleration{{Key: "gpu", Value: "no"}},
			want:        false,
		},
		{
			name:        "Exists with an empty key tolerates everything",
			taints:      []api.Taint{{Key: "gpu", Effect: "NoSchedule"}, {Key: "disk", Effect: "NoExecute"}},
			tolerations: []api.Toleration{{Operator: "Exists"}},
			want:        true,
		},
		{
			name:        "another effect",
			taints:      []api.Taint{{Key: "gpu", Effect: "NoSchedule"}},
			tolerations: []api.Toleration{{Key: "gpu", Operator: "Exists", Effect: "NoExecute"}},
			want:        false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toleratesNoScheduleTaints(tt.tolerations, tt.taints); got != tt.want {
				t.Errorf("toleratesNoScheduleTaints = %v, want %v", got, tt.want)
			}
		})
	}
}
