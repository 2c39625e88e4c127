// Package request holds what the apiserver's filters learn about a request — who
// sent it (User) and what it asks for (Info) — and carries both in its context, so
// authorization, admission, audit and the REST handlers all see the same answer.
package request

import (
	"context"
	"net/http"
	"strings"
)

// User is an authenticated identity.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// Well-known users and groups.
const (
	Anonymous           = "system:anonymous"
	AllUnauthenticated  = "system:unauthenticated"
	AllAuthenticated    = "system:authenticated"
	SystemPrivilegedGrp = "system:masters"
)

// InGroup reports whether u belongs to group.
func (u *User) InGroup(group string) bool {
	for _, g := range u.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// Info is what a request asks for, parsed from its method, path and query like
// Kubernetes' RequestInfo.
type Info struct {
	// IsResourceRequest is false for paths like /healthz, /version, /api and /apis.
	IsResourceRequest bool
	Path              string
	// Verb is get, list, watch, create, update, patch, delete or deletecollection
	// for resources; the lowercase HTTP method otherwise.
	Verb        string
	APIPrefix   string // "api" or "apis"
	APIGroup    string
	APIVersion  string
	Namespace   string
	Resource    string
	Subresource string
	Name        string
	// FieldSelector is the raw fieldSelector of a list or watch, which the node
	// authorizer reads ("spec.nodeName=node-a").
	FieldSelector string
}

// namespaceSubresources are the subresources of a namespace object, which in
// /api/v1/namespaces/{name}/{x} are not a resource called x.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// Parse reads an Info from r.
func Parse(r *http.Request) *Info {
	info := &Info{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	parts := splitPath(r.URL.Path)
	if len(parts) < 3 || (parts[0] != "api" && parts[0] != "apis") {
		return info
	}
	info.APIPrefix = parts[0]
	parts = parts[1:]
	if info.APIPrefix == "apis" {
		if len(parts) < 3 {
			return info // /apis/{group}/{version} is discovery
		}
		info.APIGroup, parts = parts[0], parts[1:]
	}
	info.APIVersion, parts = parts[0], parts[1:]
	if len(parts) == 0 {
		return info
	}
	info.IsResourceRequest = true

	// The old /api/v1/watch/... form is a watch.
	isWatchPath := false
	if parts[0] == "watch" {
		isWatchPath, parts = true, parts[1:]
		if len(parts) == 0 {
			info.IsResourceRequest = false
			return info
		}
	}
	if parts[0] == "namespaces" && len(parts) >= 3 && !namespaceSubresources[parts[2]] {
		info.Namespace = parts[1]
		parts = parts[2:]
	} else if parts[0] == "namespaces" && len(parts) >= 2 {
		// /api/v1/namespaces/{name}[/status]: the namespace object itself.
		info.Namespace = parts[1]
	}
	info.Resource = parts[0]
	if len(parts) >= 2 {
		info.Name = parts[1]
	}
	if len(parts) >= 3 {
		info.Subresource = parts[2]
	}
	if len(parts) > 3 {
		// Deeper paths are not resources Skiff knows; the handler answers 404.
		info.Subresource = strings.Join(parts[2:], "/")
	}

	q := r.URL.Query()
	info.FieldSelector = q.Get("fieldSelector")
	watch := isWatchPath || q.Get("watch") == "1" || q.Get("watch") == "true"
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case watch:
			info.Verb = "watch"
		case info.Name == "":
			info.Verb = "list"
		default:
			info.Verb = "get"
		}
	case http.MethodPost:
		info.Verb = "create"
	case http.MethodPut:
		info.Verb = "update"
	case http.MethodPatch:
		info.Verb = "patch"
	case http.MethodDelete:
		if info.Name == "" {
			info.Verb = "deletecollection"
		} else {
			info.Verb = "delete"
		}
	}
	// Running a command in a pod is creating something, whichever method
	// asks for it: a WebSocket upgrade is a GET, and "get pods/exec" must not
	// be enough (Kubernetes 1.35 checks create too for WebSocket upgrades).
	if info.APIGroup == "" && info.Resource == "pods" && info.Subresource == "exec" && info.Verb == "get" {
		info.Verb = "create"
	}
	return info
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

type ctxKey int

const (
	userKey ctxKey = iota
	infoKey
)

// WithUser returns a context that carries u.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFrom returns the user a context carries, if any.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey).(*User)
	return u, ok
}

// WithInfo returns a context that carries info.
func WithInfo(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, infoKey, info)
}

// InfoFrom returns the request info a context carries, if any.
func InfoFrom(ctx context.Context) (*Info, bool) {
	i, ok := ctx.Value(infoKey).(*Info)
	return i, ok
}
