// Package tolerationseconds is the DefaultTolerationSeconds admission plugin: pods
// that do not say otherwise tolerate a not-ready or unreachable node for a while
// (300 seconds by default) before they are evicted from it.
package tolerationseconds

import (
	"context"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "DefaultTolerationSeconds"

// The taints the node lifecycle controller puts on failing nodes.
const (
	TaintNotReady    = "node.kubernetes.io/not-ready"
	TaintUnreachable = "node.kubernetes.io/unreachable"
)

// Plugin is the DefaultTolerationSeconds plugin.
type Plugin struct {
	notReady, unreachable int64
}

var _ admission.MutatingPlugin = (*Plugin)(nil)

// New returns the plugin with the tolerations' seconds.
func New(notReadySeconds, unreachableSeconds int64) *Plugin {
	return &Plugin{notReady: notReadySeconds, unreachable: unreachableSeconds}
}

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Admit implements admission.MutatingPlugin.
func (p *Plugin) Admit(_ context.Context, a *admission.Attributes) error {
	pod, ok := a.Object.(*api.Pod)
	if !ok || a.Operation != admission.Create || a.Subresource != "" {
		return nil
	}
	for _, t := range []struct {
		key     string
		seconds int64
	}{{TaintNotReady, p.notReady}, {TaintUnreachable, p.unreachable}} {
		if tolerates(pod.Spec.Tolerations, t.key) {
			continue
		}
		seconds := t.seconds
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, api.Toleration{
			Key: t.key, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: &seconds,
		})
	}
	return nil
}

// tolerates reports whether some toleration already covers a NoExecute taint with key.
func tolerates(ts []api.Toleration, key string) bool {
	for _, t := range ts {
		if (t.Effect == "" || t.Effect == api.TaintEffectNoExecute) && (t.Key == key || (t.Key == "" && t.Operator == api.TolerationOpExists)) {
			return true
		}
	}
	return false
}
