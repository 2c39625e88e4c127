package registry

import (
	"slices"
	"strconv"
	"strings"

	"skiff/pkg/api"
)

// Builtin returns the resources Skiff serves.
func Builtin() *Registry {
	return New(
		namespaces(), nodes(), pods(), events(), configMaps(), secrets(), serviceAccounts(),
		services(), endpoints(), leases(), replicaSets(), deployments(),
		limitRanges(), resourceQuotas(), priorityClasses(),
		roles(), clusterRoles(), roleBindings(), clusterRoleBindings(),
		certificateSigningRequests(),
		review("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false),
		review("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false),
		review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", false),
		review("authorization.k8s.io", "LocalSubjectAccessReview", "localsubjectaccessreviews", true),
		review("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", false),
		review("authentication.k8s.io", "TokenReview", "tokenreviews", false),
	)
}

func namespaces() *Resource {
	return &Resource{
		Version: "v1", Kind: "Namespace", Plural: "namespaces", Singular: "namespace", ShortNames: []string{"ns"},
		New:              func() api.Object { return &api.Namespace{} },
		Defaults:         typed(api.SetDefaultsNamespace),
		Validate:         typedValidate(api.ValidateNamespace),
		HasStatus:        true,
		PrepareForCreate: prepareNamespace,
		Fields:           map[string]func(api.Object) string{"status.phase": func(o api.Object) string { return o.(*api.Namespace).Status.Phase }},
		Table:            namespaceTable,
		// spec.finalizers change only through finalize (PUT), as in Kubernetes.
		Subresources: []Subresource{{Name: "finalize", Kind: "Namespace", Verbs: []string{"update"}}},
	}
}

// prepareNamespace clears the status of a new namespace and gives it the
// "kubernetes" finalizer: when the namespace is deleted, the namespace
// controller removes its content and then that finalizer.
func prepareNamespace(o api.Object) {
	ns := o.(*api.Namespace)
	ns.Status = api.NamespaceStatus{}
	if !slices.Contains(ns.Spec.Finalizers, api.FinalizerKubernetes) {
		ns.Spec.Finalizers = append(ns.Spec.Finalizers, api.FinalizerKubernetes)
	}
}

func nodes() *Resource {
	return &Resource{
		Version: "v1", Kind: "Node", Plural: "nodes", Singular: "node", ShortNames: []string{"no"},
		New:            func() api.Object { return &api.Node{} },
		Defaults:       func(api.Object) {},
		Validate:       typedValidate(api.ValidateNode),
		ValidateUpdate: typedValidateUpdate(api.ValidateNodeUpdate),
		HasStatus:      true,
		Fields: map[string]func(api.Object) string{
			"spec.unschedulable": func(o api.Object) string { return strconv.FormatBool(o.(*api.Node).Spec.Unschedulable) },
		},
		Table: nodeTable,
	}
}

func pods() *Resource {
	return &Resource{
		Version: "v1", Kind: "Pod", Plural: "pods", Singular: "pod", ShortNames: []string{"po"}, Categories: []string{"all"},
		Namespaced:           true,
		New:                  func() api.Object { return &api.Pod{} },
		Defaults:             typed(api.SetDefaultsPod),
		Validate:             typedValidate(api.ValidatePod),
		ValidateUpdate:       typedValidateUpdate(api.ValidatePodUpdate),
		HasStatus:            true,
		ValidateStatusUpdate: typedValidateUpdate(api.ValidatePodStatusUpdate),
		PrepareForCreate: func(o api.Object) {
			p := o.(*api.Pod)
			p.Status = api.PodStatus{}
		},
		Fields: map[string]func(api.Object) string{
			"spec.nodeName":           func(o api.Object) string { return o.(*api.Pod).Spec.NodeName },
			"spec.restartPolicy":      func(o api.Object) string { return o.(*api.Pod).Spec.RestartPolicy },
			"spec.schedulerName":      func(o api.Object) string { return o.(*api.Pod).Spec.SchedulerName },
			"spec.serviceAccountName": func(o api.Object) string { return o.(*api.Pod).Spec.ServiceAccountName },
			"spec.hostNetwork":        func(o api.Object) string { return strconv.FormatBool(o.(*api.Pod).Spec.HostNetwork) },
			"status.phase":            func(o api.Object) string { return o.(*api.Pod).Status.Phase },
			"status.podIP":            func(o api.Object) string { return o.(*api.Pod).Status.PodIP },
			"status.nominatedNodeName": func(o api.Object) string {
				return o.(*api.Pod).Status.NominatedNodeName
			},
		},
		Table:          podTable,
		GracefulDelete: podGracefulDelete,
		// pods/log and pods/exec are served by the node agent of the pod's node.
		Subresources: []Subresource{
			{Name: "log", Kind: "Pod", Verbs: []string{"get"}},
			{Name: "exec", Kind: "PodExecOptions", Verbs: []string{"create", "get"}},
		},
	}
}

// podGracefulDelete: a pod running on a node is only marked for deletion, so its
// node agent can stop it within the grace period and then delete it for good; a
// pod on no node, or already finished, goes at once.
func podGracefulDelete(obj api.Object, requested *int64) (int64, bool) {
	p := obj.(*api.Pod)
	grace := int64(30)
	if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	if requested != nil {
		grace = *requested
	}
	if p.Spec.NodeName == "" || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed || grace <= 0 {
		return 0, false
	}
	return grace, true
}

func events() *Resource {
	ref := func(f func(r api.ObjectReference) string) func(api.Object) string {
		return func(o api.Object) string { return f(o.(*api.Event).InvolvedObject) }
	}
	return &Resource{
		Version: "v1", Kind: "Event", Plural: "events", Singular: "event", ShortNames: []string{"ev"},
		Namespaced:          true,
		New:                 func() api.Object { return &api.Event{} },
		Defaults:            func(api.Object) {},
		Validate:            typedValidate(api.ValidateEvent),
		AllowCreateOnUpdate: true,
		Fields: map[string]func(api.Object) string{
			"involvedObject.kind":            ref(func(r api.ObjectReference) string { return r.Kind }),
			"involvedObject.namespace":       ref(func(r api.ObjectReference) string { return r.Namespace }),
			"involvedObject.name":            ref(func(r api.ObjectReference) string { return r.Name }),
			"involvedObject.uid":             ref(func(r api.ObjectReference) string { return r.UID }),
			"involvedObject.apiVersion":      ref(func(r api.ObjectReference) string { return r.APIVersion }),
			"involvedObject.resourceVersion": ref(func(r api.ObjectReference) string { return r.ResourceVersion }),
			"involvedObject.fieldPath":       ref(func(r api.ObjectReference) string { return r.FieldPath }),
			"reason":                         func(o api.Object) string { return o.(*api.Event).Reason },
			"reportingComponent":             func(o api.Object) string { return o.(*api.Event).ReportingController },
			"source":                         func(o api.Object) string { return o.(*api.Event).Source.Component },
			"type":                           func(o api.Object) string { return o.(*api.Event).Type },
		},
		Table: eventTable,
	}
}

func configMaps() *Resource {
	return &Resource{
		Version: "v1", Kind: "ConfigMap", Plural: "configmaps", Singular: "configmap", ShortNames: []string{"cm"},
		Namespaced:     true,
		New:            func() api.Object { return &api.ConfigMap{} },
		Defaults:       func(api.Object) {},
		Validate:       typedValidate(api.ValidateConfigMap),
		ValidateUpdate: typedValidateUpdate(api.ValidateConfigMapUpdate),
		Table:          configMapTable,
	}
}

func secrets() *Resource {
	return &Resource{
		Version: "v1", Kind: "Secret", Plural: "secrets", Singular: "secret",
		Namespaced:     true,
		New:            func() api.Object { return &api.Secret{} },
		Defaults:       typed(api.SetDefaultsSecret),
		Validate:       typedValidate(api.ValidateSecret),
		ValidateUpdate: typedValidateUpdate(api.ValidateSecretUpdate),
		Fields:         map[string]func(api.Object) string{"type": func(o api.Object) string { return o.(*api.Secret).Type }},
		Table:          secretTable,
	}
}

func serviceAccounts() *Resource {
	return &Resource{
		Version: "v1", Kind: "ServiceAccount", Plural: "serviceaccounts", Singular: "serviceaccount", ShortNames: []string{"sa"},
		Namespaced:   true,
		New:          func() api.Object { return &api.ServiceAccount{} },
		Defaults:     func(api.Object) {},
		Validate:     typedValidate(api.ValidateServiceAccount),
		Subresources: []Subresource{{Name: "token", Kind: "TokenRequest", Group: "authentication.k8s.io", Version: "v1", Verbs: []string{"create"}}},
	}
}

func services() *Resource {
	return &Resource{
		Version: "v1", Kind: "Service", Plural: "services", Singular: "service", ShortNames: []string{"svc"}, Categories: []string{"all"},
		Namespaced:          true,
		New:                 func() api.Object { return &api.Service{} },
		Defaults:            typed(api.SetDefaultsService),
		Validate:            typedValidate(api.ValidateService),
		HasStatus:           true,
		AllowCreateOnUpdate: true,
		PrepareForCreate:    ResetStatus,
		Table:               serviceTable,
	}
}

func endpoints() *Resource {
	return &Resource{
		Version: "v1", Kind: "Endpoints", Plural: "endpoints", Singular: "endpoints", ShortNames: []string{"ep"},
		Namespaced:          true,
		New:                 func() api.Object { return &api.Endpoints{} },
		Defaults:            typed(api.SetDefaultsEndpoints),
		Validate:            typedValidate(api.ValidateEndpoints),
		AllowCreateOnUpdate: true,
		Table:               endpointsTable,
	}
}

func leases() *Resource {
	return &Resource{
		Group: "coordination.k8s.io", Version: "v1", Kind: "Lease", Plural: "leases", Singular: "lease",
		Namespaced:          true,
		New:                 func() api.Object { return &api.Lease{} },
		Defaults:            func(api.Object) {},
		Validate:            typedValidate(api.ValidateLease),
		AllowCreateOnUpdate: true,
		Table:               leaseTable,
	}
}

func replicaSets() *Resource {
	return &Resource{
		Group: "apps", Version: "v1", Kind: "ReplicaSet", Plural: "replicasets", Singular: "replicaset",
		ShortNames: []string{"rs"}, Categories: []string{"all"},
		Namespaced:       true,
		New:              func() api.Object { return &api.ReplicaSet{} },
		Defaults:         typed(api.SetDefaultsReplicaSet),
		Validate:         typedValidate(api.ValidateReplicaSet),
		ValidateUpdate:   typedValidateUpdate(api.ValidateReplicaSetUpdate),
		HasStatus:        true,
		PrepareForCreate: ResetStatus,
		TracksGeneration: true,
		HasScale:         true,
		Fields: map[string]func(api.Object) string{
			"status.replicas": func(o api.Object) string { return strconv.Itoa(int(o.(*api.ReplicaSet).Status.Replicas)) },
		},
		Table: replicaSetTable,
	}
}

func deployments() *Resource {
	return &Resource{
		Group: "apps", Version: "v1", Kind: "Deployment", Plural: "deployments", Singular: "deployment",
		ShortNames: []string{"deploy"}, Categories: []string{"all"},
		Namespaced:       true,
		New:              func() api.Object { return &api.Deployment{} },
		Defaults:         typed(api.SetDefaultsDeployment),
		Validate:         typedValidate(api.ValidateDeployment),
		ValidateUpdate:   typedValidateUpdate(api.ValidateDeploymentUpdate),
		HasStatus:        true,
		PrepareForCreate: ResetStatus,
		TracksGeneration: true,
		HasScale:         true,
		Table:            deploymentTable,
	}
}

func limitRanges() *Resource {
	return &Resource{
		Version: "v1", Kind: "LimitRange", Plural: "limitranges", Singular: "limitrange", ShortNames: []string{"limits"},
		Namespaced: true,
		New:        func() api.Object { return &api.LimitRange{} },
		Defaults:   func(api.Object) {},
		Validate:   typedValidate(api.ValidateLimitRange),
	}
}

func resourceQuotas() *Resource {
	return &Resource{
		Version: "v1", Kind: "ResourceQuota", Plural: "resourcequotas", Singular: "resourcequota", ShortNames: []string{"quota"},
		Namespaced:       true,
		New:              func() api.Object { return &api.ResourceQuota{} },
		Defaults:         func(api.Object) {},
		Validate:         typedValidate(api.ValidateResourceQuota),
		HasStatus:        true,
		PrepareForCreate: ResetStatus,
		Table:            quotaTable,
	}
}

func priorityClasses() *Resource {
	return &Resource{
		Group: api.SchedulingGroup, Version: "v1", Kind: "PriorityClass", Plural: "priorityclasses", Singular: "priorityclass",
		ShortNames:     []string{"pc"},
		New:            func() api.Object { return &api.PriorityClass{} },
		Defaults:       typed(api.SetDefaultsPriorityClass),
		Validate:       typedValidate(api.ValidatePriorityClass),
		ValidateUpdate: typedValidateUpdate(api.ValidatePriorityClassUpdate),
		Table:          priorityClassTable,
	}
}

func roles() *Resource {
	return &Resource{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role", Plural: "roles", Singular: "role",
		Namespaced: true,
		New:        func() api.Object { return &api.Role{} },
		Defaults:   func(api.Object) {},
		Validate:   typedValidate(api.ValidateRole),
		Table:      roleTable,
	}
}

func clusterRoles() *Resource {
	return &Resource{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Plural: "clusterroles", Singular: "clusterrole",
		New:      func() api.Object { return &api.ClusterRole{} },
		Defaults: func(api.Object) {},
		Validate: typedValidate(api.ValidateClusterRole),
		Table:    roleTable,
	}
}

func roleBindings() *Resource {
	return &Resource{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding", Plural: "rolebindings", Singular: "rolebinding",
		Namespaced:     true,
		New:            func() api.Object { return &api.RoleBinding{} },
		Defaults:       func(api.Object) {},
		Validate:       typedValidate(api.ValidateRoleBinding),
		ValidateUpdate: typedValidateUpdate(api.ValidateRoleBindingUpdate),
		Table:          bindingTable,
	}
}

func clusterRoleBindings() *Resource {
	return &Resource{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding", Plural: "clusterrolebindings", Singular: "clusterrolebinding",
		New:            func() api.Object { return &api.ClusterRoleBinding{} },
		Defaults:       func(api.Object) {},
		Validate:       typedValidate(api.ValidateClusterRoleBinding),
		ValidateUpdate: typedValidateUpdate(api.ValidateClusterRoleBindingUpdate),
		Table:          bindingTable,
	}
}

// review is a virtual resource answered by the apiserver: access and token reviews.
func review(group, kind, plural string, namespaced bool) *Resource {
	newObj := map[string]func() api.Object{
		"SelfSubjectAccessReview":  func() api.Object { return &api.SelfSubjectAccessReview{} },
		"SelfSubjectRulesReview":   func() api.Object { return &api.SelfSubjectRulesReview{} },
		"SubjectAccessReview":      func() api.Object { return &api.SubjectAccessReview{} },
		"LocalSubjectAccessReview": func() api.Object { return &api.SubjectAccessReview{} },
		"SelfSubjectReview":        func() api.Object { return &api.SelfSubjectReview{} },
		"TokenReview":              func() api.Object { return &api.TokenReview{} },
	}[kind]
	return &Resource{
		Group: group, Version: "v1", Kind: kind, Plural: plural, Singular: strings.ToLower(kind),
		Namespaced: namespaced, Virtual: true, New: newObj,
		Defaults: func(api.Object) {}, Validate: func(api.Object) api.FieldErrors { return nil },
	}
}
