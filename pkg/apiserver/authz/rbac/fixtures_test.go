package rbac

import (
	"cmp"
	"slices"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// fakeLister keeps RBAC objects in memory, as the apiserver's cache does. Build
// one with newLister().withClusterRole(...).withRoleBinding(...).
type fakeLister struct {
	roles               []*api.Role
	clusterRoles        []*api.ClusterRole
	roleBindings        []*api.RoleBinding
	clusterRoleBindings []*api.ClusterRoleBinding
}

var _ Lister = (*fakeLister)(nil)

func newLister() *fakeLister { return &fakeLister{} }

func (l *fakeLister) GetRole(namespace, name string) (*api.Role, bool) {
	i := slices.IndexFunc(l.roles, func(r *api.Role) bool { return r.Namespace == namespace && r.Name == name })
	if i < 0 {
		return nil, false
	}
	return l.roles[i], true
}

func (l *fakeLister) GetClusterRole(name string) (*api.ClusterRole, bool) {
	i := slices.IndexFunc(l.clusterRoles, func(r *api.ClusterRole) bool { return r.Name == name })
	if i < 0 {
		return nil, false
	}
	return l.clusterRoles[i], true
}

func (l *fakeLister) ListRoles(namespace string) []*api.Role {
	return slices.DeleteFunc(slices.Clone(l.roles), func(r *api.Role) bool { return r.Namespace != namespace })
}

func (l *fakeLister) ListClusterRoles() []*api.ClusterRole { return l.clusterRoles }

func (l *fakeLister) ListRoleBindings(namespace string) []*api.RoleBinding {
	return slices.DeleteFunc(slices.Clone(l.roleBindings), func(b *api.RoleBinding) bool { return b.Namespace != namespace })
}

func (l *fakeLister) ListClusterRoleBindings() []*api.ClusterRoleBinding {
	return l.clusterRoleBindings
}

func (l *fakeLister) withClusterRole(name string, rules ...api.PolicyRule) *fakeLister {
	l.clusterRoles = append(l.clusterRoles, &api.ClusterRole{ObjectMeta: api.ObjectMeta{Name: name}, Rules: rules})
	return l
}

func (l *fakeLister) withRole(namespace, name string, rules ...api.PolicyRule) *fakeLister {
	l.roles = append(l.roles, &api.Role{ObjectMeta: api.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules})
	return l
}

func (l *fakeLister) withClusterRoleBinding(name string, ref api.RoleRef, subjects ...api.Subject) *fakeLister {
	l.clusterRoleBindings = append(l.clusterRoleBindings, &api.ClusterRoleBinding{
		ObjectMeta: api.ObjectMeta{Name: name}, RoleRef: ref, Subjects: subjects})
	return l
}

func (l *fakeLister) withRoleBinding(namespace, name string, ref api.RoleRef, subjects ...api.Subject) *fakeLister {
	l.roleBindings = append(l.roleBindings, &api.RoleBinding{
		ObjectMeta: api.ObjectMeta{Namespace: namespace, Name: name}, RoleRef: ref, Subjects: subjects})
	return l
}

// withBootstrap adds the default policy.
func (l *fakeLister) withBootstrap() *fakeLister {
	roles, bindings := BootstrapPolicy()
	l.clusterRoles = append(l.clusterRoles, roles...)
	l.clusterRoleBindings = append(l.clusterRoleBindings, bindings...)
	return l
}

func clusterRoleRef(name string) api.RoleRef {
	return api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: name}
}

func roleRef(name string) api.RoleRef {
	return api.RoleRef{APIGroup: api.RBACGroup, Kind: "Role", Name: name}
}

func saSubject(namespace, name string) api.Subject {
	return api.Subject{Kind: api.ServiceAccountKind, Namespace: namespace, Name: name}
}

// pr builds a PolicyRule from comma-separated lists:
// pr("get,list", "", "pods") or pr("get", "apps", "deployments", "web").
func pr(verbs, groups, resources string, names ...string) api.PolicyRule {
	return api.PolicyRule{Verbs: split(verbs), APIGroups: strings.Split(groups, ","), Resources: split(resources), ResourceNames: names}
}

// urlRule builds a non-resource rule: urlRule("get", "/healthz", "/healthz/*").
func urlRule(verbs string, urls ...string) api.PolicyRule {
	return api.PolicyRule{Verbs: split(verbs), NonResourceURLs: urls}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// newUser returns an authenticated user in groups.
func newUser(name string, groups ...string) *request.User {
	return &request.User{Name: name, Groups: append(groups, request.AllAuthenticated)}
}

func saUser(namespace, name string) *request.User {
	return newUser(serviceAccountUsername(namespace, name), "system:serviceaccounts", "system:serviceaccounts:"+namespace)
}

// reqBuilder describes a request: res("get", "pods").in("ns1").named("web").
type reqBuilder request.Info

// res is a resource request in the core group.
func res(verb, resource string) reqBuilder {
	return reqBuilder{IsResourceRequest: true, Verb: verb, Resource: resource}
}

// path is a non-resource request such as GET /healthz.
func path(verb, p string) reqBuilder { return reqBuilder{Verb: verb, Path: p} }

func (b reqBuilder) in(ns string) reqBuilder   { b.Namespace = ns; return b }
func (b reqBuilder) named(n string) reqBuilder { b.Name = n; return b }
func (b reqBuilder) sub(s string) reqBuilder   { b.Subresource = s; return b }
func (b reqBuilder) group(g string) reqBuilder { b.APIGroup = g; return b }
func (b reqBuilder) info() *request.Info       { i := request.Info(b); return &i }
func sortRules(rules []api.PolicyRule) []api.PolicyRule {
	return slices.SortedFunc(slices.Values(rules), func(a, b api.PolicyRule) int {
		return cmp.Compare(compactString(a), compactString(b))
	})
}
