package apiserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/protobuf"
	"skiff/pkg/storage"
)

// deleteOptions reads DeleteOptions from the body (as kubectl sends them) or from
// query parameters (as curl users do), and checks them.
func deleteOptions(r *http.Request) (*api.DeleteOptions, error) {
	opts := &api.DeleteOptions{}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, api.NewBadRequest("could not read the request body: " + err.Error())
	}
	if len(data) > MaxBodyBytes {
		return nil, api.NewRequestEntityTooLarge(fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes))
	}
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); {
	case len(bytes.TrimSpace(data)) == 0:
	case mt == protobuf.ContentType:
		if _, _, err := protobuf.Decode(data, opts); err != nil {
			return nil, api.NewBadRequest("the body is not valid DeleteOptions: " + err.Error())
		}
	default:
		if err := yaml.Unmarshal(data, opts); err != nil {
			return nil, api.NewBadRequest("the body is not valid DeleteOptions: " + err.Error())
		}
	}
	q := r.URL.Query()
	if v := q.Get("gracePeriodSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, api.NewBadRequest(fmt.Sprintf("gracePeriodSeconds %q must be an integer", v))
		}
		opts.GracePeriodSeconds = &n
	}
	if v := q.Get("propagationPolicy"); v != "" {
		opts.PropagationPolicy = &v
	}
	if v := q.Get("orphanDependents"); v != "" {
		b := v == "true"
		opts.OrphanDependents = &b
	}
	var errs api.FieldErrors
	if opts.GracePeriodSeconds != nil && *opts.GracePeriodSeconds < 0 {
		errs = append(errs, api.Invalid(api.NewPath("gracePeriodSeconds"), *opts.GracePeriodSeconds, "must be greater than or equal to 0"))
	}
	if p := opts.PropagationPolicy; p != nil {
		if !slices.Contains([]string{api.DeletePropagationOrphan, api.DeletePropagationBackground, api.DeletePropagationForeground}, *p) {
			errs = append(errs, api.NotSupported(api.NewPath("propagationPolicy"), *p,
				[]string{api.DeletePropagationForeground, api.DeletePropagationBackground, api.DeletePropagationOrphan}))
		}
		if opts.OrphanDependents != nil {
			errs = append(errs, api.Invalid(api.NewPath("propagationPolicy"), *p, "orphanDependents and deletionPropagation cannot be both set"))
		}
	}
	for _, d := range opts.DryRun {
		if d != "All" {
			errs = append(errs, api.NotSupported(api.NewPath("dryRun"), d, []string{"All"}))
		}
	}
	if len(errs) > 0 {
		return nil, api.NewInvalid("DeleteOptions", "", errs)
	}
	return opts, nil
}

