// Package nodeports keeps a pod off nodes where a host port it asks for is
// already taken by another pod.
package nodeports

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "NodePorts"

// ErrReason is why a node whose host ports are taken is rejected.
const ErrReason = "node(s) didn't have free ports for the requested pod ports"

// NodePorts filters out nodes with a host port conflict.
type NodePorts struct{}

var (
	_ framework.PreFilterPlugin = (*NodePorts)(nil)
	_ framework.FilterPlugin    = (*NodePorts)(nil)
)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &NodePorts{}, nil
}

// Name returns Name.
func (*NodePorts) Name() string { return Name }

// PreFilter skips Filter for pods that use no host ports, which is most pods.
func (*NodePorts) PreFilter(_ context.Context, _ *framework.CycleState, pod *api.Pod) *framework.Status {
	if len(framework.PodHostPorts(pod)) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	return nil
}

// Filter rejects the node if a host port of the pod is in use there. The
// rejection is Unschedulable, not unresolvable: evicting the pod holding the
// port frees it.
func (*NodePorts) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) *framework.Status {
	for _, want := range framework.PodHostPorts(pod) {
		for _, used := range node.UsedPorts {
			if conflict(want, used) {
				return framework.NewStatus(framework.Unschedulable, ErrReason)
			}
		}
	}
	return nil
}

// conflict reports whether two host ports cannot both be bound: same protocol
// and port, and the same IP or either one on every address (0.0.0.0 or empty).
func conflict(a, b framework.HostPort) bool {
	if a.Protocol != b.Protocol || a.Port != b.Port {
		return false
	}
	return a.IP == b.IP || anyIP(a.IP) || anyIP(b.IP)
}

func anyIP(ip string) bool { return ip == "" || ip == "0.0.0.0" }
