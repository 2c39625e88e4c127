package replicaset

import (
	"time"

	"skiff/pkg/api"
)

// The owner the controller writes into pods' ownerReferences.
const (
	ownerGroup      = "apps"
	ownerAPIVersion = ownerGroup + "/v1"
	ownerKind       = "ReplicaSet"
)

// isPodActive: not finished and not being deleted. Only active pods count
// toward a ReplicaSet's replicas (Kubernetes' controller.IsPodActive).
func isPodActive(p *api.Pod) bool {
	return p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed && p.DeletionTimestamp == nil
}

// readyCondition returns the pod's Ready condition, or nil.
func readyCondition(p *api.Pod) *api.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == api.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// isPodReady: the Ready condition is True.
func isPodReady(p *api.Pod) bool {
	c := readyCondition(p)
	return c != nil && c.Status == api.ConditionTrue
}

// availableAt returns when a ready pod becomes available: minReadySeconds
// after its Ready condition last turned True. ok is false for a pod that is
// not ready. A ready pod without a transition time is available at once, as
// it is in Kubernetes.
func availableAt(p *api.Pod, minReadySeconds int32) (at time.Time, ok bool) {
	c := readyCondition(p)
	if c == nil || c.Status != api.ConditionTrue {
		return time.Time{}, false
	}
	if minReadySeconds == 0 || c.LastTransitionTime.IsZero() {
		return time.Time{}, true
	}
	return c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second), true
}

// isPodAvailable: ready for more than minReadySeconds at now
// (Kubernetes' podutil.IsPodAvailable).
func isPodAvailable(p *api.Pod, minReadySeconds int32, now time.Time) bool {
	at, ok := availableAt(p, minReadySeconds)
	return ok && (at.IsZero() || at.Before(now))
}

// controllerOf returns the ownerReference with controller: true, or nil.
func controllerOf(m *api.ObjectMeta) *api.OwnerReference {
	for i := range m.OwnerReferences {
		if r := &m.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// controllerRef is the ownerReference that makes rs its pods' controller.
func controllerRef(rs *api.ReplicaSet) api.OwnerReference {
	yes := true
	return api.OwnerReference{APIVersion: ownerAPIVersion, Kind: ownerKind, Name: rs.Name, UID: rs.UID,
		Controller: &yes, BlockOwnerDeletion: &yes}
}

// podFromTemplate builds a pod of rs from its template (Kubernetes'
// GetPodFromTemplate): the template's labels, annotations, finalizers and
// spec, generateName "<rs-name>-", and rs as its controller.
func podFromTemplate(rs *api.ReplicaSet) *api.Pod {
	t := api.DeepCopy(rs.Spec.Template)
	return &api.Pod{
		TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []api.OwnerReference{controllerRef(rs)},
		},
		Spec: t.Spec,
	}
}

// podKey is the informer key of a pod, the key of deletion expectations.
func podKey(p *api.Pod) string { return p.Namespace + "/" + p.Name }
