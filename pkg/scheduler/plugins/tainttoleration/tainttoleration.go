// Package tainttoleration keeps pods off nodes with NoSchedule or NoExecute
// taints they do not tolerate, and prefers nodes with the fewest
// PreferNoSchedule taints they do not tolerate.
package tainttoleration

import (
	"context"
	"encoding/json"
	"fmt"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "TaintToleration"

// TaintToleration filters and scores nodes by their taints.
type TaintToleration struct{}

var (
	_ framework.FilterPlugin    = (*TaintToleration)(nil)
	_ framework.ScorePlugin     = (*TaintToleration)(nil)
	_ framework.ScoreNormalizer = (*TaintToleration)(nil)
)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &TaintToleration{}, nil
}

// Name returns Name.
func (*TaintToleration) Name() string { return Name }

// Filter rejects the node if the pod does not tolerate one of its NoSchedule
// or NoExecute taints, naming the first such taint.
func (*TaintToleration) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) *framework.Status {
	for _, taint := range node.Node.Spec.Taints {
		if taint.Effect != api.TaintEffectNoSchedule && taint.Effect != api.TaintEffectNoExecute {
			continue
		}
		if !Tolerates(pod.Spec.Tolerations, taint) {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable,
				fmt.Sprintf("node(s) had untolerated taint {%s: %s}", taint.Key, taint.Value))
		}
	}
	return nil
}

// Score counts the node's PreferNoSchedule taints the pod does not tolerate;
// NormalizeScore turns fewer into better.
func (*TaintToleration) Score(_ context.Context, _ *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	var n int64
	for _, taint := range node.Node.Spec.Taints {
		if taint.Effect == api.TaintEffectPreferNoSchedule && !Tolerates(pod.Spec.Tolerations, taint) {
			n++
		}
	}
	return n, nil
}

// NormalizeScore maps the counts to [0, 100], reversed: the node with the
// most intolerable taints gets 0, a node with none 100.
func (*TaintToleration) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	framework.DefaultNormalizeScore(true, scores)
	return nil
}
