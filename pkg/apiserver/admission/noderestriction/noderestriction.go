// Package noderestriction is the NodeRestriction admission plugin: it limits what
// a node agent (user system:node:<name>) may change to its own Node, the status
// of pods bound to it, and tokens for those pods, and forbids nodes to set the
// labels reserved for the cluster administrator.
package noderestriction

import (
	"context"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/authz"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "NodeRestriction"

// RestrictedLabelPrefix marks node labels only administrators may set, so that
// workloads can rely on them (e.g. to pick trusted nodes).
const RestrictedLabelPrefix = "node-restriction.kubernetes.io/"

// PodGetter finds a pod; a missing one is an error for which api.IsNotFound holds.
type PodGetter interface {
	GetPod(ctx context.Context, namespace, name string) (*api.Pod, error)
}

// Plugin is the NodeRestriction plugin.
type Plugin struct {
	pods PodGetter
}

var _ admission.ValidatingPlugin = (*Plugin)(nil)

// New returns the plugin.
func New(pods PodGetter) *Plugin { return &Plugin{pods: pods} }

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Validate implements admission.ValidatingPlugin.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	node, ok := authz.NodeName(a.User)
	if !ok {
		return nil
	}
	deny := func(format string, args ...any) error {
		return admission.Forbidden(a, "["+Name+"] node %q "+format, append([]any{node}, args...)...)
	}
	switch {
	case a.Group == "" && a.Resource == "nodes":
		if a.Name != node {
			return deny("is not allowed to modify node %q", a.Name)
		}
		if a.Operation == admission.Delete {
			return nil
		}
		var old map[string]string
		if o, ok := a.OldObject.(*api.Node); ok {
			old = o.Labels
		}
		if n, ok := a.Object.(*api.Node); ok {
			for k, v := range n.Labels {
				if strings.HasPrefix(k, RestrictedLabelPrefix) && old[k] != v {
					return deny("is not allowed to modify labels: %s", k)
				}
			}
			for k := range old {
				if _, kept := n.Labels[k]; !kept && strings.HasPrefix(k, RestrictedLabelPrefix) {
					return deny("is not allowed to modify labels: %s", k)
				}
			}
		}
	case a.Group == "" && a.Resource == "pods":
		switch {
		case a.Operation == admission.Create && a.Subresource == "":
			return deny("is not allowed to create pods")
		case a.Subresource == "binding":
			return deny("is not allowed to bind pods")
		case a.Subresource == "status" || a.Operation == admission.Delete:
			if pod, ok := a.OldObject.(*api.Pod); ok && pod.Spec.NodeName != node {
				return deny("can only modify pods bound to it; pod %s/%s is bound to %q", a.Namespace, a.Name, pod.Spec.NodeName)
			}
		default:
			return deny("may only change the status of pods")
		}
	case a.Group == "" && a.Resource == "serviceaccounts" && a.Subresource == "token":
		tr, ok := a.Object.(*api.TokenRequest)
		if !ok || tr.Spec.BoundObjectRef == nil || tr.Spec.BoundObjectRef.Kind != "Pod" {
			return deny("may only request tokens bound to its pods")
		}
		pod, err := p.pods.GetPod(ctx, a.Namespace, tr.Spec.BoundObjectRef.Name)
		if err != nil || pod.Spec.NodeName != node || (tr.Spec.BoundObjectRef.UID != "" && tr.Spec.BoundObjectRef.UID != pod.UID) {
			return deny("may only request tokens for pods bound to it")
		}
		if pod.Spec.ServiceAccountName != a.Name {
			return deny("may only request tokens for the service account of pod %s/%s", a.Namespace, pod.Name)
		}
	case a.Group == "coordination.k8s.io" && a.Resource == "leases":
		if a.Namespace != api.NamespaceNodeLease || a.Name != node {
			return deny("may only change its own lease")
		}
	}
	return nil
}
