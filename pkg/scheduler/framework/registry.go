package framework

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
)

// Handle is what plugins may use of the scheduler beyond the CycleState: the
// few writes to the apiserver that binding and preemption need.
type Handle interface {
	// Bind posts a Binding of the pod to the node (pods/binding).
	Bind(ctx context.Context, pod *api.Pod, nodeName string) error
	// DeletePod deletes a pod (a preemption victim), with its own grace period.
	DeletePod(ctx context.Context, pod *api.Pod) error
	// NominateNode records in the pod's status.nominatedNodeName where it will
	// go once its victims are gone ("" clears it).
	NominateNode(ctx context.Context, pod *api.Pod, nodeName string) error
}

// Factory builds a plugin from its arguments in the scheduler config (nil or
// raw JSON, decoded by the plugin) and the scheduler's Handle. Plugins are
// registered in one explicit map of factories by name (plugins.NewRegistry).
type Factory func(args json.RawMessage, h Handle) (Plugin, error)
