package garbagecollector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/controller/garbagecollector/metadata"
)

// errNoNamespace: a namespaced kind named from a cluster-scoped object, which
// cannot be looked up (Kubernetes treats such an owner as unresolvable).
var errNoNamespace = errors.New("garbagecollector: a namespaced owner of a cluster-scoped object")

// sync works on the object with uid, from the graph and what the apiserver
// says now, never from the event that queued it:
//   - a virtual owner is looked up; if it does not exist, its dependents are
//     queued;
//   - an object being deleted with the "orphan" finalizer has the references
//     to it removed from its dependents, then the finalizer;
//   - one being deleted with the "foregroundDeletion" finalizer has its
//     blocking dependents deleted, and once they are gone, the finalizer;
//   - any other object with owners is deleted if none of them is left.
func (gc *Collector) sync(ctx context.Context, uid string) error {
	n, ok := gc.graph.get(uid)
	switch {
	case !ok:
		return nil
	case !n.observed:
		return gc.checkVirtual(ctx, n)
	case n.deleting && (n.orphan || n.foreground):
		if !gc.mon.synced() {
			// A dependent not listed yet would be missed.
			gc.queue.AddAfter(uid, notSyncedDelay)
			return nil
		}
		if n.orphan {
			if err := gc.orphanDependents(ctx, n); err != nil {
				return err
			}
		}
		if n.foreground {
			return gc.deleteDependentsFirst(ctx, n)
		}
		return nil
	case n.deleting:
		return nil
	case len(n.owners) > 0:
		return gc.collect(ctx, n)
	}
	return nil
}

// checkVirtual asks the apiserver whether a virtual owner exists.
func (gc *Collector) checkVirtual(ctx context.Context, n nodeView) error {
	res, ns, err := gc.locate(n.ref.APIVersion, n.ref.Kind, n.ref.Namespace)
	if errors.Is(err, errNoNamespace) {
		return nil
	}
	if err != nil {
		return err
	}
	_, found, err := gc.fetch(ctx, res, ns, n.ref)
	if err != nil {
		return err
	}
	if !found {
		gc.enqueue(gc.graph.removeVirtual(n.ref.UID))
	}
	return nil
}

// collect deletes a dependent whose owners are gone, or removes from it the
// references to owners that are gone while another owner remains. Every owner
// is read from the apiserver first: the graph missing one proves nothing.
func (gc *Collector) collect(ctx context.Context, n nodeView) error {
	res, ns, err := gc.locate(n.ref.APIVersion, n.ref.Kind, n.ref.Namespace)
	if err != nil {
		return err
	}
	latest, found, err := gc.fetch(ctx, res, ns, n.ref)
	if err != nil || !found || latest.DeletionTimestamp != nil || len(latest.OwnerReferences) == 0 {
		return err
	}
	verdicts := make([]verdict, 0, len(latest.OwnerReferences))
	for _, o := range latest.OwnerReferences {
		st, err := gc.ownerState(ctx, o, latest.Namespace)
		if err != nil {
			return fmt.Errorf("owner %s %s of %s: %w", o.Kind, o.Name, describe(n.ref), err)
		}
		verdicts = append(verdicts, verdict{ref: o, state: st})
	}
	p := planDependent(verdicts, len(n.dependents) > 0, latest.Finalizers)
	switch p.op {
	case opRemoveOwnerRefs:
		refs, _ := withoutOwners(latest.OwnerReferences, p.owners...)
		gc.log.Info("removing references to owners that are gone or deleting their dependents", "object", describe(n.ref), "owners", p.owners)
		return gc.patchMetadata(ctx, res, ns, latest, "ownerReferences", orNull(refs))
	case opDelete:
		gc.log.Info("deleting an object whose owners are gone", "object", describe(n.ref), "propagationPolicy", p.policy)
		return gc.delete(ctx, res, ns, latest, p.policy)
	}
	return nil
}

// ownerState reads one owner of a dependent in namespace.
func (gc *Collector) ownerState(ctx context.Context, o api.OwnerReference, namespace string) (ownerState, error) {
	res, ns, err := gc.locate(o.APIVersion, o.Kind, namespace)
	if errors.Is(err, errNoNamespace) {
		return ownerPresent, nil
	}
	if err != nil {
		return 0, err
	}
	owner, found, err := gc.fetch(ctx, res, ns, objectRef{UID: o.UID, Name: o.Name})
	switch {
	case err != nil:
		return 0, err
	case !found:
		return ownerAbsent, nil
	case owner.DeletionTimestamp != nil && slices.Contains(owner.Finalizers, api.FinalizerDeleteDependents):
		return ownerDeletingDependents, nil
	}
	return ownerPresent, nil
}

