// Package nodename keeps a pod that names its node in spec.nodeName to that
// node alone.
package nodename

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "NodeName"

// ErrReason is why a node other than the requested one is rejected.
const ErrReason = "node(s) didn't match the requested node name"

// NodeName filters out every node but the one the pod asks for.
type NodeName struct{}

var _ framework.FilterPlugin = (*NodeName)(nil)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &NodeName{}, nil
}

// Name returns Name.
func (*NodeName) Name() string { return Name }

// Filter rejects the node unless the pod's spec.nodeName is empty or names it.
func (*NodeName) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) *framework.Status {
	if !Fits(pod, node.Node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason)
	}
	return nil
}

// Fits reports whether the pod's spec.nodeName is empty or names the node.
func Fits(pod *api.Pod, node *api.Node) bool {
	return pod.Spec.NodeName == "" || pod.Spec.NodeName == node.Name
}