// gcFinalizers returns the finalizers an object keeps when it is deleted with
// opts. The propagation policy is recorded for the garbage collector as a
// finalizer: Orphan as "orphan", Foreground as "foregroundDeletion". A policy
// replaces the one an earlier delete recorded; a delete without one keeps it
// (Kubernetes' deletionFinalizersForGarbageCollection).
func gcFinalizers(have []string, opts *api.DeleteOptions) []string {
	orphan := slices.Contains(have, api.FinalizerOrphanDependents)
	foreground := slices.Contains(have, api.FinalizerDeleteDependents)
	switch {
	case opts.OrphanDependents != nil:
		orphan, foreground = *opts.OrphanDependents, false
	case opts.PropagationPolicy != nil:
		orphan = *opts.PropagationPolicy == api.DeletePropagationOrphan
		foreground = *opts.PropagationPolicy == api.DeletePropagationForeground
	}
	out := slices.DeleteFunc(slices.Clone(have), func(f string) bool {
		return (f == api.FinalizerOrphanDependents && !orphan) || (f == api.FinalizerDeleteDependents && !foreground)
	})
	if orphan && !slices.Contains(out, api.FinalizerOrphanDependents) {
		out = append(out, api.FinalizerOrphanDependents)
	}
	if foreground && !slices.Contains(out, api.FinalizerDeleteDependents) {
		out = append(out, api.FinalizerDeleteDependents)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (c *call) delete(w http.ResponseWriter, r *http.Request) {
	opts, err := deleteOptions(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry, err := dryRun(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry = dry || len(opts.DryRun) > 0
	obj, deleted, err := c.deleteOne(r.Context(), c.info.Name, opts, dry)
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	if !deleted || c.res.GracefulDelete != nil {
		// Still there (graceful deletion or finalizers), or a kind that returns
		// the object: answer with it, as Kubernetes does.
		writeObject(w, r, http.StatusOK, obj)
		return
	}
	m := obj.GetObjectMeta()
	writeObject(w, r, http.StatusOK, api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   api.StatusSuccess,
		Details:  &api.StatusDetails{Name: m.Name, Group: c.res.Group, Kind: c.res.Plural, UID: m.UID},
	})
}

// deleteOne deletes one object, or marks it for deletion when finalizers or a
// grace period keep it for now. deleted reports whether it is gone.
func (c *call) deleteOne(ctx context.Context, name string, opts *api.DeleteOptions, dry bool) (obj api.Object, deleted bool, err error) {
	var pre *storage.Preconditions
	if p := opts.Preconditions; p != nil {
		pre = &storage.Preconditions{}
		if p.UID != nil {
			pre.UID = *p.UID
		}
		if p.ResourceVersion != nil {
			pre.ResourceVersion = *p.ResourceVersion
		}
	}
	key := c.key(name)
	for {
		cur, err := c.store.Get(ctx, key)
		if err != nil {
			return nil, false, err
		}
		if err := storage.CheckPreconditions(pre, cur); err != nil {
			return nil, false, err
		}
		m := cur.GetObjectMeta()
		attrs := &admission.Attributes{Operation: admission.Delete, Kind: c.res.Kind, Group: c.res.Group, Version: c.res.Version,
			Resource: c.res.Plural, Namespace: m.Namespace, Name: m.Name, OldObject: cur, User: c.user, DryRun: dry}
		if err := c.s.admission.Validate(ctx, attrs); err != nil {
			return nil, false, err
		}
		finalizers := gcFinalizers(m.Finalizers, opts)
		if ns, ok := cur.(*api.Namespace); ok && (ns.DeletionTimestamp == nil || len(ns.Spec.Finalizers) > 0) {
			out, err := c.terminateNamespace(ctx, key, ns, finalizers, dry)
			if errors.Is(err, storage.ErrConflict) {
				continue
			}
			return out, false, err
		}
		grace, graceful := int64(0), false
		if c.res.GracefulDelete != nil {
			grace, graceful = c.res.GracefulDelete(cur, opts.GracePeriodSeconds)
			if m.DeletionGracePeriodSeconds != nil && *m.DeletionGracePeriodSeconds < grace {
				grace = *m.DeletionGracePeriodSeconds // a delete may shorten the grace period, never extend it
			}
		}
		if len(finalizers) == 0 && !graceful {
			if dry {
				return cur, true, nil
			}
			// Delete only the state we decided on; if it changed, decide again.
			gone, err := c.store.Delete(ctx, key, &storage.Preconditions{ResourceVersion: m.ResourceVersion}, nil)
			if errors.Is(err, storage.ErrConflict) {
				continue
			}
			return gone, err == nil, err
		}
		// Mark for deletion: set deletionTimestamp (now plus the grace period) once,
		// record the propagation policy as a finalizer.
		mark := func(o api.Object) (api.Object, error) {
			om := o.GetObjectMeta()
			if om.ResourceVersion != m.ResourceVersion {
				return nil, storage.ErrConflict
			}
			om.Finalizers = finalizers
			if om.DeletionTimestamp == nil || graceful {
				t := api.NewTime(now().Add(time.Duration(grace) * time.Second).UTC().Truncate(time.Second))
				if om.DeletionTimestamp == nil || t.Before(om.DeletionTimestamp.Time) {
					om.DeletionTimestamp = &t
				}
				om.DeletionGracePeriodSeconds = &grace
			}
			return o, nil
		}
		if dry {
			out, err := mark(cur)
			return out, false, err
		}
		out, err := c.store.GuaranteedUpdate(ctx, key, nil, mark)
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		return out, false, err
	}
}

func (c *call) deleteCollection(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	opts, err := deleteOptions(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry, err := dryRun(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	sel, err := c.parseSelection(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	if c.res.Namespaced && c.info.Namespace == "" {
		c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural), c.res)
		return
	}
	list, err := c.store.List(ctx, sel.prefix, storage.ListOptions{Predicate: sel.pred})
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	items := make([]api.Object, 0, len(list.Items))
	for _, item := range list.Items {
		out, _, err := c.deleteOne(ctx, item.GetObjectMeta().Name, opts, dry || len(opts.DryRun) > 0)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			c.s.writeError(w, r, err, c.res, item.GetObjectMeta().Name)
			return
		}
		items = append(items, out)
	}
	writeObject(w, r, http.StatusOK, &api.List[api.Object]{
		TypeMeta: api.TypeMeta{Kind: c.res.Kind + "List", APIVersion: c.res.GroupVersion()},
		ListMeta: api.ListMeta{ResourceVersion: strconv.FormatUint(list.ResourceVersion, 10)},
		Items:    items,
	})
}
