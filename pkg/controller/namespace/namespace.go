// Package namespace is the namespace controller: it empties a namespace that
// is being deleted. The apiserver marks a deleted namespace Terminating and
// keeps it while its spec.finalizers hold "kubernetes"; this controller
// deletes every namespaced object in it (every resource discovery shows),
// waits until they are gone (pods on nodes wait for their node agents),
// reports progress in status.conditions, and then removes "kubernetes"
// through the namespaces/{name}/finalize subresource, after which the
// apiserver removes the namespace.
package namespace

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "namespace"

// Workers is how many namespaces are emptied at once.
const Workers = 5

// maxWait bounds how long a namespace whose content is being deleted
// gracefully waits before it is looked at again (a pod deletion wakes it
// sooner).
const maxWait = time.Minute

// errContentRemaining asks the worker to look again, with back-off, at a
// namespace whose content is not all gone yet (finalizers hold some).
var errContentRemaining = errors.New("namespace: content remains")

// Controller is the namespace controller.
type Controller struct {
	client     *client.Client
	namespaces *client.Informer[*api.Namespace]
	queue      *workqueue.Queue[string] // of namespace names
	metrics    *controller.Metrics
	baseLog    *slog.Logger // for controller.Worker, which adds the controller's name
	log        *slog.Logger
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller on the shared Namespace and Pod informers; the
// pods only tell it when a namespace being emptied may have become empty.
func New(c *controller.Context) (*Controller, error) {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	nc := &Controller{client: c.Client, namespaces: c.Informers.Namespaces(), queue: controller.NewQueue(Name),
		metrics: c.Metrics, baseLog: log, log: log.With("controller", Name)}
	enqueue := func(ns *api.Namespace) {
		if ns.DeletionTimestamp != nil {
			nc.queue.Add(ns.Name)
		}
	}
	nc.namespaces.AddHandler(client.Handler[*api.Namespace]{
		OnAdd:    enqueue,
		OnUpdate: func(_, ns *api.Namespace) { enqueue(ns) },
	})
	c.Informers.Pods().AddHandler(client.Handler[*api.Pod]{
		OnDelete: func(p *api.Pod) {
			if ns, ok := nc.namespaces.Get(p.Namespace); ok {
				enqueue(ns)
			}
		},
	})
	return nc, nil
}

// Name implements controller.Controller.
func (nc *Controller) Name() string { return Name }

// Run works until ctx ends, and then returns nil.
func (nc *Controller) Run(ctx context.Context) error {
	nc.log.Info("starting", "workers", Workers)
	controller.Worker(ctx, Name, nc.queue, Workers, nc.metrics, nc.baseLog, nc.reconcile)
	return nil
}

// reconcile empties one namespace being deleted, from its current state.
func (nc *Controller) reconcile(ctx context.Context, name string) error {
	if cached, ok := nc.namespaces.Get(name); !ok || cached.DeletionTimestamp == nil {
		return nil
	}
	ns, err := client.Namespaces(nc.client).Get(ctx, name)
	if api.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ours := slices.Contains(ns.Spec.Finalizers, api.FinalizerKubernetes)
	if ns.DeletionTimestamp == nil || (!ours && len(ns.Spec.Finalizers) > 0) {
		return nil // not being deleted, or waiting for other spec finalizers
	}
	content := nc.deleteContent(ctx, name)
	if ns, err = nc.setConditions(ctx, ns, conditions(content)); err != nil {
		return err
	}
	if err := content.err(); err != nil {
		return err
	}
	if len(content.remaining) > 0 {
		if content.wait > 0 {
			nc.queue.AddAfter(name, min(content.wait+time.Second, maxWait))
			return nil
		}
		return errContentRemaining
	}
	if !ours {
		// Created before the apiserver gave namespaces the finalizer: finish
		// the delete that marked it.
		uid := ns.UID
		err := client.Namespaces(nc.client).Delete(ctx, name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
		if api.IsNotFound(err) || api.IsConflict(err) {
			return nil
		}
		return err
	}
	return nc.finalize(ctx, ns)
}

// finalize removes the "kubernetes" finalizer through namespaces/{name}/finalize.
func (nc *Controller) finalize(ctx context.Context, ns *api.Namespace) error {
	ns = api.DeepCopy(ns)
	ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f string) bool { return f == api.FinalizerKubernetes })
	err := nc.client.Do(ctx, client.Request{Method: "PUT", Path: client.NamespacesGVR.Path("", ns.Name, "finalize"), Body: ns})
	if api.IsNotFound(err) {
		return nil
	}
	if err == nil {
		nc.log.Info("namespace emptied; removed its finalizer", "namespace", ns.Name)
	}
	return err
}

// setConditions writes the deletion conditions to the namespace's status if
// they changed, and returns the namespace as it is now.
func (nc *Controller) setConditions(ctx context.Context, ns *api.Namespace, conds []api.NamespaceCondition) (*api.Namespace, error) {
	merged, changed := mergeConditions(ns.Status.Conditions, conds, api.Now())
	if !changed {
		return ns, nil
	}
	ns = api.DeepCopy(ns)
	ns.Status.Conditions = merged
	ns.Status.Phase = api.NamespaceTerminating
	return client.Namespaces(nc.client).UpdateStatus(ctx, ns)
}
