// Package nodelifecycle is the node lifecycle controller: it notices nodes whose
// agent stopped heartbeating and marks them Unknown, keeps the well-known
// condition taints (not-ready, unreachable, pressure, unschedulable) in line
// with node conditions, and evicts pods from nodes with NoExecute taints they do
// not tolerate, or tolerate only for a while (the "taint manager"). It follows
// the Kubernetes node lifecycle controller, without its per-zone eviction rate
// limits; see README.md.
package nodelifecycle

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "nodelifecycle"

// Event reasons.
const (
	// ReasonNodeNotReady is recorded on a node this controller marks Unknown, and
	// on each of its pods it marks not ready.
	ReasonNodeNotReady = "NodeNotReady"
	// ReasonTaintManagerEviction is recorded on a pod evicted for a NoExecute
	// taint, and on one whose scheduled eviction is cancelled.
	ReasonTaintManagerEviction = "TaintManagerEviction"
)

// eventComponent is the source of the controller's events, as in Kubernetes.
const eventComponent = "node-controller"

// podsByNode indexes the shared pod informer by spec.nodeName.
const podsByNode = "nodelifecycle/spec.nodeName"

// Controller is the node lifecycle controller.
type Controller struct {
	opts    Options
	c       *client.Client
	log     *slog.Logger // with controller=nodelifecycle
	wlog    *slog.Logger // for controller.Worker, which adds the controller's name itself
	events  *record.Recorder
	metrics *controller.Metrics

	nodes  *client.Informer[*api.Node]
	leases *client.Informer[*api.Lease]
	pods   *client.Informer[*api.Pod]

	nodeQueue  *workqueue.Queue[string] // node names: health and taints
	evictQueue *workqueue.Queue[string] // pod keys: taint-based eviction

	health    *heartbeats
	scheduled *evictions
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller and registers its informer handlers; zero options
// take the defaults. Call it before the informers start.
func New(c *controller.Context, opts Options) *Controller {
	opts = opts.withDefaults()
	ctl := &Controller{
		opts: opts, c: c.Client, log: c.Log.With("controller", Name), wlog: c.Log,
		events: c.Events.ForComponent(eventComponent), metrics: c.Metrics,
		nodes: c.Informers.Nodes(), leases: c.Informers.Leases(), pods: c.Informers.Pods(),
		nodeQueue:  controller.NewQueue(Name),
		evictQueue: controller.NewQueue(Name + "-eviction"),
		health:     newHeartbeats(),
		scheduled:  newEvictions(),
	}
	ctl.pods.AddIndex(podsByNode, func(p *api.Pod) []string {
		if p.Spec.NodeName == "" {
			return nil
		}
		return []string{p.Spec.NodeName}
	})
	ctl.nodes.AddHandler(client.Handler[*api.Node]{
		OnAdd: func(n *api.Node) { ctl.nodeQueue.Add(n.Name) },
		OnUpdate: func(old, n *api.Node) {
			ctl.nodeQueue.Add(n.Name)
			if !reflect.DeepEqual(noExecuteTaints(old.Spec.Taints), noExecuteTaints(n.Spec.Taints)) {
				ctl.enqueuePodsOn(n.Name)
			}
		},
		OnDelete: func(n *api.Node) {
			ctl.nodeQueue.Add(n.Name)
			ctl.enqueuePodsOn(n.Name)
		},
	})
	ctl.leases.AddHandler(client.Handler[*api.Lease]{
		OnAdd:    ctl.enqueueLeaseNode,
		OnUpdate: func(_, l *api.Lease) { ctl.enqueueLeaseNode(l) },
		OnDelete: ctl.enqueueLeaseNode,
	})
	ctl.pods.AddHandler(client.Handler[*api.Pod]{
		OnAdd: ctl.enqueuePod,
		OnUpdate: func(old, p *api.Pod) {
			if old.Spec.NodeName == p.Spec.NodeName && (old.DeletionTimestamp == nil) == (p.DeletionTimestamp == nil) &&
				reflect.DeepEqual(old.Spec.Tolerations, p.Spec.Tolerations) {
				return // nothing the eviction decision depends on changed
			}
			ctl.enqueuePod(p)
		},
		OnDelete: ctl.enqueuePod,
	})
	return ctl
}

// Name implements controller.Controller.
func (*Controller) Name() string { return Name }

// Run checks every node each MonitorPeriod, and on every change to a node or
// its Lease, until ctx ends; evictions run alongside.
func (ctl *Controller) Run(ctx context.Context) error {
	ctl.log.Info("starting", "monitorGracePeriod", ctl.opts.MonitorGracePeriod,
		"startupGracePeriod", ctl.opts.StartupGracePeriod, "monitorPeriod", ctl.opts.MonitorPeriod)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		ctl.monitor(ctx)
	}()
	go func() {
		defer wg.Done()
		controller.Worker(ctx, Name, ctl.nodeQueue, 2, ctl.metrics, ctl.wlog, ctl.reconcileNode)
	}()
	go func() {
		defer wg.Done()
		controller.Worker(ctx, Name+"-eviction", ctl.evictQueue, 2, ctl.metrics, ctl.wlog, ctl.reconcilePod)
	}()
	wg.Wait()
	return nil
}

