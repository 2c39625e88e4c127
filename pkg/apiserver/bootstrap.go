package apiserver

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"skiff/pkg/api"
	sa "skiff/pkg/apiserver/admission/serviceaccount"
	"skiff/pkg/apiserver/authz/rbac"
	"skiff/pkg/apiserver/registry"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/pki"
	"skiff/pkg/storage"
)

// bootstrap creates what every cluster has: the built-in namespaces, the default
// service account and CA configmap in each namespace, the default RBAC
// roles and bindings (updated to Skiff's version unless their
// rbac.authorization.kubernetes.io/autoupdate annotation is "false"), and the
// system-node-critical and system-cluster-critical priority classes (created if
// missing, as Kubernetes does; never changed).
func (s *Server) bootstrap(ctx context.Context) error {
	nsRes := s.resource("", "namespaces")
	for _, name := range []string{api.NamespaceDefault, api.NamespaceSystem, api.NamespacePublic, api.NamespaceNodeLease} {
		ns := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: name}}
		if err := s.ensure(ctx, nsRes, ns, nil); err != nil {
			return err
		}
	}
	all, err := s.stores[nsRes].List(ctx, "", storage.ListOptions{})
	if err != nil {
		return err
	}
	for _, ns := range all.Items {
		if err := s.populateNamespace(ctx, ns.GetObjectMeta().Name); err != nil {
			return err
		}
	}
	roles, bindings := rbac.BootstrapPolicy()
	for _, r := range roles {
		if err := s.ensure(ctx, s.resource("rbac.authorization.k8s.io", "clusterroles"), r, autoupdate); err != nil {
			return err
		}
	}
	for _, b := range bindings {
		if err := s.ensure(ctx, s.resource("rbac.authorization.k8s.io", "clusterrolebindings"), b, autoupdate); err != nil {
			return err
		}
	}
	nsRoles, nsBindings := rbac.BootstrapNamespacedPolicy()
	for _, r := range nsRoles {
		if err := s.ensure(ctx, s.resource("rbac.authorization.k8s.io", "roles"), r, autoupdate); err != nil {
			return err
		}
	}
	for _, b := range nsBindings {
		if err := s.ensure(ctx, s.resource("rbac.authorization.k8s.io", "rolebindings"), b, autoupdate); err != nil {
			return err
		}
	}
	if err := s.ensureClusterInfo(ctx); err != nil {
		return err
	}
	for _, pc := range api.SystemPriorityClasses() {
		if err := s.ensure(ctx, s.resource(api.SchedulingGroup, "priorityclasses"), pc, nil); err != nil {
			return err
		}
	}
	return nil
}

// populateNamespace gives a namespace its default service account and the
// kube-root-ca.crt configmap pods use to trust the apiserver.
func (s *Server) populateNamespace(ctx context.Context, ns string) error {
	account := &api.ServiceAccount{ObjectMeta: api.ObjectMeta{Name: sa.DefaultServiceAccount, Namespace: ns}}
	if err := s.ensure(ctx, s.resource("", "serviceaccounts"), account, nil); err != nil {
		return err
	}
	ca := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: sa.RootCAConfigMap, Namespace: ns},
		Data: map[string]string{"ca.crt": string(pki.EncodeCert(s.pki.ca.Cert))}}
	return s.ensure(ctx, s.resource("", "configmaps"), ca, func(cur, want api.Object) bool {
		return !reflect.DeepEqual(cur.(*api.ConfigMap).Data, want.(*api.ConfigMap).Data)
	})
}

// ensureClusterInfo keeps the kubeconfig in kube-public/cluster-info current
// (this server's advertised URL and the CA); the bootstrap signer adds the
// token signatures next to it, which are left alone here.
func (s *Server) ensureClusterInfo(ctx context.Context) error {
	kubeconfig := bt.ClusterInfoKubeconfig(s.AdvertisedURL(), pki.EncodeCert(s.pki.ca.Cert))
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: bt.ClusterInfoName, Namespace: api.NamespacePublic},
		Data: map[string]string{bt.KubeconfigKey: kubeconfig}}
	res := s.resource("", "configmaps")
	if err := s.ensure(ctx, res, cm, nil); err != nil {
		return err
	}
	_, err := s.stores[res].GuaranteedUpdate(ctx, api.NamespacePublic+"/"+bt.ClusterInfoName, nil, func(cur api.Object) (api.Object, error) {
		cm := cur.(*api.ConfigMap)
		if cm.Data[bt.KubeconfigKey] == kubeconfig {
			return cm, nil
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[bt.KubeconfigKey] = kubeconfig
		return cm, nil
	})
	return err
}

// autoupdate says a default RBAC object should be brought back to Skiff's version.
func autoupdate(cur, want api.Object) bool {
	if cur.GetObjectMeta().Annotations["rbac.authorization.kubernetes.io/autoupdate"] == "false" {
		return false
	}
	return !reflect.DeepEqual(registry.FieldValue(cur, "Rules"), registry.FieldValue(want, "Rules")) ||
		!reflect.DeepEqual(registry.FieldValue(cur, "Subjects"), registry.FieldValue(want, "Subjects")) ||
		!reflect.DeepEqual(cur.GetObjectMeta().Labels, want.GetObjectMeta().Labels)
}

// ensure creates obj if missing; if it exists and stale(current, obj) holds, it
// replaces the current one's content with obj's.
func (s *Server) ensure(ctx context.Context, res *registry.Resource, obj api.Object, stale func(cur, want api.Object) bool) error {
	m := obj.GetObjectMeta()
	key := m.Name
	if res.Namespaced {
		key = m.Namespace + "/" + m.Name
	}
	s.prepareCreate(res, obj)
	res.Defaults(obj)
	if errs := res.Validate(obj); len(errs) > 0 {
		return fmt.Errorf("bootstrap %s %s: %w", res.Kind, key, api.NewInvalid(res.Kind, m.Name, errs))
	}
	err := s.stores[res].Create(ctx, key, obj)
	if !errors.Is(err, storage.ErrAlreadyExists) {
		return err
	}
	if stale == nil {
		return nil
	}
	_, err = s.stores[res].GuaranteedUpdate(ctx, key, nil, func(cur api.Object) (api.Object, error) {
		if !stale(cur, obj) {
			return cur, nil
		}
		next := api.DeepCopy(obj)
		next.GetObjectMeta().UID = cur.GetObjectMeta().UID
		next.GetObjectMeta().CreationTimestamp = cur.GetObjectMeta().CreationTimestamp
		next.GetObjectMeta().Annotations = cur.GetObjectMeta().Annotations
		return next, nil
	})
	return err
}

// resource finds a built-in resource; a missing one is a programming error.
func (s *Server) resource(group, plural string) *registry.Resource {
	r, ok := s.registry.Lookup(group, "v1", plural)
	if !ok {
		panic("apiserver: no resource " + plural)
	}
	return r
}
