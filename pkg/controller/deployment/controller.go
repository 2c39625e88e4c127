// Package deployment is the Deployment controller. It rolls a Deployment's
// pods from one pod template to the next through ReplicaSets, one per
// template, named and labelled by the template's hash, as
// kube-controller-manager's deployment controller does: RollingUpdate within
// maxSurge and maxUnavailable, or Recreate; rollbacks by way of a template
// that comes back; pausing; proportional scaling mid-rollout; a revision
// history. It reports each rollout in the Deployment's status and conditions,
// so `kubectl rollout status|history|undo` work. It creates no pods: the
// ReplicaSet controller does, and reports them in the ReplicaSets' statuses,
// which is all this controller reads of them (but for Recreate, which waits
// for the old pods to be gone).
package deployment

import (
	"context"
	"log/slog"
	"maps"
	"reflect"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "deployment"

const (
	// workers is how many Deployments are synced at once, as
	// kube-controller-manager's --concurrent-deployment-syncs.
	workers = 5
	// component names the controller in the events it records.
	component = "deployment-controller"
	// namespaceIndex indexes the shared informers this controller reads by
	// namespace.
	namespaceIndex = "deployment-controller/namespace"
)

// Controller is the Deployment controller.
type Controller struct {
	client      *client.Client
	deployments *client.Informer[*api.Deployment]
	replicaSets *client.Informer[*api.ReplicaSet]
	pods        *client.Informer[*api.Pod]
	events      *record.Recorder
	metrics     *controller.Metrics
	log         *slog.Logger // with controller=deployment
	workerLog   *slog.Logger // without: the worker loop adds it
	queue       *workqueue.Queue[string]
	expected    *expectations // the ReplicaSet writes the cache has yet to show
	now         func() time.Time
}

var _ controller.Controller = (*Controller)(nil)

// New returns the controller, its handlers registered on the shared
// Deployment, ReplicaSet and Pod informers. Call it before the informers start.
func New(c *controller.Context) *Controller {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	ctl := &Controller{
		client:      c.Client,
		deployments: c.Informers.Deployments(),
		replicaSets: c.Informers.ReplicaSets(),
		pods:        c.Informers.Pods(),
		events:      c.Events.ForComponent(component),
		metrics:     c.Metrics,
		log:         log.With("controller", Name),
		workerLog:   log,
		queue:       controller.NewQueue(Name),
		expected:    newExpectations(),
		now:         time.Now,
	}
	ctl.deployments.AddIndex(namespaceIndex, byNamespace[*api.Deployment])
	ctl.replicaSets.AddIndex(namespaceIndex, byNamespace[*api.ReplicaSet])
	ctl.pods.AddIndex(namespaceIndex, byNamespace[*api.Pod])

	ctl.deployments.AddHandler(client.Handler[*api.Deployment]{
		OnAdd:    ctl.enqueue,
		OnUpdate: func(_, d *api.Deployment) { ctl.enqueue(d) },
		OnDelete: ctl.enqueue,
	})
	ctl.replicaSets.AddHandler(client.Handler[*api.ReplicaSet]{
		OnAdd:    ctl.addReplicaSet,
		OnUpdate: ctl.updateReplicaSet,
		OnDelete: ctl.deleteReplicaSet,
	})
	ctl.pods.AddHandler(client.Handler[*api.Pod]{
		OnUpdate: ctl.updatePod,
		OnDelete: ctl.deletePod,
	})
	return ctl
}

// Name implements controller.Controller.
func (c *Controller) Name() string { return Name }

// Run syncs Deployments until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	c.log.Info("starting", "workers", workers)
	controller.Worker(ctx, Name, c.queue, workers, c.metrics, c.workerLog, c.sync)
	return nil
}

func byNamespace[T api.Object](obj T) []string {
	return []string{obj.GetObjectMeta().Namespace}
}

func keyOf(d *api.Deployment) string { return controller.KeyFunc(d) }

func (c *Controller) enqueue(d *api.Deployment) { c.queue.Add(keyOf(d)) }

