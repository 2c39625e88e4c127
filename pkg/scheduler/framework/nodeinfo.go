package framework

import (
	"fmt"

	"skiff/pkg/api"
)

// Default requests used for scoring only, for containers that request nothing
// (as kube-scheduler does): otherwise a node full of such pods looks empty.
const (
	DefaultMilliCPURequest int64 = 100               // 0.1 core
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024 // 200 MiB
)

// Resource is an amount of cpu (millicores), memory (bytes), pods and extended
// resources (by name, in their own units).
type Resource struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
	Scalar   map[string]int64
}

// Add adds r2 to r.
func (r *Resource) Add(r2 Resource) {
	r.MilliCPU += r2.MilliCPU
	r.Memory += r2.Memory
	r.Pods += r2.Pods
	for k, v := range r2.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[k] += v
	}
}

// Sub takes r2 from r.
func (r *Resource) Sub(r2 Resource) {
	r.MilliCPU -= r2.MilliCPU
	r.Memory -= r2.Memory
	r.Pods -= r2.Pods
	for k, v := range r2.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[k] -= v
	}
}

// Clone copies r.
func (r Resource) Clone() Resource {
	out := r
	if r.Scalar != nil {
		out.Scalar = make(map[string]int64, len(r.Scalar))
		for k, v := range r.Scalar {
			out.Scalar[k] = v
		}
	}
	return out
}

// ResourceFromList reads a ResourceList: cpu, memory, pods, and every other
// name as an extended resource (ephemeral-storage and hugepages included).
func ResourceFromList(l api.ResourceList) Resource {
	var r Resource
	for name, q := range l {
		switch name {
		case api.ResourceCPU:
			r.MilliCPU = q.MilliValue()
		case api.ResourceMemory:
			r.Memory = q.Value()
		case api.ResourcePods:
			r.Pods = q.Value()
		default:
			if r.Scalar == nil {
				r.Scalar = map[string]int64{}
			}
			r.Scalar[name] = q.Value()
		}
	}
	return r
}

// PodRequests is what a pod asks of its node, as Kubernetes computes it: the
// larger of the sum of its containers' requests and the largest init
// container's, plus overhead, and one pod.
func PodRequests(p *api.Pod) Resource {
	var sum Resource
	for _, c := range p.Spec.Containers {
		sum.Add(ResourceFromList(c.Resources.Requests))
	}
	for _, c := range p.Spec.InitContainers {
		maxInto(&sum, ResourceFromList(c.Resources.Requests))
	}
	sum.Add(ResourceFromList(p.Spec.Overhead))
	sum.Pods = 1
	return sum
}

// NonZeroRequests is PodRequests with the defaults above for containers that
// request no cpu or memory; scoring uses it.
func NonZeroRequests(p *api.Pod) Resource {
	var sum Resource
	for _, c := range p.Spec.Containers {
		r := ResourceFromList(c.Resources.Requests)
		if _, ok := c.Resources.Requests[api.ResourceCPU]; !ok {
			r.MilliCPU = DefaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[api.ResourceMemory]; !ok {
			r.Memory = DefaultMemoryRequest
		}
		sum.Add(r)
	}
	for _, c := range p.Spec.InitContainers {
		maxInto(&sum, ResourceFromList(c.Resources.Requests))
	}
	sum.Add(ResourceFromList(p.Spec.Overhead))
	sum.Pods = 1
	return sum
}

func maxInto(dst *Resource, r Resource) {
	dst.MilliCPU = max(dst.MilliCPU, r.MilliCPU)
	dst.Memory = max(dst.Memory, r.Memory)
	for k, v := range r.Scalar {
		if dst.Scalar == nil {
			dst.Scalar = map[string]int64{}
		}
		dst.Scalar[k] = max(dst.Scalar[k], v)
	}
}

// HostPort is one host port a pod uses; an empty or 0.0.0.0 IP means every address.
type HostPort struct {
	Protocol string
	IP       string
	Port     int32
}

// PodHostPorts lists the host ports a pod's containers ask for.
func PodHostPorts(p *api.Pod) []HostPort {
	var out []HostPort
	for _, c := range p.Spec.Containers {
		for _, port := range c.Ports {
			if port.HostPort <= 0 {
				continue
			}
			proto := port.Protocol
			if proto == "" {
				proto = "TCP"
			}
			ip := port.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			out = append(out, HostPort{Protocol: proto, IP: ip, Port: port.HostPort})
		}
	}
	return out
}

// NodeInfo is a node with the pods on it (bound or assumed) and what they use.
// In a Snapshot it is read-only.
type NodeInfo struct {
	Node *api.Node
	Pods []*api.Pod
	// Allocatable is the node's status.allocatable.
	Allocatable Resource
	// Requested is the sum of PodRequests of Pods.
	Requested Resource
	// NonZeroRequested is the sum of NonZeroRequests of Pods, for scoring.
	NonZeroRequested Resource
	// UsedPorts are the host ports Pods use.
	UsedPorts []HostPort
	// Generation changes whenever the NodeInfo does; snapshots copy only the
	// NodeInfos whose generation moved.
	Generation int64
	// PodsWithAffinity and PodsWithRequiredAntiAffinity count Pods with pod
	// (anti-)affinity terms, and with required anti-affinity terms.
	PodsWithAffinity, PodsWithRequiredAntiAffinity int
}

func affinityCounts(p *api.Pod) (affinity, requiredAnti int) {
	a := p.Spec.Affinity
	if a == nil {
		return 0, 0
	}
	if a.PodAffinity != nil || a.PodAntiAffinity != nil {
		affinity = 1
	}
	if a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		requiredAnti = 1
	}
	return affinity, requiredAnti
}

