package nodelifecycle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// The condition the taint manager puts on a pod before deleting it, as Kubernetes.
const (
	conditionDisruptionTarget = "DisruptionTarget"
	reasonDeletionByTaint     = "DeletionByTaintManager"
)

// evictions remembers the pods whose eviction is scheduled, and when. The
// queue's AddAfter cannot be taken back, so a pod whose turn comes is simply
// reconsidered from the current state; this record only says whether there is
// a scheduled eviction to report as cancelled.
type evictions struct {
	mu sync.Mutex
	at map[string]time.Time
}

func newEvictions() *evictions { return &evictions{at: map[string]time.Time{}} }

func (e *evictions) schedule(key string, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.at[key] = at
}

// cancel drops the pod's scheduled eviction and reports whether it had one.
func (e *evictions) cancel(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.at[key]
	delete(e.at, key)
	return ok
}

// reconcilePod evicts a pod from a node with a NoExecute taint it does not
// tolerate, now or when its tolerationSeconds run out; if the taint goes away
// first, the scheduled eviction is cancelled.
func (ctl *Controller) reconcilePod(ctx context.Context, key string) error {
	pod, ok := ctl.pods.Get(key)
	if !ok || pod.Spec.NodeName == "" || pod.DeletionTimestamp != nil {
		ctl.scheduled.cancel(key) // gone or going: nothing to report
		return nil
	}
	node, ok := ctl.nodes.Get(pod.Spec.NodeName)
	if !ok {
		ctl.scheduled.cancel(key) // pods of deleted nodes are the pod GC's
		return nil
	}
	now := ctl.opts.Now()
	at, evict := evictionTime(pod, node.Spec.Taints, now)
	if !evict {
		if ctl.scheduled.cancel(key) {
			ctl.events.Eventf(pod, "Pod", "Normal", ReasonTaintManagerEviction, "Cancelling deletion of Pod %s", key)
		}
		return nil
	}
	if wait := at.Sub(now); wait > 0 {
		ctl.scheduled.schedule(key, at)
		ctl.evictQueue.AddAfter(key, wait)
		return nil
	}
	if err := ctl.evict(ctx, pod); err != nil {
		return fmt.Errorf("evict pod %s from node %s: %w", key, node.Name, err)
	}
	ctl.scheduled.cancel(key)
	return nil
}

// evict marks the pod as a disruption target and deletes it gracefully: a pod
// bound to a node gets a deletionTimestamp and its agent stops it.
func (ctl *Controller) evict(ctx context.Context, pod *api.Pod) error {
	pods := client.Pods(ctl.c, pod.Namespace)
	if !hasDisruptionTarget(pod) {
		cp := api.DeepCopy(pod)
		cp.Status.Conditions = append(cp.Status.Conditions, api.PodCondition{
			Type: conditionDisruptionTarget, Status: api.ConditionTrue, Reason: reasonDeletionByTaint,
			Message: "Taint manager: deleting due to NoExecute taint", LastTransitionTime: api.NewTime(ctl.opts.Now()),
		})
		if _, err := pods.UpdateStatus(ctx, cp); err != nil {
			if api.IsNotFound(err) {
				return nil
			}
			return err
		}
	}
	uid := pod.UID
	err := pods.Delete(ctx, pod.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	switch {
	case api.IsNotFound(err), api.IsConflict(err): // gone, or replaced by a pod of the same name
		return nil
	case err != nil:
		return err
	}
	ctl.log.Info("evicted pod for a NoExecute taint", "pod", client.KeyOf(pod), "node", pod.Spec.NodeName)
	ctl.events.Eventf(pod, "Pod", "Normal", ReasonTaintManagerEviction, "Marking for deletion Pod %s", client.KeyOf(pod))
	return nil
}

func hasDisruptionTarget(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == conditionDisruptionTarget && c.Status == api.ConditionTrue {
			return true
		}
	}
	return false
}
