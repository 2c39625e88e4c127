// Package garbagecollector is the garbage collector of the controller-manager:
// it deletes objects whose owners (metadata.ownerReferences) are all gone, and
// carries out the Foreground and Orphan propagation policies that the
// apiserver records as the "foregroundDeletion" and "orphan" finalizers. It
// watches every resource discovery shows, by metadata only, and keeps a graph
// from owners to dependents by UID; see README.md.
package garbagecollector

import (
	"context"
	"log/slog"
	"time"

	"skiff/pkg/client"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
	"skiff/pkg/controller/garbagecollector/metadata"
)

// Name is the controller's name in --controllers.
const Name = "garbagecollector"

// Defaults.
const (
	// DiscoveryPeriod is how often the collector reads discovery again to
	// watch resources that appeared (and stop watching those that went).
	DiscoveryPeriod = 30 * time.Second
	// Workers is how many objects are worked on at once.
	Workers = 10
	// discoveryRetry is how soon a failed discovery is tried again.
	discoveryRetry = 2 * time.Second
	// notSyncedDelay is how long an owner whose dependents may not all be
	// known yet waits before it is looked at again.
	notSyncedDelay = 250 * time.Millisecond
)

// Collector is the garbage collector.
type Collector struct {
	client  *client.Client
	baseLog *slog.Logger // for controller.Worker, which adds the controller's name
	log     *slog.Logger
	metrics *controller.Metrics
	queue   *workqueue.Queue[string] // of UIDs
	graph   *graph
	mon     *monitors
}

var _ controller.Controller = (*Collector)(nil)

// New builds the collector. It uses no shared informer: Run starts its own,
// one per resource, by metadata only.
func New(c *controller.Context) (*Collector, error) {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	gc := &Collector{client: c.Client, baseLog: log, log: log.With("controller", Name), metrics: c.Metrics, queue: controller.NewQueue(Name), graph: newGraph()}
	gc.mon = &monitors{c: c.Client, log: gc.log, handler: gc.handler}
	return gc, nil
}

// Name implements controller.Controller.
func (gc *Collector) Name() string { return Name }

// Run discovers the resources, watches them, and works until ctx ends; it reads
// discovery again every DiscoveryPeriod. It returns nil when ctx ends.
func (gc *Collector) Run(ctx context.Context) error {
	gc.log.Info("starting", "workers", Workers, "discoveryPeriod", DiscoveryPeriod)
	done := make(chan struct{})
	go func() {
		defer close(done)
		controller.Worker(ctx, Name, gc.queue, Workers, gc.metrics, gc.baseLog, gc.sync)
	}()
	for {
		next := DiscoveryPeriod
		if !gc.discover(ctx) {
			next = discoveryRetry
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			<-done
			gc.mon.wait()
			return nil
		case <-t.C:
		}
	}
}

// discover reads discovery and starts or stops informers to match. It reports
// whether discovery read every group.
func (gc *Collector) discover(ctx context.Context) bool {
	resources, err := metadata.Discover(ctx, gc.client)
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		gc.log.Warn("discovery failed; watching what could be read", "err", err)
	}
	started, stopped := gc.mon.update(ctx, resources, err == nil)
	if len(started) > 0 || len(stopped) > 0 {
		gc.log.Info("watching resources", "started", started, "stopped", stopped)
	}
	return err == nil
}

// handler feeds one resource's informer into the graph.
func (gc *Collector) handler(res metadata.Resource) client.Handler[*metadata.Object] {
	upsert := func(o *metadata.Object) { gc.enqueue(gc.graph.upsert(refOf(res, &o.ObjectMeta), &o.ObjectMeta)) }
	return client.Handler[*metadata.Object]{
		OnAdd:    upsert,
		OnUpdate: func(_, o *metadata.Object) { upsert(o) },
		OnDelete: func(o *metadata.Object) { gc.enqueue(gc.graph.remove(o.UID)) },
	}
}

func (gc *Collector) enqueue(uids []string) {
	for _, uid := range uids {
		gc.queue.Add(uid)
	}
}
