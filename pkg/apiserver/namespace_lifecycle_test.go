package apiserver_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// finalize writes spec.finalizers through namespaces/{name}/finalize, as the
// namespace controller does.
func finalize(ctx context.Context, c *client.Client, ns *api.Namespace, finalizers ...string) (*api.Namespace, error) {
	ns = api.DeepCopy(ns)
	ns.Spec.Finalizers = finalizers
	out := &api.Namespace{}
	err := c.Do(ctx, client.Request{Method: "PUT", Path: client.NamespacesGVR.Path("", ns.Name, "finalize"), Body: ns, Out: out})
	return out, err
}

// TestNamespaceLifecycle: a namespace is created with the "kubernetes"
// finalizer; DELETE marks it Terminating and keeps it (creates in it are
// refused) until /finalize removes that finalizer; only then does it go.
func TestNamespaceLifecycle(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	nss := client.Namespaces(s.Client)

	ns, err := nss.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "doomed"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{api.FinalizerKubernetes}, ns.Spec.Finalizers); diff != "" {
		t.Errorf("spec.finalizers of a new namespace (-want +got):\n%s", diff)
	}
	if ns.Status.Phase != api.NamespaceActive {
		t.Errorf("phase %q, want Active", ns.Status.Phase)
	}

	// An update cannot drop the finalizer: spec.finalizers change only through /finalize.
	ns.Spec.Finalizers = nil
	ns.Labels = map[string]string{"team": "a"}
	ns, err = nss.Update(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ns.Spec.Finalizers, []string{api.FinalizerKubernetes}) || ns.Labels["team"] != "a" {
		t.Errorf("after an update without finalizers: finalizers %v labels %v; want [kubernetes] and team=a", ns.Spec.Finalizers, ns.Labels)
	}

	// DELETE answers with the namespace, now Terminating, and keeps it.
	var deleted api.Namespace
	if err := s.Client.Do(ctx, client.Request{Method: "DELETE", Path: "/api/v1/namespaces/doomed", Out: &deleted}); err != nil {
		t.Fatal(err)
	}
	if deleted.Kind != "Namespace" || deleted.Status.Phase != api.NamespaceTerminating || deleted.DeletionTimestamp == nil {
		t.Fatalf("DELETE answered kind %q phase %q deletionTimestamp %v; want a Terminating Namespace", deleted.Kind, deleted.Status.Phase, deleted.DeletionTimestamp)
	}
	ns, err = nss.Get(ctx, "doomed")
	if err != nil {
		t.Fatalf("namespace gone right after DELETE: %v", err)
	}
	if ns.Status.Phase != api.NamespaceTerminating {
		t.Errorf("phase %q, want Terminating", ns.Status.Phase)
	}
	// A second DELETE changes nothing while the finalizer is there.
	if err := nss.Delete(ctx, "doomed", nil); err != nil {
		t.Fatal(err)
	}
	again, err := nss.Get(ctx, "doomed")
	if err != nil || again.ResourceVersion != ns.ResourceVersion {
		t.Fatalf("second DELETE: %v, resourceVersion %s → %s; want unchanged", err, ns.ResourceVersion, again.ResourceVersion)
	}

	// Nothing can be created in it (the admission cache may lag a moment).
	waitFor(t, "creates in the terminating namespace to be refused", func() bool {
		_, err := client.ConfigMaps(s.Client, "doomed").Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{GenerateName: "late-"}})
		return api.IsForbidden(err)
	})

	// The status subresource keeps the finalizers, too.
	ns.Status.Conditions = []api.NamespaceCondition{{Type: "NamespaceContentRemaining", Status: api.ConditionTrue, Reason: "SomeResourcesRemain"}}
	ns.Spec.Finalizers = nil
	if ns, err = nss.UpdateStatus(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ns.Spec.Finalizers, []string{api.FinalizerKubernetes}) || ns.Status.Phase != api.NamespaceTerminating {
		t.Fatalf("after a status update: finalizers %v phase %q", ns.Spec.Finalizers, ns.Status.Phase)
	}

	// /finalize removes the finalizer, and with it the namespace.
	out, err := finalize(ctx, s.Client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Spec.Finalizers) != 0 || out.Status.Phase != api.NamespaceTerminating {
		t.Errorf("/finalize answered finalizers %v phase %q; want none and Terminating", out.Spec.Finalizers, out.Status.Phase)
	}
	if _, err := nss.Get(ctx, "doomed"); !api.IsNotFound(err) {
		t.Fatalf("after /finalize: got %v, want NotFound", err)
	}
}

