package apiserver

import (
	"context"
	"errors"
	"sort"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/client"
	"skiff/pkg/storage"
)

// lookups gives authenticators, authorizers and admission plugins the reads (and
// the one write, quota status) they need, each through the narrow interface its
// package declares. Hot reads come from the in-memory caches; reads that must be
// exact go to storage.
type lookups struct {
	s *Server
	c *caches
}

// caches are the in-memory copies of objects consulted on every request.
type caches struct {
	namespaces          *client.Informer[*api.Namespace]
	serviceAccounts     *client.Informer[*api.ServiceAccount]
	pods                *client.Informer[*api.Pod]
	limitRanges         *client.Informer[*api.LimitRange]
	quotas              *client.Informer[*api.ResourceQuota]
	roles               *client.Informer[*api.Role]
	clusterRoles        *client.Informer[*api.ClusterRole]
	roleBindings        *client.Informer[*api.RoleBinding]
	clusterRoleBindings *client.Informer[*api.ClusterRoleBinding]
	priorityClasses     *client.Informer[*api.PriorityClass]
}

const (
	byNamespace = "namespace"
	byNode      = "node"
)

func namespaceOf[T api.Object](o T) []string { return []string{o.GetObjectMeta().Namespace} }

// startCaches starts the informers on the server's storage.
func (s *Server) startCaches() *caches {
	c := &caches{
		namespaces:          informerFor[*api.Namespace](s.bg, s, "", "v1", "namespaces"),
		serviceAccounts:     informerFor[*api.ServiceAccount](s.bg, s, "", "v1", "serviceaccounts"),
		pods:                informerFor[*api.Pod](s.bg, s, "", "v1", "pods"),
		limitRanges:         informerFor[*api.LimitRange](s.bg, s, "", "v1", "limitranges"),
		quotas:              informerFor[*api.ResourceQuota](s.bg, s, "", "v1", "resourcequotas"),
		roles:               informerFor[*api.Role](s.bg, s, "rbac.authorization.k8s.io", "v1", "roles"),
		clusterRoles:        informerFor[*api.ClusterRole](s.bg, s, "rbac.authorization.k8s.io", "v1", "clusterroles"),
		roleBindings:        informerFor[*api.RoleBinding](s.bg, s, "rbac.authorization.k8s.io", "v1", "rolebindings"),
		clusterRoleBindings: informerFor[*api.ClusterRoleBinding](s.bg, s, "rbac.authorization.k8s.io", "v1", "clusterrolebindings"),
		priorityClasses:     informerFor[*api.PriorityClass](s.bg, s, api.SchedulingGroup, "v1", "priorityclasses"),
	}
	c.pods.AddIndex(byNode, func(p *api.Pod) []string { return []string{p.Spec.NodeName} })
	c.limitRanges.AddIndex(byNamespace, namespaceOf[*api.LimitRange])
	c.quotas.AddIndex(byNamespace, namespaceOf[*api.ResourceQuota])
	c.roles.AddIndex(byNamespace, namespaceOf[*api.Role])
	c.roleBindings.AddIndex(byNamespace, namespaceOf[*api.RoleBinding])
	return c
}

// get reads one object from storage, as an API error when it is missing.
func (l lookups) get(ctx context.Context, group, plural, namespace, name string) (api.Object, error) {
	res, ok := l.s.registry.Lookup(group, "v1", plural)
	if !ok {
		return nil, errors.New("apiserver: unknown resource " + plural)
	}
	key := name
	if res.Namespaced {
		key = namespace + "/" + name
	}
	obj, err := l.s.stores[res].Get(ctx, key)
	if err != nil {
		return nil, l.s.toStatus(err, res, name)
	}
	return obj, nil
}

// GetNamespace reads the cache, and storage when the cache has not caught up.
func (l lookups) GetNamespace(ctx context.Context, name string) (*api.Namespace, error) {
	if ns, ok := l.c.namespaces.Get(name); ok {
		return ns, nil
	}
	obj, err := l.get(ctx, "", "namespaces", "", name)
	if err != nil {
		return nil, err
	}
	return obj.(*api.Namespace), nil
}

// GetServiceAccount reads the cache, and storage when the cache has not caught up:
// every pod create looks up its service account.
func (l lookups) GetServiceAccount(ctx context.Context, namespace, name string) (*api.ServiceAccount, error) {
	if sa, ok := l.c.serviceAccounts.Get(namespace + "/" + name); ok {
		return sa, nil
	}
	obj, err := l.get(ctx, "", "serviceaccounts", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*api.ServiceAccount), nil
}

// GetPod reads the cache, and storage when the cache has not caught up: tokens
// bound to pods look their pod up on every request.
func (l lookups) GetPod(ctx context.Context, namespace, name string) (*api.Pod, error) {
	if p, ok := l.c.pods.Get(namespace + "/" + name); ok {
		return p, nil
	}
	obj, err := l.get(ctx, "", "pods", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*api.Pod), nil
}

func (l lookups) GetSecret(ctx context.Context, namespace, name string) (*api.Secret, error) {
	obj, err := l.get(ctx, "", "secrets", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*api.Secret), nil
}

func (l lookups) ListLimitRanges(_ context.Context, namespace string) ([]*api.LimitRange, error) {
	return l.c.limitRanges.ByIndex(byNamespace, namespace), nil
}

