package controllertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// conflictRetries is how often a pod status write is retried on a 409 (a
// controller changed the pod meanwhile, e.g. to adopt it).
const conflictRetries = 10

// MarkPodsReady does what a node agent does once a pod's containers run and
// pass their readiness probes, for every active pod (not finished, not being
// deleted) in namespace that selector matches (label selector syntax, as
// kubectl -l; "" selects all), whether or not it is bound to a node: phase
// Running; conditions Initialized, ContainersReady and Ready True, turned
// True now; and each container running and ready. It writes through the
// status subresource, and leaves a pod that is already ready as it is (so its
// ready time does not move).
func MarkPodsReady(ctx context.Context, c *client.Client, namespace, selector string) error {
	return updatePods(ctx, c, namespace, selector, func(p *api.Pod) bool {
		if podReady(p) && p.Status.Phase == api.PodRunning {
			return false
		}
		setReady(p, time.Now())
		return true
	})
}

// MarkPodsReadySince is MarkPodsReady with the conditions' lastTransitionTime
// set to since, also on pods that are ready already: a pod marked ready since
// a minute ago counts as available for a ReplicaSet with minReadySeconds 30.
func MarkPodsReadySince(ctx context.Context, c *client.Client, namespace, selector string, since time.Time) error {
	return updatePods(ctx, c, namespace, selector, func(p *api.Pod) bool {
		setReady(p, since)
		return true
	})
}

// MarkPodsNotReady sets the Ready and ContainersReady conditions of the
// active pods selector matches to False, turned False now, and their
// containers to not ready, as a failing readiness probe does. The phase stays.
func MarkPodsNotReady(ctx context.Context, c *client.Client, namespace, selector string) error {
	return updatePods(ctx, c, namespace, selector, func(p *api.Pod) bool {
		now := api.NewTime(time.Now())
		setCondition(p, api.PodReady, api.ConditionFalse, now)
		setCondition(p, api.ContainersReady, api.ConditionFalse, now)
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].Ready = false
		}
		return true
	})
}

// SetPodsPhase sets the phase of the active pods selector matches, e.g. to
// api.PodFailed or api.PodSucceeded to make them terminal, as a node agent
// does when their containers exit.
func SetPodsPhase(ctx context.Context, c *client.Client, namespace, selector, phase string) error {
	return updatePods(ctx, c, namespace, selector, func(p *api.Pod) bool {
		p.Status.Phase = phase
		if phase == api.PodSucceeded || phase == api.PodFailed {
			now := api.NewTime(time.Now())
			setCondition(p, api.PodReady, api.ConditionFalse, now)
			setCondition(p, api.ContainersReady, api.ConditionFalse, now)
		}
		return true
	})
}

// ActivePods lists the pods in namespace that selector matches and that are
// neither finished nor being deleted (what a ReplicaSet counts), sorted by
// name. A pod on a node is only marked for deletion when it is deleted, and
// with no node agent it stays so: count pods with this, not with a plain list.
func ActivePods(ctx context.Context, c *client.Client, namespace, selector string) ([]*api.Pod, error) {
	list, err := client.Pods(c, namespace).List(ctx, client.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	var out []*api.Pod
	for _, p := range list.Items {
		if isActive(p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *api.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func isActive(p *api.Pod) bool {
	return p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed && p.DeletionTimestamp == nil
}

func podReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// setReady makes p running and ready since the given time.
func setReady(p *api.Pod, since time.Time) {
	at := api.NewTime(since.UTC().Truncate(time.Second))
	p.Status.Phase = api.PodRunning
	if p.Status.StartTime == nil {
		p.Status.StartTime = &at
	}
	setCondition(p, api.PodInitialized, api.ConditionTrue, at)
	setCondition(p, api.ContainersReady, api.ConditionTrue, at)
	setCondition(p, api.PodReady, api.ConditionTrue, at)
	started := true
	statuses := make([]api.ContainerStatus, len(p.Spec.Containers))
	for i, ctr := range p.Spec.Containers {
		var restarts int32
		for _, old := range p.Status.ContainerStatuses {
			if old.Name == ctr.Name {
				restarts = old.RestartCount
			}
		}
		statuses[i] = api.ContainerStatus{Name: ctr.Name, Image: ctr.Image, Ready: true, Started: &started,
			RestartCount: restarts, State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: at}}}
	}
	p.Status.ContainerStatuses = statuses
}

// setCondition sets a pod condition; its transition time is at when the
// status changes (or at is explicitly earlier), as a node agent keeps it.
func setCondition(p *api.Pod, typ, status string, at api.Time) {
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type != typ {
			continue
		}
		if c.Status != status || at.Before(c.LastTransitionTime.Time) {
			c.LastTransitionTime = at
		}
		c.Status = status
		return
	}
	p.Status.Conditions = append(p.Status.Conditions, api.PodCondition{Type: typ, Status: status, LastTransitionTime: at})
}

// updatePods applies change to every active pod selector matches and writes
// the ones it changed through the status subresource, reading a pod again and
// retrying when the write conflicts. A pod deleted meanwhile is skipped.
func updatePods(ctx context.Context, c *client.Client, namespace, selector string, change func(*api.Pod) bool) error {
	pods, err := ActivePods(ctx, c, namespace, selector)
	if err != nil {
		return err
	}
	for _, p := range pods {
		res := client.Pods(c, p.Namespace)
		for attempt := 0; ; attempt++ {
			if !change(p) {
				break
			}
			_, err := res.UpdateStatus(ctx, p)
			if err == nil || api.IsNotFound(err) {
				break
			}
			if !api.IsConflict(err) || attempt == conflictRetries {
				return fmt.Errorf("controllertest: update status of pod %s/%s: %w", p.Namespace, p.Name, err)
			}
			if p, err = res.Get(ctx, p.Name); err != nil {
				if api.IsNotFound(err) {
					break
				}
				return err
			}
			if !isActive(p) {
				break
			}
		}
	}
	return nil
}
