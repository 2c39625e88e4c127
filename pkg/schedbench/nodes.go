package schedbench

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// createNodes registers the run's N nodes with a worker pool and returns the
// name of the one written last (highest resourceVersion), the node a scheduler's
// cache learns of last. A server that drops status on create gets it through
// nodes/NAME/status.
func (r *run) createNodes(ctx context.Context, c *client.Client) (string, error) {
	nodes := client.Nodes(c)
	var mu sync.Mutex
	var last string
	var lastRV uint64
	err := parallel(ctx, r.cfg.Nodes, r.cfg.Workers, func(ctx context.Context, i int) error {
		name := r.nodeName(i)
		want := r.node(name)
		got, err := nodes.Create(ctx, want)
		if err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
		if len(got.Status.Allocatable) == 0 {
			got.Status = want.Status
			if got, err = nodes.UpdateStatus(ctx, got); err != nil {
				return fmt.Errorf("set status of node %s: %w", name, err)
			}
		}
		// resourceVersions are opaque; every server measured so far uses etcd
		// revisions. One that does not parse counts as the latest.
		rv, perr := strconv.ParseUint(got.ResourceVersion, 10, 64)
		mu.Lock()
		if perr != nil || rv >= lastRV {
			last, lastRV = name, rv
		}
		mu.Unlock()
		return nil
	})
	return last, err
}

// deleteNodes deletes the run's nodes by label in one call, or one by one if the
// server refuses that.
func (r *run) deleteNodes(ctx context.Context, c *client.Client) error {
	nodes := client.Nodes(c)
	if err := nodes.DeleteCollection(ctx, client.ListOptions{LabelSelector: RunLabel + "=" + r.id}); err == nil {
		return nil
	}
	return parallel(ctx, r.cfg.Nodes, r.cfg.Workers, func(ctx context.Context, i int) error {
		if err := nodes.Delete(ctx, r.nodeName(i), nil); err != nil && !api.IsNotFound(err) {
			return fmt.Errorf("delete node %s: %w", r.nodeName(i), err)
		}
		return nil
	})
}
