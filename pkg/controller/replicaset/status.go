package replicaset

import (
	"reflect"
	"slices"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
)

// ReplicaFailure is the ReplicaSet condition set while creating or deleting
// pods fails (for example when a ResourceQuota refuses them), with reason
// FailedCreate or FailedDelete and the error as its message.
const ReplicaFailure = "ReplicaFailure"

// Reasons of the ReplicaFailure condition, and of the Warning events about
// failed creates and deletes.
const (
	ReasonFailedCreate = "FailedCreate"
	ReasonFailedDelete = "FailedDelete"
)

// availabilityMargin is added to the time until the next pod becomes available,
// so the requeued reconcile finds it past its minReadySeconds (timestamps have
// second precision and availability is strictly "after").
const availabilityMargin = 10 * time.Millisecond

// computeStatus is rs's status for its active, owned pods (Kubernetes'
// calculateStatus). manageErr is the error of creating or deleting pods in
// this reconcile: it sets the ReplicaFailure condition if it is not set yet,
// and a reconcile without one clears it. recheck is how long until a ready
// pod outlives minReadySeconds and availableReplicas must be counted again;
// zero when no pod is waiting for that. ObservedGeneration is left as it was:
// the status writer sets it.
func computeStatus(rs *api.ReplicaSet, pods []*api.Pod, manageErr error, now time.Time) (st api.ReplicaSetStatus, recheck time.Duration) {
	st = rs.Status
	st.Conditions = slices.Clone(rs.Status.Conditions)
	templateLabels := labels.SelectorFromSet(rs.Spec.Template.Labels)
	var fullyLabeled, ready, available int32
	for _, p := range pods {
		if templateLabels.Matches(labels.Set(p.Labels)) {
			fullyLabeled++
		}
		at, ok := availableAt(p, rs.Spec.MinReadySeconds)
		if !ok {
			continue
		}
		ready++
		if at.IsZero() || at.Before(now) {
			available++
		} else if wait := at.Sub(now) + availabilityMargin; recheck == 0 || wait < recheck {
			recheck = wait
		}
	}
	st.Replicas = int32(len(pods))
	st.FullyLabeledReplicas = fullyLabeled
	st.ReadyReplicas = ready
	st.AvailableReplicas = available

	i := slices.IndexFunc(st.Conditions, func(c api.ReplicaSetCondition) bool { return c.Type == ReplicaFailure })
	switch {
	case manageErr != nil && i < 0:
		reason := ""
		switch diff := len(pods) - int(replicasOf(rs)); {
		case diff < 0:
			reason = ReasonFailedCreate
		case diff > 0:
			reason = ReasonFailedDelete
		}
		st.Conditions = append(st.Conditions, api.ReplicaSetCondition{Type: ReplicaFailure, Status: api.ConditionTrue,
			LastTransitionTime: api.NewTime(now.UTC().Truncate(time.Second)), Reason: reason, Message: manageErr.Error()})
	case manageErr == nil && i >= 0:
		st.Conditions = slices.Delete(st.Conditions, i, i+1)
	}
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
	return st, recheck
}

// statusUnchanged reports whether writing st would change nothing: the counts
// and conditions are the same and rs's generation has been observed.
func statusUnchanged(rs *api.ReplicaSet, st api.ReplicaSetStatus) bool {
	cur := rs.Status
	return cur.Replicas == st.Replicas &&
		cur.FullyLabeledReplicas == st.FullyLabeledReplicas &&
		cur.ReadyReplicas == st.ReadyReplicas &&
		cur.AvailableReplicas == st.AvailableReplicas &&
		cur.ObservedGeneration == rs.Generation &&
		reflect.DeepEqual(cur.Conditions, st.Conditions)
}

// replicasOf is spec.replicas, 1 when unset (the API defaults it).
func replicasOf(rs *api.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}
