// Package namespacelifecycle is the NamespaceLifecycle admission plugin: nothing
// may be created in a namespace that does not exist or is being deleted, and the
// namespaces every cluster relies on may not be deleted.
package namespacelifecycle

import (
	"context"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "NamespaceLifecycle"

// Immortal are the namespaces that cannot be deleted.
var Immortal = []string{api.NamespaceDefault, api.NamespaceSystem, api.NamespacePublic, api.NamespaceNodeLease}

// NamespaceGetter finds a namespace; a missing one is an error for which
// api.IsNotFound holds.
type NamespaceGetter interface {
	GetNamespace(ctx context.Context, name string) (*api.Namespace, error)
}

// Plugin is the NamespaceLifecycle plugin.
type Plugin struct {
	namespaces NamespaceGetter
}

var _ admission.ValidatingPlugin = (*Plugin)(nil)

// New returns the plugin.
func New(ns NamespaceGetter) *Plugin { return &Plugin{namespaces: ns} }

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Validate implements admission.ValidatingPlugin.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Group == "" && a.Resource == "namespaces" {
		if a.Operation == admission.Delete {
			for _, name := range Immortal {
				if a.Name == name {
					return admission.Forbidden(a, "[%s] this namespace may not be deleted", Name)
				}
			}
		}
		return nil
	}
	if a.Namespace == "" || a.Operation != admission.Create {
		return nil
	}
	ns, err := p.namespaces.GetNamespace(ctx, a.Namespace)
	if api.IsNotFound(err) {
		nf := api.NewNotFound(api.GroupResource{Resource: "namespaces"}, a.Namespace)
		nf.ErrStatus.Message = "[" + Name + "] " + nf.ErrStatus.Message + ": create the namespace first"
		return nf
	}
	if err != nil {
		return err
	}
	if ns.Status.Phase == api.NamespaceTerminating || ns.DeletionTimestamp != nil {
		return admission.Forbidden(a, "[%s] unable to create new content in namespace %s because it is being terminated", Name, a.Namespace)
	}
	return nil
}
