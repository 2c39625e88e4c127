package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/controller/garbagecollector/metadata"
)

// content is what one pass over a namespace's objects did and found.
type content struct {
	// discoveryErr: some API groups could not be read, so their objects may
	// remain unseen.
	discoveryErr error
	// deleteErrs: resources whose objects could not be listed or deleted.
	deleteErrs []error
	// remaining counts the objects left, by resource ("pods", "replicasets.apps").
	remaining map[string]int
	// finalizers counts the objects left, by finalizer they carry.
	finalizers map[string]int
	// wait is how long until the last graceful deletion should be over.
	wait time.Duration
}

func (c content) err() error {
	return errors.Join(append([]error{c.discoveryErr}, c.deleteErrs...)...)
}

// deleteContent deletes every object in namespace (deletecollection per
// resource, or one by one where that is not served) and counts what is left:
// objects with finalizers, and pods their node agents have not yet stopped.
func (nc *Controller) deleteContent(ctx context.Context, namespace string) content {
	resources, err := metadata.Discover(ctx, nc.client)
	c := content{discoveryErr: err, remaining: map[string]int{}, finalizers: map[string]int{}}
	for _, res := range resources {
		if !res.Namespaced || !res.Supports("list") || !(res.Supports("deletecollection") || res.Supports("delete")) {
			continue
		}
		left, err := deleteAll(ctx, metadata.For(nc.client, res.GVR, namespace), res)
		if err != nil {
			c.deleteErrs = append(c.deleteErrs, fmt.Errorf("%s: %w", res, err))
		}
		for _, obj := range left {
			c.remaining[res.String()]++
			for _, f := range obj.Finalizers {
				c.finalizers[f]++
			}
			if t := obj.DeletionTimestamp; t != nil {
				c.wait = max(c.wait, time.Until(t.Time))
			}
		}
	}
	return c
}

// deleteAll deletes the objects r lists that are not being deleted yet, and
// returns those still there afterwards.
func deleteAll(ctx context.Context, r *client.Resource[*metadata.Object], res metadata.Resource) ([]*metadata.Object, error) {
	list, err := r.List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(list.Items, func(o *metadata.Object) bool { return o.DeletionTimestamp == nil }) {
		return list.Items, nil
	}
	if res.Supports("deletecollection") {
		err = r.DeleteCollection(ctx, client.ListOptions{})
	} else {
		for _, o := range list.Items {
			if o.DeletionTimestamp != nil {
				continue
			}
			uid := o.UID
			e := r.Delete(ctx, o.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
			if e != nil && !api.IsNotFound(e) && !api.IsConflict(e) {
				err = errors.Join(err, e)
			}
		}
	}
	if err != nil {
		return list.Items, err
	}
	if list, err = r.List(ctx, client.ListOptions{}); err != nil {
		return nil, err
	}
	return list.Items, nil
}
