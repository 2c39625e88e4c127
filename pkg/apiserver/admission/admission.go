// Package admission runs the plugins that may change (mutating) or reject
// (validating) an object after the request is authorized and before it is stored.
// The chain runs every mutating plugin in order, then every validating one;
// Kubernetes' admission controllers work the same way.
package admission

import (
	"context"

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
			return err
		}
	}
	return nil
}

// Validate runs the validating plugins in order; the first error stops the request.
func (c *Chain) Validate(ctx context.Context, a *Attributes) error {
	for _, p := range c.Validating {
		if err := p.Validate(ctx, a); err != nil {
			return err
		}
	}
	return nil
}
