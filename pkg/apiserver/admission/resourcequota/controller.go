package resourcequota

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client/workqueue"
)

// ObjectLister lists the stored objects of one resource in a namespace, for
// recomputing usage.
type ObjectLister interface {
	ListObjects(ctx context.Context, namespace, plural, group string) ([]api.Object, error)
}

// Controller keeps each quota's status.used equal to the usage of what is stored.
// Enqueue a namespace when something in it was deleted, a pod finished, or a
// quota changed; Run also resyncs every namespace with quotas periodically.
type Controller struct {
	store   Store
	objects ObjectLister
	queue   *workqueue.Queue[string]
	log     *slog.Logger
	// Namespaces lists the namespaces that have quotas, for the periodic resync.
	namespaces func() []string
}

// NewController returns a controller; namespaces lists the namespaces that have quotas.
func NewController(s Store, objects ObjectLister, namespaces func() []string, log *slog.Logger) *Controller {
	return &Controller{store: s, objects: objects, namespaces: namespaces, log: log,
		queue: workqueue.New[string](workqueue.Options{Name: "resourcequota"})}
}

// Enqueue asks for the quotas of namespace to be recomputed.
func (c *Controller) Enqueue(namespace string) { c.queue.Add(namespace) }

// Run works the queue until ctx ends, resyncing every namespace each period.
func (c *Controller) Run(ctx context.Context, period time.Duration) {
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				c.queue.ShutDown()
				return
			case <-t.C:
				for _, ns := range c.namespaces() {
					c.queue.Add(ns)
				}
			}
		}
	}()
	for {
		ns, ok := c.queue.Get(ctx)
		if !ok {
			return
		}
		if err := c.sync(ctx, ns); err != nil && ctx.Err() == nil {
			c.log.Warn("recomputing quota usage failed; will retry", "namespace", ns, "err", err)
			c.queue.AddRateLimited(ns)
		} else {
			c.queue.Forget(ns)
		}
		c.queue.Done(ns)
	}
}

// sync recomputes every quota of a namespace from the stored objects.
func (c *Controller) sync(ctx context.Context, namespace string) error {
	quotas, err := c.store.ListQuotas(ctx, namespace)
	if err != nil {
		return err
	}
	for _, q := range quotas {
		if err := c.syncQuota(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) syncQuota(ctx context.Context, q *api.ResourceQuota) error {
	used := api.ResourceList{}
	listed := map[string]bool{}
	for name := range q.Spec.Hard {
		plural, group := resourceOf(name)
		if listed[plural+"."+group] {
			continue
		}
		listed[plural+"."+group] = true
		objs, err := c.objects.ListObjects(ctx, q.Namespace, plural, group)
		if err != nil {
			return err
		}
		for _, o := range objs {
			used = Add(used, Mask(Usage(plural, group, o), q.Spec.Hard))
		}
	}
	used = Mask(used, q.Spec.Hard)
	if Equal(used, q.Status.Used) && Equal(q.Spec.Hard, q.Status.Hard) {
		return nil
	}
	next := api.DeepCopy(q)
	next.Status = api.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: used}
	_, err := c.store.UpdateStatus(ctx, next)
	if api.IsConflict(err) {
		c.queue.Add(q.Namespace) // someone charged it meanwhile: compute again
		return nil
	}
	return err
}

// resourceOf says which objects count toward a quota resource name.
func resourceOf(name string) (plural, group string) {
	switch name {
	case api.ResourcePods, api.ResourceCPU, api.ResourceMemory, api.ResourceRequestsCPU,
		api.ResourceRequestsMemory, api.ResourceLimitsCPU, api.ResourceLimitsMemory:
		return "pods", ""
	}
	if rest, ok := strings.CutPrefix(name, "count/"); ok {
		plural, group, _ = strings.Cut(rest, ".")
		return plural, group
	}
	return name, ""
}
