package api

// LimitRange (core/v1) sets default and bounding resources for the containers and
// pods of a namespace; the LimitRanger admission plugin applies it.
type LimitRange struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       LimitRangeSpec `json:"spec,omitempty"`
}

// LimitRangeSpec lists the limits.
type LimitRangeSpec struct {
	Limits []LimitRangeItem `json:"limits"`
}

// LimitRangeItem bounds one type of object.
type LimitRangeItem struct {
	Type                 string       `json:"type"`
	Max                  ResourceList `json:"max,omitempty"`
	Min                  ResourceList `json:"min,omitempty"`
	Default              ResourceList `json:"default,omitempty"`
	DefaultRequest       ResourceList `json:"defaultRequest,omitempty"`
	MaxLimitRequestRatio ResourceList `json:"maxLimitRequestRatio,omitempty"`
}

// LimitRange item types.
const (
	LimitTypePod       = "Pod"
	LimitTypeContainer = "Container"
	LimitTypePVC       = "PersistentVolumeClaim"
)

// ResourceQuota (core/v1) caps what a namespace may use in total; the
// ResourceQuota admission plugin enforces it and keeps status.used current.
type ResourceQuota struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       ResourceQuotaSpec   `json:"spec,omitempty"`
	Status     ResourceQuotaStatus `json:"status,omitempty"`
}

// ResourceQuotaSpec holds the hard limits, e.g. "pods": "10", "requests.cpu": "4".
type ResourceQuotaSpec struct {
	Hard   ResourceList `json:"hard,omitempty"`
	Scopes []string     `json:"scopes,omitempty"`
}

// ResourceQuotaStatus is the enforced limits and current usage.
type ResourceQuotaStatus struct {
	Hard ResourceList `json:"hard,omitempty"`
	Used ResourceList `json:"used,omitempty"`
}

// Quota resource names beyond the plain resource names.
const (
	ResourceRequestsCPU    = "requests.cpu"
	ResourceRequestsMemory = "requests.memory"
	ResourceLimitsCPU      = "limits.cpu"
	ResourceLimitsMemory   = "limits.memory"
)
