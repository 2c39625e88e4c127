package registry

import (
	"skiff/pkg/api"
)

// ScaleOf returns the scale subresource view of a Deployment or ReplicaSet.
func ScaleOf(obj api.Object) (*api.Scale, bool) {
	var spec *int32
	var status int32
	var sel *api.LabelSelector
	switch o := obj.(type) {
	case *api.Deployment:
		spec, status, sel = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	case *api.ReplicaSet:
		spec, status, sel = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	default:
		return nil, false
	}
	m := obj.GetObjectMeta()
	s := &api.Scale{
		TypeMeta: api.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: api.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID,
			ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp},
		Spec:   api.ScaleSpec{Replicas: replicas(spec)},
		Status: api.ScaleStatus{Replicas: status, Selector: labelSelectorText(sel)},
	}
	if s.Status.Selector == "<none>" {
		s.Status.Selector = ""
	}
	return s, true
}

// SetReplicas sets spec.replicas of a Deployment or ReplicaSet.
func SetReplicas(obj api.Object, n int32) bool {
	switch o := obj.(type) {
	case *api.Deployment:
		o.Spec.Replicas = &n
	case *api.ReplicaSet:
		o.Spec.Replicas = &n
	default:
		return false
	}
	return true
}
