package schedbench

import (
	"time"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// RunLabel marks every node and the namespace of one run with its id, so the
// nodes can be deleted together and leftovers of a killed run found by hand
// (kubectl delete nodes -l schedbench.skiff.io/run).
const RunLabel = "schedbench.skiff.io/run"

// HostnameLabel is the well-known label a pod's nodeSelector pins a node by.
const HostnameLabel = "kubernetes.io/hostname"

// What every node offers and every pod asks for. 32 cores hold 320 of the pods,
// so the 110-pod limit is the one that binds.
const (
	nodeCPU      = "32"
	nodeMemory   = "128Gi"
	podsPerNode  = 110
	podCPU       = "100m"
	podMemory    = "128Mi"
	podImage     = "registry.k8s.io/pause:3.10"
	podAppLabel  = "schedbench"
	notReadyKey  = "node.kubernetes.io/not-ready"
	unreachedKey = "node.kubernetes.io/unreachable"
)

// node is a Ready node with room for podsPerNode pods, its status set in the
// create body as a node agent registers it.
func (r *run) node(name string) *api.Node {
	now := api.NewTime(time.Now().UTC().Truncate(time.Second))
	capacity := func() api.ResourceList {
		return api.ResourceList{
			api.ResourceCPU:    resource.MustParse(nodeCPU),
			api.ResourceMemory: resource.MustParse(nodeMemory),
			api.ResourcePods:   resource.NewQuantity(podsPerNode, resource.DecimalSI),
		}
	}
	return &api.Node{
		TypeMeta: api.TypeMeta{Kind: "Node", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{
			HostnameLabel:      name,
			"kubernetes.io/os": "linux",
			RunLabel:           r.id,
		}},
		Status: api.NodeStatus{
			Capacity:    capacity(),
			Allocatable: capacity(),
			Conditions: []api.NodeCondition{{
				Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady",
				Message: "schedbench node, no agent behind it", LastHeartbeatTime: now, LastTransitionTime: now,
			}},
			NodeInfo: api.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64"},
		},
	}
}

// pod is one of the M pending pods.
func (r *run) pod(i int) *api.Pod { return r.basePod(r.podName(i)) }

// probePod is pinned to one node by its hostname label.
func (r *run) probePod(node string) *api.Pod {
	p := r.basePod(r.probeName())
	p.Spec.NodeSelector = map[string]string{HostnameLabel: node}
	return p
}

// basePod requests 100m CPU and 128Mi memory. It tolerates the not-ready and
// unreachable taints: against a real cluster, the node lifecycle controller
// taints these agentless nodes once their heartbeat is older than its grace
// period (40–50 s), which the 5,000-node configuration outlasts.
func (r *run) basePod(name string) *api.Pod {
	return &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: r.id, Labels: map[string]string{"app": podAppLabel}},
		Spec: api.PodSpec{
			Containers: []api.Container{{
				Name: "c", Image: podImage,
				Resources: api.ResourceRequirements{Requests: api.ResourceList{
					api.ResourceCPU:    resource.MustParse(podCPU),
					api.ResourceMemory: resource.MustParse(podMemory),
				}},
			}},
			SchedulerName: r.cfg.SchedulerName,
			Tolerations: []api.Toleration{
				{Key: notReadyKey, Operator: api.TolerationOpExists},
				{Key: unreachedKey, Operator: api.TolerationOpExists},
			},
		},
	}
}
