package nodelifecycle

import (
	"context"
	"errors"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// markPodsNotReady sets the Ready condition of the node's pods to False, as
// Kubernetes' MarkPodsNotReady does for a node whose agent went silent: the agent
// cannot say so itself, and Services should stop sending traffic there. Pods
// already not ready are skipped, so calling it again only retries failures.
func (ctl *Controller) markPodsNotReady(ctx context.Context, node *api.Node, now time.Time) error {
	var errs []error
	for _, pod := range ctl.pods.ByIndex(podsByNode, node.Name) {
		if pod.Spec.NodeName != node.Name {
			continue
		}
		i := podReadyIndex(pod)
		if i < 0 || pod.Status.Conditions[i].Status == api.ConditionFalse {
			continue
		}
		cp := api.DeepCopy(pod)
		cp.Status.Conditions[i].Status = api.ConditionFalse
		cp.Status.Conditions[i].LastTransitionTime = api.NewTime(now)
		if _, err := client.Pods(ctl.c, pod.Namespace).UpdateStatus(ctx, cp); err != nil {
			if !api.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		ctl.events.Eventf(pod, "Pod", "Warning", ReasonNodeNotReady, "Node is not ready")
	}
	return errors.Join(errs...)
}

func podReadyIndex(p *api.Pod) int {
	for i, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return i
		}
	}
	return -1
}
