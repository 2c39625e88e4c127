// Package admission runs the plugins that may change (mutating) or reject
// (validating) an object after the request is authorized and before it is stored.
// The chain runs every mutating plugin in order, then every validating one;
// Kubernetes' admission controllers work the same way.
package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// Operation is what a request does to an object.
type Operation string

// Operations.
const (
	Create  Operation = "CREATE"
	Update  Operation = "UPDATE"
	Delete  Operation = "DELETE"
	Connect Operation = "CONNECT"
)

// Attributes describe the write being admitted.
type Attributes struct {
	Operation   Operation
	Kind        string
	Group       string
	Version     string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// Object is the new state (nil for Delete); mutating plugins change it in place.
	Object api.Object
	// OldObject is the current state for Update and Delete.
	OldObject api.Object
	User      *request.User
	DryRun    bool
	// Warnings collects messages for the client (sent as HTTP Warning headers),
	// for plugins that warn rather than reject.
	Warnings []string
}

// Warn adds a warning for the client.
func (a *Attributes) Warn(msg string) { a.Warnings = append(a.Warnings, msg) }

// Plugin is any admission plugin; it says its name.
type Plugin interface {
	Name() string
}

// MutatingPlugin may change the object.
type MutatingPlugin interface {
	Plugin
	Admit(ctx context.Context, a *Attributes) error
}

// ValidatingPlugin may reject the object but not change it.
type ValidatingPlugin interface {
	Plugin
	Validate(ctx context.Context, a *Attributes) error
}

// Chain is the ordered admission chain.
type Chain struct {
	Mutating   []MutatingPlugin
	Validating []ValidatingPlugin
}

// Admit runs the mutating plugins in order; the first error stops the request.
func (c *Chain) Admit(ctx context.Context, a *Attributes) error {
	for _, p := range c.Mutating {
		if err := p.Admit(ctx, a); err != nil {
			return named(p.Name(), err)
		}
	}
	return nil
}

// Validate runs the validating plugins in order; the first error stops the request.
func (c *Chain) Validate(ctx context.Context, a *Attributes) error {
	for _, p := range c.Validating {
		if err := p.Validate(ctx, a); err != nil {
			return named(p.Name(), err)
		}
	}
	return nil
}

// named makes sure a rejection names the plugin that made it, so a user knows
// where to look: "pods "web" is forbidden: [ResourceQuota] exceeded quota: ...".
func named(plugin string, err error) error {
	var se *api.StatusError
	if !errors.As(err, &se) {
		// An internal failure: the server logs it and answers a generic 500.
		return fmt.Errorf("admission plugin %s: %w", plugin, err)
	}
	msg := se.ErrStatus.Message
	if strings.Contains(msg, plugin) {
		return se
	}
	out := *se
	if i := strings.Index(msg, " is forbidden: "); i >= 0 {
		i += len(" is forbidden: ")
		out.ErrStatus.Message = msg[:i] + "[" + plugin + "] " + msg[i:]
	} else {
		out.ErrStatus.Message = "[" + plugin + "] " + msg
	}
	return &out
}

// Forbidden is the usual admission rejection: a 403 about the object in a.
func Forbidden(a *Attributes, format string, args ...any) *api.StatusError {
	gr := api.GroupResource{Group: a.Group, Resource: a.Resource}
	reason := fmt.Sprintf(format, args...)
	if a.Name == "" {
		return api.NewForbidden(gr, "", fmt.Sprintf("%s is forbidden: %s", gr, reason))
	}
	return api.NewForbidden(gr, a.Name, fmt.Sprintf("%s %q is forbidden: %s", gr, a.Name, reason))
}