// monitor queues every node now and then each MonitorPeriod: a silent node
// causes no events, so only the clock notices it.
func (ctl *Controller) monitor(ctx context.Context) {
	t := time.NewTicker(ctl.opts.MonitorPeriod)
	defer t.Stop()
	for {
		for _, n := range ctl.nodes.List() {
			ctl.nodeQueue.Add(n.Name)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (ctl *Controller) enqueueLeaseNode(l *api.Lease) {
	if l.Namespace == api.NamespaceNodeLease {
		ctl.nodeQueue.Add(l.Name)
	}
}

func (ctl *Controller) enqueuePod(p *api.Pod) {
	if p.Spec.NodeName != "" {
		ctl.evictQueue.Add(controller.KeyFunc(p))
	}
}

func (ctl *Controller) enqueuePodsOn(node string) {
	for _, p := range ctl.pods.ByIndex(podsByNode, node) {
		ctl.evictQueue.Add(controller.KeyFunc(p))
	}
}

// reconcileNode brings one node's status and taints up to date: Unknown if its
// agent went silent for longer than the grace period, taints to match its
// conditions, and its pods not ready while it is Unknown.
func (ctl *Controller) reconcileNode(ctx context.Context, name string) error {
	cached, ok := ctl.nodes.Get(name)
	if !ok {
		ctl.health.forget(name)
		return nil
	}
	now := ctl.opts.Now()
	last := ctl.health.observe(name, readyHeartbeat(cached), ctl.leaseRenewTime(name), now)
	plan := planNode(cached, last, ctl.opts, now)
	node := cached
	if plan.statusChanged {
		updated, err := client.Nodes(ctl.c).UpdateStatus(ctx, plan.node)
		if err != nil {
			return err
		}
		node = updated
		ctl.log.Info("node stopped heartbeating: conditions set to Unknown", "node", name, "silentFor", now.Sub(last).Round(time.Millisecond))
		if plan.becameNotReady {
			ctl.events.Eventf(node, "Node", "Normal", ReasonNodeNotReady, "Node %s status is now: %s", name, ReasonNodeNotReady)
		}
	}
	if plan.taintsChanged {
		cp := api.DeepCopy(node)
		cp.Spec.Taints = plan.node.Spec.Taints
		updated, err := client.Nodes(ctl.c).Update(ctx, cp)
		if err != nil {
			return err
		}
		node = updated
		ctl.log.Info("node taints updated", "node", name, "taints", taintStrings(node.Spec.Taints))
	}
	if readyStatus(&node.Status) == api.ConditionUnknown {
		return ctl.markPodsNotReady(ctx, node, now)
	}
	return nil
}

// nodePlan is what reconcileNode should write.
type nodePlan struct {
	node           *api.Node // the node as it should be; the cached object itself if nothing changes
	statusChanged  bool      // conditions set to Unknown: write status
	taintsChanged  bool      // write spec.taints
	becameNotReady bool      // Ready went from True to Unknown
}

// planNode decides, from a node and the local time of its latest heartbeat,
// whether its conditions turn Unknown (silent for longer than its grace period)
// and which taints it should then carry.
func planNode(n *api.Node, lastHeartbeat time.Time, o Options, now time.Time) nodePlan {
	p := nodePlan{node: n}
	if now.Sub(lastHeartbeat) > o.gracePeriod(n) {
		cp := api.DeepCopy(n)
		if markUnknown(&cp.Status, now) {
			p.statusChanged = true
			p.becameNotReady = readyStatus(&n.Status) == api.ConditionTrue
			p.node = cp
		}
	}
	if taints, changed := reconcileTaints(p.node, now); changed {
		if p.node == n {
			p.node = api.DeepCopy(n)
		}
		p.node.Spec.Taints = taints
		p.taintsChanged = true
	}
	return p
}

// readyHeartbeat is the Ready condition's lastHeartbeatTime (zero without one).
func readyHeartbeat(n *api.Node) time.Time {
	if c := condition(&n.Status, api.NodeReady); c != nil {
		return c.LastHeartbeatTime.Time
	}
	return time.Time{}
}

// leaseRenewTime is the renewTime of the node's Lease in kube-node-lease (zero
// without one).
func (ctl *Controller) leaseRenewTime(node string) time.Time {
	l, ok := ctl.leases.Get(api.NamespaceNodeLease + "/" + node)
	if !ok || l.Spec.RenewTime == nil {
		return time.Time{}
	}
	return l.Spec.RenewTime.Time
}

func taintStrings(ts []api.Taint) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Key + ":" + t.Effect
	}
	return out
}
