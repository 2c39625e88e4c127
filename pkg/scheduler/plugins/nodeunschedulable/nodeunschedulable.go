// Package nodeunschedulable keeps pods off cordoned nodes (spec.unschedulable)
// unless they tolerate the node.kubernetes.io/unschedulable:NoSchedule taint.
package nodeunschedulable

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins/tainttoleration"
)

// Name is the plugin's name in the scheduler config.
const Name = "NodeUnschedulable"

// ErrReason is why a cordoned node is rejected.
const ErrReason = "node(s) were unschedulable"

// unschedulableTaint is the taint a cordoned node carries; a pod that tolerates
// it (DaemonSet pods do) may run on the node anyway.
var unschedulableTaint = api.Taint{Key: "node.kubernetes.io/unschedulable", Effect: api.TaintEffectNoSchedule}

// NodeUnschedulable filters out cordoned nodes.
type NodeUnschedulable struct{}

var _ framework.FilterPlugin = (*NodeUnschedulable)(nil)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &NodeUnschedulable{}, nil
}

// Name returns Name.
func (*NodeUnschedulable) Name() string { return Name }

// Filter rejects a node with spec.unschedulable unless the pod tolerates the
// unschedulable taint.
func (*NodeUnschedulable) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) *framework.Status {
	if !node.Node.Spec.Unschedulable || tainttoleration.Tolerates(pod.Spec.Tolerations, unschedulableTaint) {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason)
}