// TestNamespaceFinalizeKeepsOtherFinalizers: the namespace waits for every
// finalizer, in spec and in metadata.
func TestNamespaceFinalizeKeepsOtherFinalizers(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	nss := client.Namespaces(s.Client)

	ns, err := nss.Create(ctx, &api.Namespace{
		ObjectMeta: api.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}},
		Spec:       api.NamespaceSpec{Finalizers: []string{"example.com/spec"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"example.com/spec", api.FinalizerKubernetes}, ns.Spec.Finalizers); diff != "" {
		t.Errorf("spec.finalizers (-want +got):\n%s", diff)
	}
	// Finalizing a namespace that is not being deleted changes only its spec.
	if ns, err = finalize(ctx, s.Client, ns, "example.com/spec"); err != nil {
		t.Fatal(err)
	}
	if ns.DeletionTimestamp != nil {
		t.Fatalf("/finalize deleted an active namespace")
	}
	if err := nss.Delete(ctx, "held", nil); err != nil {
		t.Fatal(err)
	}
	if ns, err = nss.Get(ctx, "held"); err != nil {
		t.Fatal(err)
	}
	// Removing the metadata finalizer first: the spec finalizer still holds it.
	ns.Finalizers = nil
	if ns, err = nss.Update(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if ns, err = nss.Get(ctx, "held"); err != nil {
		t.Fatalf("namespace gone while spec.finalizers %v remain: %v", ns.Spec.Finalizers, err)
	}
	if _, err := finalize(ctx, s.Client, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := nss.Get(ctx, "held"); !api.IsNotFound(err) {
		t.Fatalf("after the last finalizer: got %v, want NotFound", err)
	}

	// The other order: spec first, then metadata.
	if _, err := nss.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "held2", Finalizers: []string{"example.com/hold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := nss.Delete(ctx, "held2", nil); err != nil {
		t.Fatal(err)
	}
	ns, _ = nss.Get(ctx, "held2")
	if ns, err = finalize(ctx, s.Client, ns); err != nil {
		t.Fatal(err)
	}
	if ns, err = nss.Get(ctx, "held2"); err != nil {
		t.Fatalf("namespace gone while metadata.finalizers remain: %v", err)
	}
	ns.Finalizers = nil
	if _, err := nss.Update(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := nss.Get(ctx, "held2"); !api.IsNotFound(err) {
		t.Fatalf("after the last finalizer: got %v, want NotFound", err)
	}

	// A namespace without spec finalizers (finalized before it was deleted) is
	// still only marked by the first DELETE, and goes with the second.
	if ns, err = nss.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "bare"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := finalize(ctx, s.Client, ns); err != nil {
		t.Fatal(err)
	}
	if err := nss.Delete(ctx, "bare", nil); err != nil {
		t.Fatal(err)
	}
	if ns, err = nss.Get(ctx, "bare"); err != nil || ns.Status.Phase != api.NamespaceTerminating {
		t.Fatalf("after the first DELETE: %v; want a Terminating namespace", err)
	}
	if err := nss.Delete(ctx, "bare", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := nss.Get(ctx, "bare"); !api.IsNotFound(err) {
		t.Fatalf("after the second DELETE: got %v, want NotFound", err)
	}
}

// TestNamespaceFinalizeSubresource: discovery lists namespaces/finalize, it
// takes only PUT, and the built-in namespaces stay undeletable.
func TestNamespaceFinalizeSubresource(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	var list api.APIResourceList
	if err := s.Client.Do(ctx, client.Request{Method: "GET", Path: "/api/v1", Out: &list}); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.APIResources, func(r api.APIResource) bool { return r.Name == "namespaces/finalize" })
	if i < 0 {
		t.Fatalf("discovery has no namespaces/finalize")
	}
	if got := list.APIResources[i]; got.Kind != "Namespace" || !slices.Equal(got.Verbs, []string{"update"}) {
		t.Errorf("namespaces/finalize: kind %q verbs %v; want Namespace [update]", got.Kind, got.Verbs)
	}
	for _, method := range []string{"GET", "PATCH", "POST", "DELETE"} {
		r := call(t, s.Client, client.Request{Method: method, Path: "/api/v1/namespaces/default/finalize", Body: []byte("{}"), ContentType: "application/merge-patch+json"})
		if r.code != 405 {
			t.Errorf("%s namespaces/default/finalize: %d, want 405", method, r.code)
		}
	}
	for _, name := range []string{api.NamespaceDefault, api.NamespaceSystem, api.NamespacePublic, api.NamespaceNodeLease} {
		if err := client.Namespaces(s.Client).Delete(ctx, name, nil); !api.IsForbidden(err) {
			t.Errorf("delete %s: got %v, want 403", name, err)
		}
		ns, err := client.Namespaces(s.Client).Get(ctx, name)
		if err != nil || ns.DeletionTimestamp != nil {
			t.Errorf("%s after a refused delete: %v, deletionTimestamp %v", name, err, ns.DeletionTimestamp)
		}
	}
}

// TestDeletePropagationReplacesPolicy: a delete with a propagation policy
// replaces the policy an earlier delete recorded; without one it is kept.
func TestDeletePropagationReplacesPolicy(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	cms := client.ConfigMaps(s.Client, "default")
	policy := func(p string) *api.DeleteOptions { return &api.DeleteOptions{PropagationPolicy: &p} }
	finalizers := func(name string) []string {
		t.Helper()
		cm, err := cms.Get(ctx, name)
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		return cm.Finalizers
	}
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "owner", Finalizers: []string{"example.com/hold"}}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		opts *api.DeleteOptions
		want []string
	}{
		{policy(api.DeletePropagationOrphan), []string{"example.com/hold", api.FinalizerOrphanDependents}},
		{nil, []string{"example.com/hold", api.FinalizerOrphanDependents}},
		{policy(api.DeletePropagationForeground), []string{"example.com/hold", api.FinalizerDeleteDependents}},
		{&api.DeleteOptions{OrphanDependents: new(true)}, []string{"example.com/hold", api.FinalizerOrphanDependents}},
		{policy(api.DeletePropagationBackground), []string{"example.com/hold"}},
	}
	for i, st := range steps {
		if err := cms.Delete(ctx, "owner", st.opts); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if diff := cmp.Diff(st.want, finalizers("owner")); diff != "" {
			t.Errorf("step %d: finalizers (-want +got):\n%s", i, diff)
		}
	}

	// An object held only by the orphan finalizer goes when a Background
	// delete drops it.
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "orphaning"}}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "orphaning", policy(api.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "orphaning", policy(api.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "orphaning"); !api.IsNotFound(err) {
		t.Fatalf("after a Background delete: got %v, want NotFound", err)
	}
}