// orphanDependents removes the references to n from its dependents.
func (gc *Collector) orphanDependents(ctx context.Context, n nodeView) error {
	for _, d := range n.dependents {
		res, ns, err := gc.locate(d.ref.APIVersion, d.ref.Kind, d.ref.Namespace)
		if err != nil {
			return err
		}
		latest, found, err := gc.fetch(ctx, res, ns, d.ref)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		refs, changed := withoutOwners(latest.OwnerReferences, n.ref.UID)
		if !changed {
			continue
		}
		if err := gc.patchMetadata(ctx, res, ns, latest, "ownerReferences", orNull(refs)); err != nil {
			return fmt.Errorf("orphan %s: %w", describe(d.ref), err)
		}
	}
	gc.log.Info("orphaned the dependents of an object", "object", describe(n.ref), "dependents", len(n.dependents))
	return gc.removeFinalizer(ctx, n.ref, api.FinalizerOrphanDependents)
}

// deleteDependentsFirst deletes the dependents that block n's deletion, and
// once none is left, removes n's foregroundDeletion finalizer so n can go.
func (gc *Collector) deleteDependentsFirst(ctx context.Context, n nodeView) error {
	blocking := blockingDependents(n)
	if len(blocking) == 0 {
		gc.log.Info("dependents deleted; letting the owner go", "object", describe(n.ref))
		return gc.removeFinalizer(ctx, n.ref, api.FinalizerDeleteDependents)
	}
	// Each is queued again whenever a blocking dependent changes or goes.
	for _, d := range blocking {
		if !d.deletingDependents {
			gc.queue.Add(d.ref.UID)
		}
	}
	return nil
}

// locate finds the resource of the objects of a kind, and the namespace to
// look for one named from an object in namespace.
func (gc *Collector) locate(apiVersion, kind, namespace string) (metadata.Resource, string, error) {
	res, ok := gc.mon.resolve(apiVersion, kind)
	if !ok {
		return res, "", fmt.Errorf("garbagecollector: the server serves no kind %s in %s", kind, apiVersion)
	}
	if !res.Namespaced {
		return res, "", nil
	}
	if namespace == "" {
		return res, "", errNoNamespace
	}
	return res, namespace, nil
}

// fetch reads the object ref names; found is false if it is gone, or if
// another object (another UID) has its name now.
func (gc *Collector) fetch(ctx context.Context, res metadata.Resource, ns string, ref objectRef) (*metadata.Object, bool, error) {
	obj, err := metadata.For(gc.client, res.GVR, ns).Get(ctx, ref.Name)
	switch {
	case api.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case obj.UID != ref.UID:
		return nil, false, nil
	}
	return obj, true, nil
}

// delete deletes obj if it is still the object with its UID; an object gone
// or replaced meanwhile is not an error.
func (gc *Collector) delete(ctx context.Context, res metadata.Resource, ns string, obj *metadata.Object, policy string) error {
	uid := obj.UID
	opts := &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}, PropagationPolicy: &policy}
	err := metadata.For(gc.client, res.GVR, ns).Delete(ctx, obj.Name, opts)
	if api.IsNotFound(err) || api.IsConflict(err) {
		return nil
	}
	return err
}

// removeFinalizer removes finalizer from the object ref names.
func (gc *Collector) removeFinalizer(ctx context.Context, ref objectRef, finalizer string) error {
	res, ns, err := gc.locate(ref.APIVersion, ref.Kind, ref.Namespace)
	if err != nil {
		return err
	}
	latest, found, err := gc.fetch(ctx, res, ns, ref)
	if err != nil || !found {
		return err
	}
	rest, had := without(latest.Finalizers, finalizer)
	if !had {
		return nil
	}
	return gc.patchMetadata(ctx, res, ns, latest, "finalizers", orNull(rest))
}

// patchMetadata sets one metadata field of obj with a merge patch that holds
// only if obj has not changed since it was read: otherwise the 409 is
// returned, and the object is worked on again from its new state.
func (gc *Collector) patchMetadata(ctx context.Context, res metadata.Resource, ns string, obj *metadata.Object, field string, value any) error {
	data, err := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": obj.ResourceVersion, field: value}})
	if err != nil {
		return err
	}
	_, err = metadata.For(gc.client, res.GVR, ns).Patch(ctx, obj.Name, client.MergePatch, data, "")
	if api.IsNotFound(err) {
		return nil
	}
	return err
}

// orNull returns list, or nil (JSON null, which a merge patch reads as
// "remove the field") if it is empty.
func orNull[T any](list []T) any {
	if len(list) == 0 {
		return nil
	}
	return list
}

// describe names an object in logs and errors: "ReplicaSet default/web".
func describe(ref objectRef) string {
	if ref.Namespace == "" {
		return ref.Kind + " " + ref.Name
	}
	return ref.Kind + " " + ref.Namespace + "/" + ref.Name
}
