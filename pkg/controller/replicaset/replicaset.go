// Package replicaset is the ReplicaSet controller: it keeps spec.replicas
// pods running for each ReplicaSet, adopting matching orphans, releasing pods
// whose labels no longer match, creating pods from the template and deleting
// the least valuable ones, and reports the counts in the status subresource.
// It follows Kubernetes' pkg/controller/replicaset, including its
// "expectations", which keep a reconcile from acting twice on a cache that
// has not caught up with its own writes.
package replicaset

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "replicaset"

// Component is the source of the controller's events, as in Kubernetes.
const Component = "replicaset-controller"

// workers is how many ReplicaSets are reconciled at once (Kubernetes'
// --concurrent-replicaset-syncs defaults to 5).
const workers = 5

// byNamespace indexes the shared pod and ReplicaSet informers by namespace;
// the name is the controller's own, so no other controller's index collides.
const byNamespace = "replicaset/namespace"

// Controller is the ReplicaSet controller.
type Controller struct {
	client *client.Client
	pods   *client.Informer[*api.Pod]
	rsets  *client.Informer[*api.ReplicaSet]
	events *record.Recorder
	exp    *expectations
	queue  *workqueue.Queue[string]
	// now is the clock of availability and expectations.
	now     func() time.Time
	metrics *controller.Metrics
	log     *slog.Logger // with controller=replicaset
	baseLog *slog.Logger // for controller.Worker, which names the controller itself
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller and registers its handlers on the shared pod and
// ReplicaSet informers; call it before the informers start.
func New(c *controller.Context) *Controller {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	rc := &Controller{
		client:  c.Client,
		pods:    c.Informers.Pods(),
		rsets:   c.Informers.ReplicaSets(),
		events:  c.Events.ForComponent(Component),
		now:     time.Now,
		queue:   controller.NewQueue(Name),
		metrics: c.Metrics,
		log:     log.With("controller", Name),
		baseLog: log,
	}
	rc.exp = newExpectations(rc.now)
	rc.pods.AddIndex(byNamespace, func(p *api.Pod) []string { return []string{p.Namespace} })
	rc.rsets.AddIndex(byNamespace, func(rs *api.ReplicaSet) []string { return []string{rs.Namespace} })
	rc.rsets.AddHandler(client.Handler[*api.ReplicaSet]{
		OnAdd:    rc.addReplicaSet,
		OnUpdate: rc.updateReplicaSet,
		OnDelete: rc.deleteReplicaSet,
	})
	rc.pods.AddHandler(client.Handler[*api.Pod]{
		OnAdd:    rc.addPod,
		OnUpdate: rc.updatePod,
		OnDelete: rc.deletePod,
	})
	return rc
}

// Name implements controller.Controller.
func (rc *Controller) Name() string { return Name }

// Run reconciles ReplicaSets until ctx ends. The informers must have synced.
func (rc *Controller) Run(ctx context.Context) error {
	rc.log.Info("starting", "workers", workers)
	controller.Worker(ctx, Name, rc.queue, workers, rc.metrics, rc.baseLog, rc.reconcile)
	return nil
}

// The handlers only enqueue ReplicaSet keys (and keep the expectations
// current); reconcile works from the caches.

func (rc *Controller) enqueue(rs *api.ReplicaSet) { rc.queue.Add(controller.KeyFunc(rs)) }

func (rc *Controller) addReplicaSet(rs *api.ReplicaSet) { rc.enqueue(rs) }

func (rc *Controller) updateReplicaSet(old, cur *api.ReplicaSet) {
	if old.UID != cur.UID {
		// Deleted and created again between two looks: the old one's
		// expectations are void.
		rc.deleteReplicaSet(old)
	}
	rc.enqueue(cur)
}

func (rc *Controller) deleteReplicaSet(rs *api.ReplicaSet) {
	key := controller.KeyFunc(rs)
	rc.exp.forget(key)
	rc.queue.Add(key)
}

func (rc *Controller) addPod(p *api.Pod) {
	if p.DeletionTimestamp != nil {
		// Seen for the first time while already being deleted (after a
		// restart): a deletion, not a creation we are waiting for.
		rc.deletePod(p)
		return
	}
	if ref := controllerOf(&p.ObjectMeta); ref != nil {
		if rs := rc.resolve(p.Namespace, ref); rs != nil {
			key := controller.KeyFunc(rs)
			rc.exp.creationObserved(key)
			rc.queue.Add(key)
		}
		return
	}
	// An orphan: every ReplicaSet that could adopt it takes a look.
	for _, rs := range rc.selectingReplicaSets(p) {
		rc.enqueue(rs)
	}
}

func (rc *Controller) updatePod(old, cur *api.Pod) {
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	labelsChanged := !reflect.DeepEqual(old.Labels, cur.Labels)
	if cur.DeletionTimestamp != nil {
		// Marked for deletion: for us it is gone already. If its labels
		// changed too, the ReplicaSets that matched the old ones look again.
		rc.deletePod(cur)
		if labelsChanged {
			rc.deletePod(old)
		}
		return
	}
	curRef, oldRef := controllerOf(&cur.ObjectMeta), controllerOf(&old.ObjectMeta)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if rs := rc.resolve(old.Namespace, oldRef); rs != nil {
			rc.enqueue(rs)
		}
	}
	if curRef != nil {
		if rs := rc.resolve(cur.Namespace, curRef); rs != nil {
			rc.enqueue(rs)
		}
		return
	}
	if labelsChanged || refChanged {
		for _, rs := range rc.selectingReplicaSets(cur) {
			rc.enqueue(rs)
		}
	}
}

func (rc *Controller) deletePod(p *api.Pod) {
	ref := controllerOf(&p.ObjectMeta)
	if ref == nil {
		return
	}
	if rs := rc.resolve(p.Namespace, ref); rs != nil {
		key := controller.KeyFunc(rs)
		rc.exp.deletionObserved(key, podKey(p))
		rc.queue.Add(key)
	}
}

// resolve returns the cached ReplicaSet a controller reference names, or nil
// if it names another kind or a ReplicaSet that is gone (another UID).
func (rc *Controller) resolve(namespace string, ref *api.OwnerReference) *api.ReplicaSet {
	if ref.Kind != ownerKind || !strings.HasPrefix(ref.APIVersion, ownerGroup+"/") {
		return nil
	}
	rs, ok := rc.rsets.Get(namespace + "/" + ref.Name)
	if !ok || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// selectingReplicaSets returns the cached ReplicaSets in the pod's namespace
// whose selector matches it. An empty or invalid selector matches nothing.
func (rc *Controller) selectingReplicaSets(p *api.Pod) []*api.ReplicaSet {
	if len(p.Labels) == 0 {
		return nil
	}
	var out []*api.ReplicaSet
	for _, rs := range rc.rsets.ByIndex(byNamespace, p.Namespace) {
		sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		out = append(out, rs)
	}
	return out
}
