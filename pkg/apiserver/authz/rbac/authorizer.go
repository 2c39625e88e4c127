// Package rbac is Kubernetes role-based access control: it allows a request when
// a RoleBinding or ClusterRoleBinding gives the user a role with a rule that
// matches it. It also answers "what may this user do" (RulesFor), refuses to let
// users grant permissions they do not hold (ConfirmNoEscalation), and defines
// the default roles a new cluster starts with (BootstrapPolicy).
package rbac

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"
)

// Lister reads the RBAC objects; the apiserver backs it with an in-memory cache.
// Methods must be safe for concurrent use and fast: they are called on every
// request. Callers never modify the objects returned.
type Lister interface {
	GetRole(namespace, name string) (*api.Role, bool)
	GetClusterRole(name string) (*api.ClusterRole, bool)
	ListRoles(namespace string) []*api.Role
	ListClusterRoles() []*api.ClusterRole
	ListRoleBindings(namespace string) []*api.RoleBinding
	ListClusterRoleBindings() []*api.ClusterRoleBinding
}

// Authorizer decides requests from RBAC objects. It is safe for concurrent use
// if its Lister is.
type Authorizer struct {
	lister Lister
}

var _ authz.Authorizer = (*Authorizer)(nil)

// New returns an Authorizer that reads roles and bindings from l.
func New(l Lister) *Authorizer { return &Authorizer{lister: l} }

// maxHints caps how many roles a denial's reason suggests.
const maxHints = 5

// Authorize allows the request if a binding gives the user a role with a rule
// that matches it: any ClusterRoleBinding, or a RoleBinding in the request's
// namespace. Otherwise it has no opinion, and the reason names roles that would
// allow the request and bindings whose role does not exist. It never returns an
// error.
func (z *Authorizer) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if a.User == nil || a.Info == nil {
		return authz.NoOpinion, "", nil
	}
	var allowedBy string
	var notes []string
	z.visitGrants(a.User, a.Info.Namespace, func(g *grant) bool {
		if g.missing {
			notes = append(notes, g.missingNote())
			return true
		}
		if rulesAllow(a.Info, g.rules) {
			allowedBy = g.String()
			return false
		}
		return true
	})
	if allowedBy != "" {
		return authz.Allow, "RBAC: allowed by " + allowedBy, nil
	}
	if hint := z.wouldAllow(a.Info); hint != "" {
		notes = append(notes, hint)
	}
	if len(notes) == 0 {
		return authz.NoOpinion, "", nil
	}
	return authz.NoOpinion, "RBAC: " + strings.Join(notes, "; "), nil
}

// RulesFor returns every rule granted to user by ClusterRoleBindings and, when
// namespace is not empty, by RoleBindings in namespace. Bindings to roles that do
// not exist contribute nothing. The rules share memory with the Lister's
// objects: do not modify them.
func (z *Authorizer) RulesFor(user *request.User, namespace string) []api.PolicyRule {
	var rules []api.PolicyRule
	if user == nil {
		return nil
	}
	z.visitGrants(user, namespace, func(g *grant) bool {
		rules = append(rules, g.rules...)
		return true
	})
	return rules
}

// wouldAllow names the roles whose rules allow the request (every ClusterRole,
// and the Roles in the request's namespace), so a denied user knows what to ask
// for. It is empty if there are none.
func (z *Authorizer) wouldAllow(info *request.Info) string {
	var roles []string
	for _, r := range z.lister.ListClusterRoles() {
		if rulesAllow(info, r.Rules) {
			roles = append(roles, fmt.Sprintf("ClusterRole %q", r.Name))
		}
	}
	if info.Namespace != "" {
		for _, r := range z.lister.ListRoles(info.Namespace) {
			if rulesAllow(info, r.Rules) {
				roles = append(roles, fmt.Sprintf("Role %q", r.Name))
			}
		}
	}
	if len(roles) == 0 {
		return ""
	}
	sort.Strings(roles)
	more := ""
	if len(roles) > maxHints {
		more = fmt.Sprintf(" and %d more", len(roles)-maxHints)
		roles = roles[:maxHints]
	}
	return "roles that would allow this: " + strings.Join(roles, ", ") + more
}

