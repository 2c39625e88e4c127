// Package defaultbinder binds a pod by posting a Binding to pods/binding, as
// kube-scheduler's DefaultBinder does.
package defaultbinder

import (
	"context"
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name.
const Name = "DefaultBinder"

// Binder is the DefaultBinder plugin.
type Binder struct{ h framework.Handle }

var _ framework.BindPlugin = (*Binder)(nil)

// New returns the plugin.
func New(_ json.RawMessage, h framework.Handle) (framework.Plugin, error) { return &Binder{h: h}, nil }

// Name implements framework.Plugin.
func (b *Binder) Name() string { return Name }

// Bind implements framework.BindPlugin.
func (b *Binder) Bind(ctx context.Context, _ *framework.CycleState, pod *api.Pod, node string) *framework.Status {
	return framework.AsStatus(b.h.Bind(ctx, pod, node))
}
