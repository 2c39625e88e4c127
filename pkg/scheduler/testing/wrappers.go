// Package testing (imported as st) builds pods and nodes for scheduler tests:
//
//	st.MakePod().Name("web").Req(map[string]string{"cpu": "500m"}).Obj()
//	st.MakeNode().Name("n1").Capacity(map[string]string{"cpu": "2"}).Obj()
//
// Builder methods for a plugin's own fields may live in their own files here.
package testing

import (
	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// PodWrapper builds a Pod.
type PodWrapper struct{ api.Pod }

// MakePod starts a pod named "pod" in "default" with one container "c".
func MakePod() *PodWrapper {
	return &PodWrapper{api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "pod", Namespace: "default", UID: "uid-pod"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}, SchedulerName: api.DefaultSchedulerName},
	}}
}

// Obj returns the pod.
func (p *PodWrapper) Obj() *api.Pod { return &p.Pod }

// Name sets the name (and a UID derived from it).
func (p *PodWrapper) Name(n string) *PodWrapper {
	p.Pod.Name = n
	p.UID = "uid-" + n
	return p
}

// Namespace sets the namespace.
func (p *PodWrapper) Namespace(ns string) *PodWrapper { p.Pod.Namespace = ns; return p }

// Label adds a label.
func (p *PodWrapper) Label(k, v string) *PodWrapper {
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[k] = v
	return p
}

// Node binds the pod to a node.
func (p *PodWrapper) Node(n string) *PodWrapper { p.Spec.NodeName = n; return p }

// Priority sets spec.priority.
func (p *PodWrapper) Priority(v int32) *PodWrapper { p.Spec.Priority = &v; return p }

// Req sets the first container's requests, e.g. {"cpu": "500m", "memory": "1Gi"}.
func (p *PodWrapper) Req(req map[string]string) *PodWrapper {
	p.Spec.Containers[0].Resources.Requests = list(req)
	return p
}

// Container adds a container with requests.
func (p *PodWrapper) Container(name string, req map[string]string) *PodWrapper {
	p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: name, Image: "busybox",
		Resources: api.ResourceRequirements{Requests: list(req)}})
	return p
}

// InitReq adds an init container with requests.
func (p *PodWrapper) InitReq(req map[string]string) *PodWrapper {
	p.Spec.InitContainers = append(p.Spec.InitContainers, api.Container{Name: "init", Image: "busybox",
		Resources: api.ResourceRequirements{Requests: list(req)}})
	return p
}

// NodeSelector sets spec.nodeSelector.
func (p *PodWrapper) NodeSelector(sel map[string]string) *PodWrapper {
	p.Spec.NodeSelector = sel
	return p
}

// Toleration adds a toleration.
func (p *PodWrapper) Toleration(key, op, value, effect string) *PodWrapper {
	p.Spec.Tolerations = append(p.Spec.Tolerations, api.Toleration{Key: key, Operator: op, Value: value, Effect: effect})
	return p
}

// HostPort adds a container port with a host port.
func (p *PodWrapper) HostPort(proto, ip string, port int32) *PodWrapper {
	p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, api.ContainerPort{ContainerPort: port, HostPort: port, Protocol: proto, HostIP: ip})
	return p
}

// Image sets the first container's image.
func (p *PodWrapper) Image(img string) *PodWrapper { p.Spec.Containers[0].Image = img; return p }

// SchedulerName sets spec.schedulerName.
func (p *PodWrapper) SchedulerName(n string) *PodWrapper { p.Spec.SchedulerName = n; return p }

// NodeWrapper builds a Node.
type NodeWrapper struct{ api.Node }

// MakeNode starts a node named "node" with 110 pods of capacity.
func MakeNode() *NodeWrapper {
	w := &NodeWrapper{api.Node{
		TypeMeta:   api.TypeMeta{Kind: "Node", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "node", Labels: map[string]string{"kubernetes.io/hostname": "node"}},
	}}
	return w.Capacity(map[string]string{"pods": "110"})
}

// Obj returns the node.
func (n *NodeWrapper) Obj() *api.Node { return &n.Node }

// Name sets the name (and the kubernetes.io/hostname label).
func (n *NodeWrapper) Name(name string) *NodeWrapper {
	n.Node.Name = name
	n.Labels["kubernetes.io/hostname"] = name
	return n
}

// Label adds a label.
func (n *NodeWrapper) Label(k, v string) *NodeWrapper { n.Labels[k] = v; return n }

// Capacity sets capacity and allocatable (merged with what is there: pods stays
// 110 unless given).
func (n *NodeWrapper) Capacity(c map[string]string) *NodeWrapper {
	if n.Status.Capacity == nil {
		n.Status.Capacity, n.Status.Allocatable = api.ResourceList{}, api.ResourceList{}
	}
	for k, q := range list(c) {
		n.Status.Capacity[k] = q
		n.Status.Allocatable[k] = q
	}
	return n
}

// Taint adds a taint.
func (n *NodeWrapper) Taint(key, value, effect string) *NodeWrapper {
	n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: key, Value: value, Effect: effect})
	return n
}

// Unschedulable sets spec.unschedulable.
func (n *NodeWrapper) Unschedulable(u bool) *NodeWrapper { n.Spec.Unschedulable = u; return n }

// Images sets status.images: name → size in bytes.
func (n *NodeWrapper) Images(images map[string]int64) *NodeWrapper {
	for name, size := range images {
		n.Status.Images = append(n.Status.Images, api.ContainerImage{Names: []string{name}, SizeBytes: size})
	}
	return n
}

func list(m map[string]string) api.ResourceList {
	out := api.ResourceList{}
	for k, v := range m {
		out[k] = resource.MustParse(v)
	}
	return out
}