// grant is one binding that applies to a user: the binding, the subject in it
// that matched, and the rules of the role it refers to.
type grant struct {
	kind      string // "ClusterRoleBinding" or "RoleBinding"
	name      string // the binding's name, "namespace/name" for a RoleBinding
	namespace string // the binding's namespace, "" for a ClusterRoleBinding
	roleRef   api.RoleRef
	subject   api.Subject
	rules     []api.PolicyRule
	missing   bool // the role does not exist
}

// String describes the grant for audit logs, e.g.
// `ClusterRoleBinding "view-bob" of ClusterRole "view" to User "bob"`.
func (g *grant) String() string {
	return fmt.Sprintf("%s %q of %s %q to %s", g.kind, g.name, g.roleRef.Kind, g.roleRef.Name, describeSubject(g.subject, g.namespace))
}

func (g *grant) missingNote() string {
	return fmt.Sprintf("%s %q refers to %s %q, which was not found", g.kind, g.name, g.roleRef.Kind, g.roleRef.Name)
}

func describeSubject(s api.Subject, bindingNamespace string) string {
	if s.Kind == api.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return fmt.Sprintf("%s %q", s.Kind, ns+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// visitGrants calls fn for each binding that applies to user — every matching
// ClusterRoleBinding, then (when namespace is not empty) every matching
// RoleBinding in namespace — until fn returns false.
func (z *Authorizer) visitGrants(user *request.User, namespace string, fn func(*grant) bool) {
	for _, b := range z.lister.ListClusterRoleBindings() {
		s, ok := matchingSubject(user, b.Subjects, "")
		if !ok {
			continue
		}
		g := &grant{kind: "ClusterRoleBinding", name: b.Name, roleRef: b.RoleRef, subject: s}
		g.rules, g.missing = z.roleRules(b.RoleRef, "")
		if !fn(g) {
			return
		}
	}
	if namespace == "" {
		return
	}
	for _, b := range z.lister.ListRoleBindings(namespace) {
		s, ok := matchingSubject(user, b.Subjects, namespace)
		if !ok {
			continue
		}
		g := &grant{kind: "RoleBinding", name: namespace + "/" + b.Name, namespace: namespace, roleRef: b.RoleRef, subject: s}
		g.rules, g.missing = z.roleRules(b.RoleRef, namespace)
		if !fn(g) {
			return
		}
	}
}

// roleRules returns the rules of the role ref names. A Role is looked up in
// namespace, so a ClusterRoleBinding (namespace "") cannot refer to one.
// missing is true if the role does not exist.
func (z *Authorizer) roleRules(ref api.RoleRef, namespace string) (rules []api.PolicyRule, missing bool) {
	switch {
	case ref.Kind == "ClusterRole":
		if r, ok := z.lister.GetClusterRole(ref.Name); ok {
			return r.Rules, false
		}
	case ref.Kind == "Role" && namespace != "":
		if r, ok := z.lister.GetRole(namespace, ref.Name); ok {
			return r.Rules, false
		}
	}
	return nil, true
}

// matchingSubject returns the first of subjects that is user: a User by name, a
// Group the user is in, or a ServiceAccount whose user name
// ("system:serviceaccount:<namespace>:<name>") is the user's. A ServiceAccount
// without a namespace is in bindingNamespace.
func matchingSubject(user *request.User, subjects []api.Subject, bindingNamespace string) (api.Subject, bool) {
	for _, s := range subjects {
		switch s.Kind {
		case api.UserKind:
			if user.Name == s.Name {
				return s, true
			}
		case api.GroupKind:
			if user.InGroup(s.Name) {
				return s, true
			}
		case api.ServiceAccountKind:
			ns := s.Namespace
			if ns == "" {
				ns = bindingNamespace
			}
			if ns != "" && user.Name == serviceAccountUsername(ns, s.Name) {
				return s, true
			}
		}
	}
	return api.Subject{}, false
}

// serviceAccountUsername is the user name a service account authenticates as
// (the authenticator in authn/serviceaccount builds the same string).
func serviceAccountUsername(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}
