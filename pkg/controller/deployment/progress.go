package deployment

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"skiff/pkg/api"
)

// The reasons of the Available and Progressing conditions, as Kubernetes
// writes them (kubectl and dashboards match on them).
const (
	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	ReasonNewReplicaSetCreated       = "NewReplicaSetCreated"
	ReasonFoundNewReplicaSet         = "FoundNewReplicaSet"
	ReasonReplicaSetUpdated          = "ReplicaSetUpdated"
	ReasonNewReplicaSetAvailable     = "NewReplicaSetAvailable"
	ReasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
	ReasonReplicaSetCreateError      = "ReplicaSetCreateError"
	ReasonDeploymentPaused           = "DeploymentPaused"
	ReasonDeploymentResumed          = "DeploymentResumed"
)

// replicaFailure is the ReplicaSet (and Deployment) condition type that
// reports pods that could not be created.
const replicaFailure = "ReplicaFailure"

// syncRolloutStatus writes the status of a rollout: the counts and Available
// (calculateStatus), then Progressing and ReplicaFailure (rolloutConditions).
// If nothing changed, a rollout still under way is looked at again when its
// progress deadline passes.
func (c *Controller) syncRolloutStatus(ctx context.Context, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) error {
	now := c.now()
	status := rolloutStatus(d, allRSs, newRS, now)
	if statusEqual(d.Status, status) {
		if after, ok := progressCheckAfter(d, status, now); ok {
			c.queue.AddAfter(keyOf(d), after)
		}
		return nil
	}
	return c.writeStatus(ctx, d, status)
}

// rolloutStatus is calculateStatus with the Progressing and ReplicaFailure
// conditions of a rollout.
func rolloutStatus(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, now time.Time) api.DeploymentStatus {
	status := calculateStatus(allRSs, newRS, d, now)
	if !hasProgressDeadline(d) {
		removeCondition(&status, api.DeploymentProgressing)
	}

	// A Deployment whose rollout has completed makes no more progress to
	// estimate until a new rollout starts.
	cur := getCondition(d.Status, api.DeploymentProgressing)
	complete := status.Replicas == status.UpdatedReplicas && cur != nil && cur.Reason == ReasonNewReplicaSetAvailable
	if hasProgressDeadline(d) && !complete {
		subject := fmt.Sprintf("Deployment %q", d.Name)
		if newRS != nil {
			subject = fmt.Sprintf("ReplicaSet %q", newRS.Name)
		}
		switch {
		case deploymentComplete(d, &status):
			setCondition(&status, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable,
				subject+" has successfully progressed.", now))
		case deploymentProgressing(d, &status):
			// Progress refreshes lastUpdateTime even when the reason stays the
			// same; lastTransitionTime moves only if the status changes.
			cond := newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated, subject+" is progressing.", now)
			if cur != nil {
				if cur.Status == api.ConditionTrue {
					cond.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(&status, api.DeploymentProgressing)
			}
			setCondition(&status, cond)
		case deploymentTimedOut(d, &status, now):
			setCondition(&status, newCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded,
				subject+" has timed out progressing.", now))
		}
	}

	if failure, ok := replicaFailureCondition(allRSs, newRS); ok {
		setCondition(&status, failure)
	} else {
		removeCondition(&status, replicaFailure)
	}
	return status
}

// calculateStatus counts d's pods from its ReplicaSets' statuses and sets the
// Available condition: true while at least spec.replicas - maxUnavailable pods
// are available. Other conditions are carried over.
func calculateStatus(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment, now time.Time) api.DeploymentStatus {
	available := sumAvailableReplicas(allRSs)
	unavailable := max(sumSpecReplicas(allRSs)-available, 0)
	status := api.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumStatusReplicas(allRSs),
		UpdatedReplicas:     sumStatusReplicas([]*api.ReplicaSet{newRS}),
		ReadyReplicas:       sumReadyReplicas(allRSs),
		AvailableReplicas:   available,
		UnavailableReplicas: unavailable,
		CollisionCount:      d.Status.CollisionCount,
	}
	status.Conditions = append(status.Conditions, d.Status.Conditions...)
	if available >= desiredReplicas(d)-maxUnavailable(d) {
		setCondition(&status, newCondition(api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable,
			"Deployment has minimum availability.", now))
	} else {
		setCondition(&status, newCondition(api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable,
			"Deployment does not have minimum availability.", now))
	}
	return status
}

// deploymentComplete reports a rollout that is done: every replica updated
// and available, none of the old ones left, and the current spec observed.
func deploymentComplete(d *api.Deployment, s *api.DeploymentStatus) bool {
	want := desiredReplicas(d)
	return s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want &&
		s.ObservedGeneration >= d.Generation
}

