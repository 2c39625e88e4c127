package containerd

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/containerd/containerd/content"
	"github.com/containerd/containerd/images"
	"github.com/containerd/containerd/leases"
	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/errdefs"
)

// RemoveAll removes everything this runtime's namespace holds and the
// namespace itself: containers (killed), sandboxes, images, snapshots, content,
// leases and the cgroups under CgroupParent. It is for tests and for resetting
// a node; the Runtime can be closed afterwards but not used.
func (r *Runtime) RemoveAll(ctx context.Context) error {
	ctx = r.nsCtx(ctx)
	var errs []error
	cs, err := r.ListContainers(ctx)
	errs = append(errs, err)
	for _, c := range cs {
		errs = append(errs, r.RemoveContainer(ctx, c.ID))
	}
	sbs, err := r.ListSandboxes(ctx)
	errs = append(errs, err)
	for _, sb := range sbs {
		errs = append(errs, r.RemoveSandbox(ctx, sb.ID))
	}
	if err := os.Remove(r.netnsDir); err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}

	is := r.client.ImageService()
	imgs, err := is.List(ctx)
	errs = append(errs, err)
	for _, img := range imgs {
		if err := is.Delete(ctx, img.Name, images.SynchronousDelete()); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	ls := r.client.LeasesService()
	lss, err := ls.List(ctx)
	errs = append(errs, err)
	for _, l := range lss {
		if err := ls.Delete(ctx, l, leases.SynchronousDelete); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, r.removeSnapshots(ctx), r.removeContent(ctx))
	errs = append(errs, r.cgroups.removeTree(r.cgroupParent))
	if err := r.client.NamespaceService().Delete(ctx, r.ns); err != nil && !errdefs.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("deleting namespace %s: %w", r.ns, err))
	}
	return errors.Join(errs...)
}

// removeSnapshots removes every snapshot, children before parents.
func (r *Runtime) removeSnapshots(ctx context.Context) error {
	sn := r.client.SnapshotService(r.snapshotter)
	for {
		var keys []string
		parents := map[string]bool{}
		err := sn.Walk(ctx, func(_ context.Context, info snapshots.Info) error {
			keys = append(keys, info.Name)
			if info.Parent != "" {
				parents[info.Parent] = true
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		removed := 0
		for _, k := range keys {
			if parents[k] {
				continue
			}
			if err := sn.Remove(ctx, k); err != nil && !errdefs.IsNotFound(err) {
				return fmt.Errorf("removing snapshot %s: %w", k, err)
			}
			removed++
		}
		if removed == 0 {
			return fmt.Errorf("snapshots left that cannot be removed: %v", keys)
		}
	}
}

// removeContent removes the namespace's references to content blobs.
func (r *Runtime) removeContent(ctx context.Context) error {
	cs := r.client.ContentStore()
	var errs []error
	err := cs.Walk(ctx, func(info content.Info) error {
		if err := cs.Delete(ctx, info.Digest); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}
