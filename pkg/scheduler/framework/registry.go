package framework

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
)

// Handle is what plugins may use of the scheduler beyond the CycleState.
type Handle interface {
	// Bind posts a Binding of the pod to the node (pods/binding).
	Bind(ctx context.Context, pod *api.Pod, nodeName string) error
}

// Factory builds a plugin from its arguments in the scheduler config (nil or
// raw JSON, decoded by the plugin) and the scheduler's Handle. Plugins are
// registered in one explicit map of factories by name (plugins.NewRegistry).
type Factory func(args json.RawMessage, h Handle) (Plugin, error)