// deploymentProgressing reports progress since d.Status: more updated, ready
// or available pods, or fewer old ones.
func deploymentProgressing(d *api.Deployment, s *api.DeploymentStatus) bool {
	old := d.Status
	return s.UpdatedReplicas > old.UpdatedReplicas ||
		s.Replicas-s.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		s.ReadyReplicas > old.ReadyReplicas ||
		s.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut reports a rollout that made no progress for
// progressDeadlineSeconds since its Progressing condition was last updated.
// A completed rollout never times out; one that timed out stays so.
func deploymentTimedOut(d *api.Deployment, s *api.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	cond := getCondition(*s, api.DeploymentProgressing)
	if cond == nil {
		return false
	}
	switch cond.Reason {
	case ReasonNewReplicaSetAvailable:
		return false
	case ReasonProgressDeadlineExceeded:
		return true
	}
	deadline := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
	return deadline.Before(now)
}

// progressCheckAfter says when to look at an unchanged rollout again to see
// whether it has timed out: when its deadline passes (plus a second against
// clock skew), and not at all if it has no deadline, is complete or has
// already timed out.
func progressCheckAfter(d *api.Deployment, newStatus api.DeploymentStatus, now time.Time) (time.Duration, bool) {
	cur := getCondition(d.Status, api.DeploymentProgressing)
	if !hasProgressDeadline(d) || cur == nil {
		return 0, false
	}
	if deploymentComplete(d, &newStatus) || cur.Reason == ReasonProgressDeadlineExceeded {
		return 0, false
	}
	after := cur.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(now)
	if after < time.Second {
		return time.Second, true
	}
	return after + time.Second, true
}

// pausedCondition sets Progressing to Unknown with DeploymentPaused when d is
// paused, or with DeploymentResumed when it is resumed after a pause, and
// reports whether it changed anything. A timed-out rollout keeps saying so.
func pausedCondition(d *api.Deployment, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	cond := getCondition(d.Status, api.DeploymentProgressing)
	if cond != nil && cond.Reason == ReasonProgressDeadlineExceeded {
		return false
	}
	paused := cond != nil && cond.Reason == ReasonDeploymentPaused
	switch {
	case d.Spec.Paused && !paused:
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentPaused, "Deployment is paused", now))
		return true
	case !d.Spec.Paused && paused:
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentResumed, "Deployment is resumed", now))
		return true
	}
	return false
}

// replicaFailureCondition carries a ReplicaSet's ReplicaFailure condition over
// to the Deployment, the new ReplicaSet's first.
func replicaFailureCondition(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (api.DeploymentCondition, bool) {
	for _, rs := range append([]*api.ReplicaSet{newRS}, allRSs...) {
		if rs == nil {
			continue
		}
		for _, c := range rs.Status.Conditions {
			if c.Type == replicaFailure {
				return api.DeploymentCondition{
					Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message,
					LastTransitionTime: c.LastTransitionTime, LastUpdateTime: c.LastTransitionTime,
				}, true
			}
		}
	}
	return api.DeploymentCondition{}, false
}

// hasProgressDeadline reports a progressDeadlineSeconds that is set and not
// "forever" (MaxInt32).
func hasProgressDeadline(d *api.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// newCondition is a condition whose times are now (to the second, as they are
// stored).
func newCondition(typ, status, reason, message string, now time.Time) api.DeploymentCondition {
	t := api.NewTime(now.UTC().Truncate(time.Second))
	return api.DeploymentCondition{Type: typ, Status: status, Reason: reason, Message: message, LastUpdateTime: t, LastTransitionTime: t}
}

func getCondition(s api.DeploymentStatus, typ string) *api.DeploymentCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == typ {
			return &s.Conditions[i]
		}
	}
	return nil
}

// setCondition puts cond in s, unless a condition of its type already has its
// status and reason; lastTransitionTime is kept while the status stays.
func setCondition(s *api.DeploymentStatus, cond api.DeploymentCondition) {
	cur := getCondition(*s, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return
	}
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(s, cond.Type)
	s.Conditions = append(s.Conditions, cond)
}

func removeCondition(s *api.DeploymentStatus, typ string) {
	var kept []api.DeploymentCondition
	for _, c := range s.Conditions {
		if c.Type != typ {
			kept = append(kept, c)
		}
	}
	s.Conditions = kept
}

// statusEqual compares statuses as they are stored, so a time read back from
// the apiserver equals the one that was written.
func statusEqual(a, b api.DeploymentStatus) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
