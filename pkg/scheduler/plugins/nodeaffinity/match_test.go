package nodeaffinity

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	st "skiff/pkg/scheduler/testing"
)

// expr is a match expression (or field).
func expr(key, op string, values ...string) api.NodeSelectorRequirement {
	return api.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

// exprs is a term of match expressions, ANDed.
func exprs(reqs ...api.NodeSelectorRequirement) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchExpressions: reqs}
}

// fields is a term of match fields, ANDed.
func fields(reqs ...api.NodeSelectorRequirement) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchFields: reqs}
}

func TestMatches(t *testing.T) {
	node := st.MakeNode().Name("n1").Label("zone", "a").Label("gpus", "4").Label("empty", "").Obj()
	tests := []struct {
		name string
		pod  *api.Pod
		want bool
	}{
		{name: "no constraints", pod: st.MakePod().Obj(), want: true},
		{name: "nodeSelector matches", pod: st.MakePod().NodeSelector(map[string]string{"zone": "a"}).Obj(), want: true},
		{name: "nodeSelector other value", pod: st.MakePod().NodeSelector(map[string]string{"zone": "b"}).Obj(), want: false},
		{name: "nodeSelector missing label", pod: st.MakePod().NodeSelector(map[string]string{"disk": "ssd"}).Obj(), want: false},
		{
			name: "nodeSelector and affinity both needed",
			pod: st.MakePod().NodeSelector(map[string]string{"zone": "b"}).
				RequiredNodeAffinity(exprs(expr("zone", "In", "a"))).Obj(),
			want: false,
		},
		{name: "In", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "In", "b", "a"))).Obj(), want: true},
		{name: "In other values", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "In", "b", "c"))).Obj(), want: false},
		{name: "In missing label", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("disk", "In", "ssd"))).Obj(), want: false},
		{name: "In without values matches nothing", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "In"))).Obj(), want: false},
		{name: "NotIn", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "NotIn", "b"))).Obj(), want: true},
		{name: "NotIn listed value", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "NotIn", "a"))).Obj(), want: false},
		{name: "NotIn missing label", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("disk", "NotIn", "ssd"))).Obj(), want: true},
		{name: "Exists", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "Exists"))).Obj(), want: true},
		{name: "Exists with an empty value", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("empty", "Exists"))).Obj(), want: true},
		{name: "Exists missing label", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("disk", "Exists"))).Obj(), want: false},
		{name: "Exists with values matches nothing", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "Exists", "a"))).Obj(), want: false},
		{name: "DoesNotExist", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("disk", "DoesNotExist"))).Obj(), want: true},
		{name: "DoesNotExist present label", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "DoesNotExist"))).Obj(), want: false},
		{name: "Gt", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("gpus", "Gt", "3"))).Obj(), want: true},
		{name: "Gt equal", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("gpus", "Gt", "4"))).Obj(), want: false},
		{name: "Gt compares integers, not strings", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("gpus", "Gt", "10"))).Obj(), want: false},
		{name: "Lt", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("gpus", "Lt", "10"))).Obj(), want: true},
		{name: "Lt equal", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("gpus", "Lt", "4"))).Obj(), want: false},
		{name: "Gt on a label that is not an integer", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "Gt", "1"))).Obj(), want: false},
		{name: "Gt with a value that is not an integer", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("gpus", "Gt", "x"))).Obj(), want: false},
		{name: "Gt missing label", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("disk", "Gt", "1"))).Obj(), want: false},
		{name: "unknown operator", pod: st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "Equals", "a"))).Obj(), want: false},
		{
			name: "expressions are ANDed",
			pod:  st.MakePod().RequiredNodeAffinity(exprs(expr("zone", "In", "a"), expr("gpus", "Gt", "8"))).Obj(),
			want: false,
		},
		{
			name: "terms are ORed",
			pod: st.MakePod().RequiredNodeAffinity(
				exprs(expr("zone", "In", "b")),
				exprs(expr("gpus", "Gt", "2")),
			).Obj(),
			want: true,
		},
		{
			name: "an invalid term does not spoil a valid one",
			pod: st.MakePod().RequiredNodeAffinity(
				exprs(expr("zone", "Bogus")),
				exprs(expr("zone", "In", "a")),
			).Obj(),
			want: true,
		},
		{name: "no terms matches nothing", pod: st.MakePod().RequiredNodeAffinity().Obj(), want: false},
		{name: "empty term matches nothing", pod: st.MakePod().RequiredNodeAffinity(api.NodeSelectorTerm{}).Obj(), want: false},
		{name: "field In", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.name", "In", "n1"))).Obj(), want: true},
		{name: "field In another name", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.name", "In", "n2"))).Obj(), want: false},
		{name: "field NotIn", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.name", "NotIn", "n2"))).Obj(), want: true},
		{name: "field NotIn own name", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.name", "NotIn", "n1"))).Obj(), want: false},
		{name: "field with two values", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.name", "In", "n1", "n2"))).Obj(), want: false},
		{name: "field other than metadata.name", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.uid", "In", "n1"))).Obj(), want: false},
		{name: "field Exists", pod: st.MakePod().RequiredNodeAffinity(fields(expr("metadata.name", "Exists"))).Obj(), want: false},
		{
			name: "fields and expressions are ANDed",
			pod: st.MakePod().RequiredNodeAffinity(api.NodeSelectorTerm{
				MatchExpressions: []api.NodeSelectorRequirement{expr("zone", "In", "a")},
				MatchFields:      []api.NodeSelectorRequirement{expr("metadata.name", "In", "n2")},
			}).Obj(),
			want: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Matches(tt.pod, node)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Matches (-want +got):\n%s", diff)
			}
		})
	}
}
