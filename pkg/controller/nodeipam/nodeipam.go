// Package nodeipam is the pod CIDR allocator: it gives every Node without a
// spec.podCIDR its own slice of the cluster CIDR (a /24 of 10.244.0.0/16 by
// default), which the node's CNI bridge hands out to its pods, and takes the
// slice back when the Node is deleted. It is Kubernetes' RangeAllocator, IPv4
// only (no dual stack).
package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "nodeipam"

// ReasonCIDRNotAvailable is the event recorded on a node that cannot get a pod
// CIDR because every one is in use.
const ReasonCIDRNotAvailable = "CIDRNotAvailable"

// eventComponent is the source of the controller's events, as in Kubernetes.
const eventComponent = "cidrAllocator"

// Controller is the pod CIDR allocator.
type Controller struct {
	opts    Options
	c       *client.Client
	log     *slog.Logger // with controller=nodeipam
	wlog    *slog.Logger // for controller.Worker, which adds the controller's name itself
	events  *record.Recorder
	metrics *controller.Metrics
	nodes   *client.Informer[*api.Node]
	queue   *workqueue.Queue[string]
	alloc   *allocator

	mu      sync.Mutex
	waiting map[string]bool // nodes told there is no CIDR left, until they get one
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller and registers its informer handler; zero options
// take the defaults, invalid ones are an error. Call it before the informers start.
func New(c *controller.Context, opts Options) (*Controller, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	_, cluster, _ := net.ParseCIDR(opts.ClusterCIDR)
	set, err := newCIDRSet(cluster, opts.NodeCIDRMaskSize)
	if err != nil {
		return nil, err
	}
	ctl := &Controller{
		opts: opts, c: c.Client, log: c.Log.With("controller", Name), wlog: c.Log,
		events: c.Events.ForComponent(eventComponent), metrics: c.Metrics,
		nodes: c.Informers.Nodes(), queue: controller.NewQueue(Name),
		alloc: newAllocator(set), waiting: map[string]bool{},
	}
	enqueue := func(n *api.Node) { ctl.queue.Add(n.Name) }
	ctl.nodes.AddHandler(client.Handler[*api.Node]{
		OnAdd:    enqueue,
		OnUpdate: func(_, n *api.Node) { enqueue(n) },
		OnDelete: enqueue,
	})
	return ctl, nil
}

// Name implements controller.Controller.
func (*Controller) Name() string { return Name }

// Run first counts the CIDRs nodes already hold, so a restart never hands one
// out twice, then assigns and releases CIDRs until ctx ends. One worker: the
// assignments are cheap, and one at a time they come out in order.
func (ctl *Controller) Run(ctx context.Context) error {
	ctl.log.Info("starting", "clusterCIDR", ctl.opts.ClusterCIDR, "nodeCIDRMaskSize", ctl.opts.NodeCIDRMaskSize,
		"nodeCIDRs", ctl.alloc.set.size())
	for _, n := range ctl.nodes.List() {
		if cidrs := nodeCIDRs(n); len(cidrs) > 0 {
			ctl.occupy(n.Name, cidrs)
		}
	}
	for _, n := range ctl.nodes.List() {
		ctl.queue.Add(n.Name)
	}
	controller.Worker(ctx, Name, ctl.queue, 1, ctl.metrics, ctl.wlog, ctl.reconcile)
	return nil
}

// reconcile records the CIDR a node holds, gives one to a node without, or
// takes back a deleted node's.
func (ctl *Controller) reconcile(ctx context.Context, name string) error {
	node, ok := ctl.nodes.Get(name)
	if !ok {
		ctl.setWaiting(name, false)
		if released := ctl.alloc.release(name); len(released) > 0 {
			ctl.log.Info("released the pod CIDR of a deleted node", "node", name, "podCIDRs", released)
			ctl.wakeWaiting()
		}
		return nil
	}
	if cidrs := nodeCIDRs(node); len(cidrs) > 0 {
		ctl.occupy(name, cidrs)
		ctl.setWaiting(name, false)
		return nil
	}
	cidr, err := ctl.alloc.allocate(name)
	if errors.Is(err, errRangeFull) {
		if ctl.setWaiting(name, true) {
			ctl.events.Eventf(node, "Node", "Warning", ReasonCIDRNotAvailable,
				"Node %s status is now: %s (all %d /%d CIDRs of %s are in use; retrying)",
				name, ReasonCIDRNotAvailable, ctl.alloc.set.size(), ctl.opts.NodeCIDRMaskSize, ctl.opts.ClusterCIDR)
			ctl.log.Warn("no pod CIDR left for a node", "node", name, "clusterCIDR", ctl.opts.ClusterCIDR)
		}
		return fmt.Errorf("node %s: %w", name, err) // retried with back-off, and at once when a CIDR is released
	}
	if err != nil {
		return err
	}
	cp := api.DeepCopy(node)
	cp.Spec.PodCIDR, cp.Spec.PodCIDRs = cidr, []string{cidr}
	if _, err := client.Nodes(ctl.c).Update(ctx, cp); err != nil {
		if api.IsNotFound(err) {
			ctl.alloc.release(name)
			return nil
		}
		// Keep the CIDR for this node: the retry assigns the same one, or finds
		// that the update did happen after all.
		return fmt.Errorf("assign pod CIDR %s to node %s: %w", cidr, name, err)
	}
	ctl.setWaiting(name, false)
	ctl.log.Info("assigned a pod CIDR", "node", name, "podCIDR", cidr)
	return nil
}

// occupy records a node's CIDRs, warning (once per change) about any outside
// the cluster CIDR: those are the admin's business, and are left alone.
func (ctl *Controller) occupy(name string, cidrs []string) {
	if err := ctl.alloc.occupy(name, cidrs); err != nil {
		ctl.log.Warn("node has a pod CIDR this allocator does not manage", "node", name, "podCIDRs", cidrs, "err", err)
	}
}

// nodeCIDRs are the node's pod CIDRs: podCIDRs, or podCIDR if only that is set.
func nodeCIDRs(n *api.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}

// setWaiting marks or unmarks a node as waiting for a free CIDR and reports
// whether that changed.
func (ctl *Controller) setWaiting(name string, waiting bool) bool {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if ctl.waiting[name] == waiting {
		return false
	}
	if waiting {
		ctl.waiting[name] = true
	} else {
		delete(ctl.waiting, name)
	}
	return true
}

// wakeWaiting queues every node waiting for a CIDR, now that one is free.
func (ctl *Controller) wakeWaiting() {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	for name := range ctl.waiting {
		ctl.queue.Add(name)
	}
}
