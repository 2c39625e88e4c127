package api

// SchedulingGroup is the API group of PriorityClass.
const SchedulingGroup = "scheduling.k8s.io"

// PriorityClass (scheduling.k8s.io/v1) maps a name to a pod priority. The Priority
// admission plugin copies the value into spec.priority of each new pod that names
// the class; the scheduler orders its queue by it and preempts lower priorities.
type PriorityClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	// Value is the priority of pods of this class; higher is more important.
	Value int32 `json:"value"`
	// GlobalDefault makes this the class of pods that name none. At most one class
	// may be the default.
	GlobalDefault bool `json:"globalDefault,omitempty"`
	// Description says when to use the class.
	Description string `json:"description,omitempty"`
	// PreemptionPolicy is PreemptLowerPriority (the default) or Never.
	PreemptionPolicy *string `json:"preemptionPolicy,omitempty"`
}

// Preemption policies of pods and priority classes.
const (
	PreemptLowerPriority = "PreemptLowerPriority"
	PreemptNever         = "Never"
)

// Priority limits and the built-in classes, as in Kubernetes.
const (
	// HighestUserDefinablePriority is the largest value of a user's class.
	HighestUserDefinablePriority int32 = 1_000_000_000
	// SystemCriticalPriority is the value of system-cluster-critical; only
	// system-node-critical is higher.
	SystemCriticalPriority int32 = 2 * HighestUserDefinablePriority
	// SystemPriorityClassPrefix starts the names reserved for built-in classes.
	SystemPriorityClassPrefix = "system-"
	// SystemClusterCritical is for pods the cluster needs, which may move.
	SystemClusterCritical = "system-cluster-critical"
	// SystemNodeCritical is for pods a node needs, which must not move.
	SystemNodeCritical = "system-node-critical"
	// DefaultPriority is the priority of a pod with no class when no class is the
	// global default.
	DefaultPriority int32 = 0
)

// SystemPriorityClasses returns the built-in classes the apiserver creates at
// start. Each call returns new objects.
func SystemPriorityClasses() []*PriorityClass {
	return []*PriorityClass{
		{
			ObjectMeta:  ObjectMeta{Name: SystemNodeCritical},
			Value:       SystemCriticalPriority + 1000,
			Description: "Used for system critical pods that must not be moved from their current node.",
		},
		{
			ObjectMeta:  ObjectMeta{Name: SystemClusterCritical},
			Value:       SystemCriticalPriority,
			Description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
		},
	}
}
