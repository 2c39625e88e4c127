package replicaset

import (
	"strconv"
	"time"

	"skiff/pkg/api"
)

// t0 is the fixtures' reference time.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// makeRS returns ReplicaSet name in "default" selecting and labelling its pods
// app=<name>, with UID "uid-<name>".
func makeRS(name string, replicas int32) *api.ReplicaSet {
	l := map[string]string{"app": name}
	return &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name, Generation: 1},
		Spec: api.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: l},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}},
			},
		},
	}
}

// podWrapper builds a pod: makePod("a").labels("app", "web").ownedBy(rs).obj().
type podWrapper struct{ api.Pod }

// makePod starts a pending pod in "default" with UID "uid-<name>", one
// container and creation time t0.
func makePod(name string) *podWrapper {
	return &podWrapper{api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name, CreationTimestamp: api.NewTime(t0)},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}},
		Status:     api.PodStatus{Phase: api.PodPending},
	}}
}

func (p *podWrapper) obj() *api.Pod { return &p.Pod }

// labels sets labels from key, value pairs.
func (p *podWrapper) labels(kv ...string) *podWrapper {
	p.Labels = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Labels[kv[i]] = kv[i+1]
	}
	return p
}

// ownedBy makes rs the pod's controller.
func (p *podWrapper) ownedBy(rs *api.ReplicaSet) *podWrapper {
	p.OwnerReferences = append(p.OwnerReferences, controllerRef(rs))
	return p
}

// ownerRef adds a reference to a ReplicaSet with uid; controller says whether
// it is the controller reference.
func (p *podWrapper) ownerRef(uid string, controller bool) *podWrapper {
	p.OwnerReferences = append(p.OwnerReferences, api.OwnerReference{APIVersion: ownerAPIVersion, Kind: ownerKind,
		Name: "rs-" + uid, UID: uid, Controller: &controller})
	return p
}

func (p *podWrapper) node(n string) *podWrapper       { p.Spec.NodeName = n; return p }
func (p *podWrapper) phase(ph string) *podWrapper     { p.Status.Phase = ph; return p }
func (p *podWrapper) created(t time.Time) *podWrapper { p.CreationTimestamp = api.NewTime(t); return p }

// ready makes the pod running and ready since the given time.
func (p *podWrapper) ready(since time.Time) *podWrapper {
	p.Status.Phase = api.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, api.PodCondition{Type: api.PodReady, Status: api.ConditionTrue,
		LastTransitionTime: api.NewTime(since)})
	return p
}

// notReady gives the pod a Ready condition that is False.
func (p *podWrapper) notReady() *podWrapper {
	p.Status.Conditions = append(p.Status.Conditions, api.PodCondition{Type: api.PodReady, Status: api.ConditionFalse})
	return p
}

func (p *podWrapper) restarts(n int32) *podWrapper {
	p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, api.ContainerStatus{Name: "c", RestartCount: n})
	return p
}

func (p *podWrapper) cost(n int) *podWrapper {
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[PodDeletionCostAnnotation] = strconv.Itoa(n)
	return p
}

func (p *podWrapper) deleting() *podWrapper {
	ts := api.NewTime(t0)
	p.DeletionTimestamp = &ts
	return p
}

// names returns the pods' names, in order.
func names(pods []*api.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}