// ownerOf returns the cached Deployment a controller reference points to, if
// it is one and still the same object.
func (c *Controller) ownerOf(namespace string, ref *api.OwnerReference) *api.Deployment {
	if ref == nil || ref.Kind != kind {
		return nil
	}
	d, ok := c.deployments.Get(namespace + "/" + ref.Name)
	if !ok || d.UID != ref.UID {
		return nil
	}
	return d
}

// deploymentsSelecting returns the Deployments in rs's namespace whose
// selector matches it: the candidates to adopt an orphan.
func (c *Controller) deploymentsSelecting(rs *api.ReplicaSet) []*api.Deployment {
	if len(rs.Labels) == 0 {
		return nil
	}
	var out []*api.Deployment
	for _, d := range c.deployments.ByIndex(namespaceIndex, rs.Namespace) {
		sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() {
			continue
		}
		if sel.Matches(labels.Set(rs.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

func (c *Controller) addReplicaSet(rs *api.ReplicaSet) {
	if ref := controllerRefOf(&rs.ObjectMeta); ref != nil {
		if d := c.ownerOf(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
		return
	}
	for _, d := range c.deploymentsSelecting(rs) {
		c.enqueue(d)
	}
}

func (c *Controller) updateReplicaSet(old, cur *api.ReplicaSet) {
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	oldRef, curRef := controllerRefOf(&old.ObjectMeta), controllerRefOf(&cur.ObjectMeta)
	refChanged := !reflect.DeepEqual(oldRef, curRef)
	if refChanged && oldRef != nil {
		if d := c.ownerOf(old.Namespace, oldRef); d != nil {
			c.enqueue(d)
		}
	}
	if curRef != nil {
		if d := c.ownerOf(cur.Namespace, curRef); d != nil {
			c.enqueue(d)
		}
		return
	}
	if refChanged || !maps.Equal(old.Labels, cur.Labels) {
		for _, d := range c.deploymentsSelecting(cur) {
			c.enqueue(d)
		}
	}
}

func (c *Controller) deleteReplicaSet(rs *api.ReplicaSet) {
	if d := c.ownerOf(rs.Namespace, controllerRefOf(&rs.ObjectMeta)); d != nil {
		// A write to it that the cache has not shown will not be shown now.
		c.expected.forget(keyOf(d), rs.Name)
		c.enqueue(d)
	}
}

// A Recreate rollout waits for the old pods to be gone (or finished): their
// deletion, or their turning Succeeded or Failed, is worth a look.
func (c *Controller) updatePod(old, cur *api.Pod) {
	if old.Status.Phase != cur.Status.Phase && podFinished(cur) {
		c.enqueueRecreateOwner(cur)
	}
}

func (c *Controller) deletePod(p *api.Pod) { c.enqueueRecreateOwner(p) }

func podFinished(p *api.Pod) bool {
	return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
}

func (c *Controller) enqueueRecreateOwner(p *api.Pod) {
	ref := controllerRefOf(&p.ObjectMeta)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, ok := c.replicaSets.Get(p.Namespace + "/" + ref.Name)
	if !ok || rs.UID != ref.UID {
		return
	}
	if d := c.ownerOf(rs.Namespace, controllerRefOf(&rs.ObjectMeta)); d != nil && d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
		c.enqueue(d)
	}
}

// podsByOwner maps the UID of each of rss to the pods of d's namespace that it
// controls (whether or not they match d's selector: a pod of an old
// ReplicaSet still runs the old template).
func (c *Controller) podsByOwner(d *api.Deployment, rss []*api.ReplicaSet) map[string][]*api.Pod {
	out := make(map[string][]*api.Pod, len(rss))
	for _, rs := range rss {
		if rs != nil {
			out[rs.UID] = nil
		}
	}
	for _, p := range c.pods.ByIndex(namespaceIndex, d.Namespace) {
		ref := controllerRefOf(&p.ObjectMeta)
		if ref == nil {
			continue
		}
		if _, ok := out[ref.UID]; ok {
			out[ref.UID] = append(out[ref.UID], p)
		}
	}
	return out
}
