package nodelifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestReconcileTaints(t *testing.T) {
	now, before := at(time.Minute), at(0)
	const noExec, noSched = api.TaintEffectNoExecute, api.TaintEffectNoSchedule
	taint := func(key, effect string, added time.Time) api.Taint {
		return makeNode("").taint(key, effect, added).Spec.Taints[0]
	}
	userTaint := api.Taint{Key: "example.com/gpu", Value: "true", Effect: noSched}
	tests := []struct {
		name        string
		node        *api.Node
		want        []api.Taint
		wantChanged bool
	}{
		{
			name: "ready node: nothing",
			node: makeNode("n").cond(api.NodeReady, api.ConditionTrue).obj(),
			want: []api.Taint{},
		},
		{
			name:        "Ready=False: not-ready, both effects",
			node:        makeNode("n").cond(api.NodeReady, api.ConditionFalse).obj(),
			want:        []api.Taint{taint(taintNotReady, noSched, now), taint(taintNotReady, noExec, now)},
			wantChanged: true,
		},
		{
			name:        "Ready=Unknown: unreachable replaces not-ready",
			node:        makeNode("n").cond(api.NodeReady, api.ConditionUnknown).taint(taintNotReady, noExec, before).obj(),
			want:        []api.Taint{taint(taintUnreachable, noSched, now), taint(taintUnreachable, noExec, now)},
			wantChanged: true,
		},
		{
			name: "taints that stay keep their timeAdded",
			node: makeNode("n").cond(api.NodeReady, api.ConditionUnknown).
				taint(taintUnreachable, noExec, before).taint(taintUnreachable, noSched, before).obj(),
			want: []api.Taint{taint(taintUnreachable, noExec, before), taint(taintUnreachable, noSched, before)},
		},
		{
			name: "Ready=True again: both go, other taints stay",
			node: func() *api.Node {
				n := makeNode("n").cond(api.NodeReady, api.ConditionTrue).taint(taintUnreachable, noExec, before).
					taint(taintNotReady, noSched, before).obj()
				n.Spec.Taints = append(n.Spec.Taints, userTaint)
				return n
			}(),
			want:        []api.Taint{userTaint},
			wantChanged: true,
		},
		{
			name: "no Ready condition yet: not-ready and unreachable left alone",
			node: makeNode("n").taint(taintNotReady, noSched, before).taint(taintUnreachable, noExec, before).obj(),
			want: []api.Taint{taint(taintNotReady, noSched, before), taint(taintUnreachable, noExec, before)},
		},
		{
			name: "pressure conditions: NoSchedule taints only",
			node: makeNode("n").cond(api.NodeReady, api.ConditionTrue).cond(api.NodeMemoryPressure, api.ConditionTrue).
				cond(api.NodeDiskPressure, api.ConditionFalse).cond(api.NodePIDPressure, api.ConditionTrue).
				cond(api.NodeNetworkUnavailable, api.ConditionTrue).obj(),
			want: []api.Taint{taint(taintMemoryPressure, noSched, now), taint(taintPIDPressure, noSched, now),
				taint(taintNetworkUnavailable, noSched, now)},
			wantChanged: true,
		},
		{
			name: "pressure gone: its taint goes",
			node: makeNode("n").cond(api.NodeReady, api.ConditionTrue).cond(api.NodeDiskPressure, api.ConditionFalse).
				taint(taintDiskPressure, noSched, before).obj(),
			want:        []api.Taint{},
			wantChanged: true,
		},
		{
			name:        "cordoned: unschedulable",
			node:        makeNode("n").cond(api.NodeReady, api.ConditionTrue).unschedulable().obj(),
			want:        []api.Taint{taint(taintUnschedulable, noSched, now)},
			wantChanged: true,
		},
		{
			name:        "uncordoned: unschedulable goes",
			node:        makeNode("n").cond(api.NodeReady, api.ConditionTrue).taint(taintUnschedulable, noSched, before).obj(),
			want:        []api.Taint{},
			wantChanged: true,
		},
		{
			name: "a well-known key with another effect is not ours",
			node: makeNode("n").cond(api.NodeReady, api.ConditionTrue).taint(taintNotReady, api.TaintEffectPreferNoSchedule, before).
				taint(taintMemoryPressure, noExec, before).obj(),
			want: []api.Taint{taint(taintNotReady, api.TaintEffectPreferNoSchedule, before), taint(taintMemoryPressure, noExec, before)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := reconcileTaints(tt.node, now)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("taints (-want +got):\n%s", diff)
			}
		})
	}
}