// NewNodeInfo returns the NodeInfo of a node and its pods.
func NewNodeInfo(node *api.Node, pods ...*api.Pod) *NodeInfo {
	n := &NodeInfo{}
	n.SetNode(node)
	for _, p := range pods {
		n.AddPod(p)
	}
	return n
}

// Name is the node's name ("" before SetNode).
func (n *NodeInfo) Name() string {
	if n.Node == nil {
		return ""
	}
	return n.Node.Name
}

// SetNode sets (or replaces) the node.
func (n *NodeInfo) SetNode(node *api.Node) {
	n.Node = node
	n.Allocatable = ResourceFromList(node.Status.Allocatable)
}

// AddPod accounts for a pod on the node.
func (n *NodeInfo) AddPod(p *api.Pod) {
	n.Pods = append(n.Pods, p)
	n.Requested.Add(PodRequests(p))
	n.NonZeroRequested.Add(NonZeroRequests(p))
	n.UsedPorts = append(n.UsedPorts, PodHostPorts(p)...)
	a, r := affinityCounts(p)
	n.PodsWithAffinity += a
	n.PodsWithRequiredAntiAffinity += r
}

// RemovePod takes a pod (matched by namespace and name) off the node.
func (n *NodeInfo) RemovePod(p *api.Pod) error {
	for i, q := range n.Pods {
		if q.Namespace == p.Namespace && q.Name == p.Name {
			n.Pods = append(n.Pods[:i:i], n.Pods[i+1:]...)
			n.Requested.Sub(PodRequests(q))
			n.NonZeroRequested.Sub(NonZeroRequests(q))
			a, r := affinityCounts(q)
			n.PodsWithAffinity -= a
			n.PodsWithRequiredAntiAffinity -= r
			n.UsedPorts = nil
			for _, r := range n.Pods {
				n.UsedPorts = append(n.UsedPorts, PodHostPorts(r)...)
			}
			return nil
		}
	}
	return fmt.Errorf("framework: pod %s/%s is not on node %s", p.Namespace, p.Name, n.Name())
}

// Clone copies the NodeInfo (pods are shared: they are never changed in place).
func (n *NodeInfo) Clone() *NodeInfo {
	return &NodeInfo{
		Node:             n.Node,
		Pods:             append([]*api.Pod(nil), n.Pods...),
		Allocatable:      n.Allocatable.Clone(),
		Requested:        n.Requested.Clone(),
		NonZeroRequested: n.NonZeroRequested.Clone(),
		UsedPorts:        append([]HostPort(nil), n.UsedPorts...),
		Generation:       n.Generation,

		PodsWithAffinity:             n.PodsWithAffinity,
		PodsWithRequiredAntiAffinity: n.PodsWithRequiredAntiAffinity,
	}
}