// ListQuotas reads storage: quota charges must see the latest status.
func (l lookups) ListQuotas(ctx context.Context, namespace string) ([]*api.ResourceQuota, error) {
	if len(l.c.quotas.ByIndex(byNamespace, namespace)) == 0 {
		return nil, nil // most namespaces have none: skip the read
	}
	objs, err := l.ListObjects(ctx, namespace, "resourcequotas", "")
	out := make([]*api.ResourceQuota, len(objs))
	for i, o := range objs {
		out[i] = o.(*api.ResourceQuota)
	}
	return out, err
}

func (l lookups) GetQuota(ctx context.Context, namespace, name string) (*api.ResourceQuota, error) {
	obj, err := l.get(ctx, "", "resourcequotas", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*api.ResourceQuota), nil
}

// UpdateStatus writes a quota's status if its resourceVersion is current.
func (l lookups) UpdateStatus(ctx context.Context, q *api.ResourceQuota) (*api.ResourceQuota, error) {
	res, _ := l.s.registry.Lookup("", "v1", "resourcequotas")
	out, err := l.s.stores[res].GuaranteedUpdate(ctx, q.Namespace+"/"+q.Name,
		&storage.Preconditions{ResourceVersion: q.ResourceVersion}, func(cur api.Object) (api.Object, error) {
			next := cur.(*api.ResourceQuota)
			next.Status = q.Status
			return next, nil
		})
	if err != nil {
		return nil, l.s.toStatus(err, res, q.Name)
	}
	return out.(*api.ResourceQuota), nil
}

// ListObjects lists the stored objects of a resource in a namespace.
func (l lookups) ListObjects(ctx context.Context, namespace, plural, group string) ([]api.Object, error) {
	res, ok := l.lookupAnyVersion(group, plural)
	if !ok || res.Virtual {
		return nil, nil
	}
	out, err := l.s.stores[res].List(ctx, namespace+"/", storage.ListOptions{})
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

func (l lookups) lookupAnyVersion(group, plural string) (*registry.Resource, bool) {
	for _, r := range l.s.registry.All() {
		if r.Group == group && r.Plural == plural {
			return r, true
		}
	}
	return nil, false
}

// QuotaNamespaces lists the namespaces that have quotas.
func (l lookups) QuotaNamespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, q := range l.c.quotas.List() {
		if !seen[q.Namespace] {
			seen[q.Namespace] = true
			out = append(out, q.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// GetPriorityClass reads the cache, and storage when the cache has not caught up:
// every pod that names a class looks it up.
func (l lookups) GetPriorityClass(ctx context.Context, name string) (*api.PriorityClass, error) {
	if pc, ok := l.c.priorityClasses.Get(name); ok {
		return pc, nil
	}
	obj, err := l.get(ctx, api.SchedulingGroup, "priorityclasses", "", name)
	if err != nil {
		return nil, err
	}
	return obj.(*api.PriorityClass), nil
}

// ListPriorityClasses reads the cache: pods without a class look for the default.
func (l lookups) ListPriorityClasses(context.Context) ([]*api.PriorityClass, error) {
	return l.c.priorityClasses.List(), nil
}

// ListStoredPriorityClasses reads storage: only one class may be the default,
// and a class made default a moment ago counts.
func (l lookups) ListStoredPriorityClasses(ctx context.Context) ([]*api.PriorityClass, error) {
	res, _ := l.s.registry.Lookup(api.SchedulingGroup, "v1", "priorityclasses")
	list, err := l.s.stores[res].List(ctx, "", storage.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]*api.PriorityClass, len(list.Items))
	for i, o := range list.Items {
		out[i] = o.(*api.PriorityClass)
	}
	return out, nil
}

// PodsOnNode and the Get below implement authz.PodLister from the cache.
func (l lookups) PodsOnNode(node string) []*api.Pod { return l.c.pods.ByIndex(byNode, node) }

// RBAC: rbac.Lister from the caches.
func (l lookups) GetRole(namespace, name string) (*api.Role, bool) {
	return l.c.roles.Get(namespace + "/" + name)
}
func (l lookups) GetClusterRole(name string) (*api.ClusterRole, bool) {
	return l.c.clusterRoles.Get(name)
}
func (l lookups) ListRoles(namespace string) []*api.Role {
	return l.c.roles.ByIndex(byNamespace, namespace)
}
func (l lookups) ListClusterRoles() []*api.ClusterRole { return l.c.clusterRoles.List() }
func (l lookups) ListRoleBindings(namespace string) []*api.RoleBinding {
	return l.c.roleBindings.ByIndex(byNamespace, namespace)
}
func (l lookups) ListClusterRoleBindings() []*api.ClusterRoleBinding {
	return l.c.clusterRoleBindings.List()
}

// cachedPods adapts the pod cache to authz.PodLister (whose GetPod has no context).
type cachedPods struct{ l lookups }

func (p cachedPods) GetPod(namespace, name string) (*api.Pod, bool) {
	return p.l.c.pods.Get(namespace + "/" + name)
}
func (p cachedPods) PodsOnNode(node string) []*api.Pod { return p.l.PodsOnNode(node) }

// GetPodLive reads a pod from storage (authz.LivePodGetter).
func (p cachedPods) GetPodLive(namespace, name string) (*api.Pod, bool) {
	ctx, cancel := context.WithTimeout(p.l.s.bg, 5*time.Second)
	defer cancel()
	obj, err := p.l.get(ctx, "", "pods", namespace, name)
	if err != nil {
		return nil, false
	}
	return obj.(*api.Pod), true
}
