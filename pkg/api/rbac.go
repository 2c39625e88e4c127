package api

// Role (rbac.authorization.k8s.io/v1) grants permissions within one namespace.
type Role struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Rules      []PolicyRule `json:"rules"`
}

// ClusterRole grants permissions cluster-wide, or in a namespace when a
// RoleBinding refers to it.
type ClusterRole struct {
	TypeMeta        `json:",inline"`
	ObjectMeta      `json:"metadata"`
	Rules           []PolicyRule     `json:"rules"`
	AggregationRule *AggregationRule `json:"aggregationRule,omitempty"`
}

// AggregationRule builds a ClusterRole's rules from other ClusterRoles. Skiff
// stores it but does not aggregate.
type AggregationRule struct {
	ClusterRoleSelectors []LabelSelector `json:"clusterRoleSelectors,omitempty"`
}

// PolicyRule allows verbs on resources (or non-resource URLs). An empty list
// matches nothing; "*" matches everything.
type PolicyRule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

// RoleBinding grants the permissions of a Role or ClusterRole to subjects within
// its namespace.
type RoleBinding struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Subjects   []Subject `json:"subjects,omitempty"`
	RoleRef    RoleRef   `json:"roleRef"`
}

// ClusterRoleBinding grants the permissions of a ClusterRole cluster-wide.
type ClusterRoleBinding struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Subjects   []Subject `json:"subjects,omitempty"`
	RoleRef    RoleRef   `json:"roleRef"`
}

// Subject is who a binding is for: a User, a Group or a ServiceAccount.
type Subject struct {
	Kind      string `json:"kind"`
	APIGroup  string `json:"apiGroup,omitempty"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Subject kinds.
const (
	UserKind           = "User"
	GroupKind          = "Group"
	ServiceAccountKind = "ServiceAccount"
	RBACGroup          = "rbac.authorization.k8s.io"
)

// RoleRef names the role a binding grants. It cannot change after creation.
type RoleRef struct {
	APIGroup string `json:"apiGroup"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
}
