// Package authz decides whether an authenticated user may do what a request asks.
// Authorizers form a chain: each may allow, deny, or have no opinion, and the
// first decision wins. Issue-by-issue the chain grows (Node, RBAC); this file has
// the interface, the chain and the built-in rules.
package authz

import (
	"context"
	"fmt"

	"skiff/pkg/apiserver/request"
)

// Decision is an authorizer's answer.
type Decision int

// Decisions.
const (
	NoOpinion Decision = iota
	Allow
	Deny
)

// Attributes is what is being asked: who, which verb, on what.
type Attributes struct {
	User *request.User
	Info *request.Info
}

// Authorizer decides on one request. reason explains allow and deny decisions
// (it is logged and, for denials, shown to the user).
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (d Decision, reason string, err error)
}

// Chain asks each authorizer in order; the first Allow or Deny wins. When all
// have no opinion, the last explanation given (RBAC's "roles that would allow
// this") is returned with NoOpinion.
type Chain []Authorizer

// Authorize implements Authorizer.
func (c Chain) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var why string
	for _, z := range c {
		d, reason, err := z.Authorize(ctx, a)
		if err != nil {
			return Deny, "", err
		}
		if d != NoOpinion {
			return d, reason, nil
		}
		if reason != "" {
			why = reason
		}
	}
	return NoOpinion, why, nil
}

// Masters allows everything to members of system:masters, as Kubernetes does.
type Masters struct{}

// Authorize implements Authorizer.
func (Masters) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User != nil && a.User.InGroup(request.SystemPrivilegedGrp) {
		return Allow, "system:masters: user is in group system:masters", nil
	}
	return NoOpinion, "", nil
}

// PublicPaths allows anyone, even unauthenticated, to GET health and version
// endpoints (Kubernetes grants these through the system:public-info-viewer role).
type PublicPaths struct{}

var publicPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true, "/version": true}

// IsPublic reports whether path is readable without credentials.
func IsPublic(path string) bool { return publicPaths[path] }

// Authorize implements Authorizer.
func (PublicPaths) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if !a.Info.IsResourceRequest && a.Info.Verb == "get" && IsPublic(a.Info.Path) {
		return Allow, "public path", nil
	}
	return NoOpinion, "", nil
}

// DeniedMessage says, as Kubernetes does, who may not do what.
func DeniedMessage(a Attributes) string {
	i := a.Info
	if !i.IsResourceRequest {
		return fmt.Sprintf("forbidden: User %q cannot %s path %q", a.User.Name, i.Verb, i.Path)
	}
	res := i.Resource
	if i.Subresource != "" {
		res += "/" + i.Subresource
	}
	where := "at the cluster scope"
	if i.Namespace != "" && !(i.Resource == "namespaces" && i.Name == i.Namespace) {
		where = fmt.Sprintf("in the namespace %q", i.Namespace)
	}
	return fmt.Sprintf("User %q cannot %s resource %q in API group %q %s", a.User.Name, i.Verb, res, i.APIGroup, where)
}
