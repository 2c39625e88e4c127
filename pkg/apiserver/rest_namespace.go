package apiserver

import (
	"context"
	"net/http"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/storage"
)

// Namespace lifecycle, as in Kubernetes: a new namespace gets the "kubernetes"
// finalizer in spec.finalizers (registry); the first DELETE only marks it
// Terminating; the namespace controller deletes its content and then removes
// that finalizer through PUT namespaces/{name}/finalize; the namespace goes once
// a write leaves it with a deletionTimestamp and no finalizer of either kind
// (deleteIfFinalized), or on a DELETE after that.

// terminateNamespace answers a DELETE of a namespace that is not yet
// terminating, or whose spec.finalizers are still pending: the first one sets
// the deletionTimestamp, status.phase Terminating and the garbage collector's
// finalizers; later ones change nothing.
func (c *call) terminateNamespace(ctx context.Context, key string, cur *api.Namespace, finalizers []string, dry bool) (api.Object, error) {
	if cur.DeletionTimestamp != nil {
		return cur, nil
	}
	mark := func(o api.Object) (api.Object, error) {
		ns := o.(*api.Namespace)
		if ns.ResourceVersion != cur.ResourceVersion {
			return nil, storage.ErrConflict
		}
		t, zero := api.NewTime(now().UTC().Truncate(time.Second)), int64(0)
		ns.DeletionTimestamp, ns.DeletionGracePeriodSeconds = &t, &zero
		ns.Finalizers = finalizers
		ns.Status.Phase = api.NamespaceTerminating
		return ns, nil
	}
	if dry {
		return mark(cur)
	}
	return c.store.GuaranteedUpdate(ctx, key, nil, mark)
}

// serveFinalize serves namespaces/{name}/finalize: an update that changes only
// spec.finalizers (and metadata), keeping the status.
func (c *call) serveFinalize(w http.ResponseWriter, r *http.Request) {
	if c.info.Verb != "update" {
		c.s.writeError(w, r, methodNotAllowed(r, "namespaces/finalize"), c.res)
		return
	}
	c.update(w, r, "finalize")
}

// specFinalizersPending reports a namespace that spec.finalizers still keep.
func specFinalizersPending(obj api.Object) bool {
	ns, ok := obj.(*api.Namespace)
	return ok && len(ns.Spec.Finalizers) > 0
}
