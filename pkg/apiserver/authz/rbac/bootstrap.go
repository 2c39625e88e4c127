package rbac

import (
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// Bootstrap objects are marked as Kubernetes marks them, so tools recognise them
// and the apiserver knows it may reset them to these defaults.
const (
	BootstrapLabel       = "kubernetes.io/bootstrapping"
	BootstrapLabelValue  = "rbac-defaults"
	AutoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
)

// API groups the default roles refer to.
const (
	coreGroup           = ""
	appsGroup           = "apps"
	authenticationGroup = "authentication.k8s.io"
	authorizationGroup  = "authorization.k8s.io"
	certificatesGroup   = "certificates.k8s.io"
	coordinationGroup   = "coordination.k8s.io"
	eventsGroup         = "events.k8s.io"
	policyGroup         = "policy"
	rbacGroup           = api.RBACGroup
	schedulingGroup     = "scheduling.k8s.io"
	storageGroup        = "storage.k8s.io"
)

// Well-known identities the default bindings name.
const (
	kubeScheduler         = "system:kube-scheduler"
	kubeControllerManager = "system:kube-controller-manager"
	bootstrappersGroup    = "system:bootstrappers"
	nodesGroup            = "system:nodes"
	kubeletClientSigner   = "kubernetes.io/kube-apiserver-client-kubelet"
	kubeletServingSigner  = "kubernetes.io/kubelet-serving"
	apiserverClientSigner = "kubernetes.io/kube-apiserver-client"

	// Roles the CSR approver checks: may the requester ask for a node client
	// certificate for a new node, or renew its own?
	nodeClientRole     = "system:certificates.k8s.io:certificatesigningrequests:nodeclient"
	selfNodeClientRole = "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"
	// ClusterInfoRole lets anyone read kube-public/cluster-info (kubeadm's name).
	ClusterInfoRole = "kubeadm:bootstrap-signer-clusterinfo"
)

// Verb sets, as upstream names them. They are never modified: policyRule copies them.
var (
	read      = []string{"get", "list", "watch"}
	write     = []string{"create", "delete", "deletecollection", "patch", "update"}
	readWrite = append(slices.Clone(read), write...)
)

// BootstrapPolicy returns the ClusterRoles and ClusterRoleBindings every Skiff
// cluster starts with. Names and meanings are Kubernetes'; the resource lists
// are trimmed to what Skiff serves. Each call returns new objects.
func BootstrapPolicy() (roles []*api.ClusterRole, bindings []*api.ClusterRoleBinding) {
	roles = []*api.ClusterRole{
		// Can do anything, anywhere.
		clusterRole("cluster-admin",
			newRule("*").groups("*").resources("*"),
			newRule("*").urls("*"),
		),
		// Namespace roles, bound with RoleBindings: view ⊂ edit ⊂ admin.
		clusterRole("admin", adminRules()...),
		clusterRole("edit", editRules()...),
		clusterRole("view", viewRules()...),
		// Any signed-in user may ask what they themselves may do.
		clusterRole("system:basic-user",
			newRule("create").groups(authorizationGroup).resources("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			newRule("create").groups(authenticationGroup).resources("selfsubjectreviews"),
		),
		// Enough to negotiate API versions and check health.
		clusterRole("system:discovery",
			newRule("get").urls("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz",
				"/version", "/version/", "/openapi", "/openapi/*"),
		),
		// What anyone, even unauthenticated, may read.
		clusterRole("system:public-info-viewer",
			newRule("get").urls("/healthz", "/livez", "/readyz", "/version", "/version/"),
		),
		// A joining node asks for its client certificate and waits for it.
		clusterRole("system:node-bootstrapper",
			newRule("create", "get", "list", "watch").groups(certificatesGroup).resources("certificatesigningrequests"),
		),
		// The CSR approver approves a node's client certificate when its
		// requester may create these (virtual) subresources.
		clusterRole(nodeClientRole,
			newRule("create").groups(certificatesGroup).resources("certificatesigningrequests/nodeclient")),
		clusterRole(selfNodeClientRole,
			newRule("create").groups(certificatesGroup).resources("certificatesigningrequests/selfnodeclient")),
		clusterRole(kubeScheduler, schedulerRules()...),
		clusterRole(kubeControllerManager, controllerManagerRules()...),
	}
	bindings = []*api.ClusterRoleBinding{
		clusterRoleBinding("cluster-admin", groupSubject(request.SystemPrivilegedGrp)),
		clusterRoleBinding("system:basic-user", groupSubject(request.AllAuthenticated)),
		clusterRoleBinding("system:discovery", groupSubject(request.AllAuthenticated)),
		clusterRoleBinding("system:public-info-viewer", groupSubject(request.AllAuthenticated), groupSubject(request.AllUnauthenticated)),
		clusterRoleBinding("system:node-bootstrapper", groupSubject(bootstrappersGroup)),
		// kubeadm's bindings: any bootstrap token may get a new node its client
		// certificate; every node may renew its own.
		namedClusterRoleBinding("skiff:node-autoapprove-bootstrap", nodeClientRole, groupSubject(bootstrappersGroup)),
		namedClusterRoleBinding("skiff:node-autoapprove-certificate-rotation", selfNodeClientRole, groupSubject(nodesGroup)),
		clusterRoleBinding(kubeScheduler, userSubject(kubeScheduler)),
		clusterRoleBinding(kubeControllerManager, userSubject(kubeControllerManager)),
	}
	return roles, bindings
}

// BootstrapNamespacedPolicy returns the Roles and RoleBindings every cluster
// starts with: kube-public/cluster-info is readable by anyone, signed in or
// not, so a joining node can find and verify the cluster (kubeadm's
// kubeadm:bootstrap-signer-clusterinfo).
func BootstrapNamespacedPolicy() (roles []*api.Role, bindings []*api.RoleBinding) {
	meta := bootstrapMeta(ClusterInfoRole)
	meta.Namespace = api.NamespacePublic
	roles = []*api.Role{{
		TypeMeta:   api.TypeMeta{APIVersion: rbacGroup + "/v1", Kind: "Role"},
		ObjectMeta: meta,
		Rules:      []api.PolicyRule{newRule("get").groups(coreGroup).resources("configmaps").names("cluster-info").policyRule()},
	}}
	bindings = []*api.RoleBinding{{
		TypeMeta:   api.TypeMeta{APIVersion: rbacGroup + "/v1", Kind: "RoleBinding"},
		ObjectMeta: api.DeepCopy(meta),
		Subjects:   []api.Subject{userSubject(request.Anonymous)},
		RoleRef:    api.RoleRef{APIGroup: rbacGroup, Kind: "Role", Name: ClusterInfoRole},
	}}
	return roles, bindings
}

// viewRules read what a namespace holds, except secrets (reading them would
// reveal service-account tokens: an escalation) and the RBAC objects.
func viewRules() []ruleBuilder {
	return []ruleBuilder{
		newRule(read...).groups(coreGroup).resources("pods", "pods/log", "pods/status",
			"services", "endpoints", "configmaps", "serviceaccounts", "persistentvolumeclaims"),
		newRule(read...).groups(coreGroup).resources("events", "limitranges", "resourcequotas", "resourcequotas/status"),
		// Read on namespaces through a RoleBinding means reading *this* namespace.
		newRule(read...).groups(coreGroup).resources("namespaces", "namespaces/status"),
		newRule(read...).groups(appsGroup).resources("deployments", "deployments/status", "deployments/scale",
			"replicasets", "replicasets/status", "replicasets/scale"),
	}
}

// editRules are view plus changing the workloads and their configuration,
// secrets included. Quotas, limits and RBAC stay read-only or out of reach.
func editRules() []ruleBuilder {
	return append(viewRules(),
		newRule(read...).groups(coreGroup).resources("secrets", "pods/exec"),
		newRule(write...).groups(coreGroup).resources("pods", "pods/exec",
			"services", "endpoints", "configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims"),
		newRule("create").groups(coreGroup).resources("serviceaccounts/token"),
		newRule(write...).groups(appsGroup).resources("deployments", "deployments/scale", "replicasets", "replicasets/scale"),
	)
}

// adminRules are edit plus granting access within the namespace.
func adminRules() []ruleBuilder {
	return append(editRules(),
		newRule(readWrite...).groups(rbacGroup).resources("roles", "rolebindings"),
		newRule("create").groups(authorizationGroup).resources("localsubjectaccessreviews"),
	)
}

func schedulerRules() []ruleBuilder {
	return []ruleBuilder{
		// Events about scheduling decisions.
		newRule("create", "patch", "update").groups(coreGroup, eventsGroup).resources("events"),
		// Leader election on the Lease named kube-scheduler.
		newRule("create").groups(coordinationGroup).resources("leases"),
		newRule("get", "update").groups(coordinationGroup).resources("leases").names("kube-scheduler"),
		// Placing pods on nodes; delete is for preemption.
		newRule(read...).groups(coreGroup).resources("nodes"),
		newRule("get", "list", "watch", "delete").groups(coreGroup).resources("pods"),
		newRule("create").groups(coreGroup).resources("pods/binding", "bindings"),
		newRule("patch", "update").groups(coreGroup).resources("pods/status"),
		// Things that select pods, for spreading and affinity.
		newRule(read...).groups(coreGroup).resources("namespaces", "services"),
		newRule(read...).groups(appsGroup).resources("replicasets", "deployments"),
		// Things pods use, or that apply to them.
		newRule(read...).groups(schedulingGroup).resources("priorityclasses"),
		newRule("list", "watch").groups(policyGroup).resources("poddisruptionbudgets"),
		newRule(read...).groups(coreGroup).resources("persistentvolumes", "persistentvolumeclaims"),
		newRule("list", "watch").groups(storageGroup).resources("storageclasses", "csinodes"),
		// Checking credentials of callers (these creates change nothing).
		newRule("create").groups(authenticationGroup).resources("tokenreviews"),
		newRule("create").groups(authorizationGroup).resources("subjectaccessreviews"),
	}
}

// controllerManagerRules serve every Skiff controller, which all run as one
// user (Kubernetes gives each controller its own service account and role).
func controllerManagerRules() []ruleBuilder {
	return []ruleBuilder{
		// Shared informers: every controller lists and watches what it manages.
		newRule(read...).groups("*").resources("*"),
		// ReplicaSet and Deployment controllers.
		newRule(write...).groups(coreGroup).resources("pods", "pods/status"),
		newRule(write...).groups(appsGroup).resources("replicasets", "replicasets/status", "replicasets/scale",
			"deployments", "deployments/status", "deployments/scale"),
		// Node lifecycle and pod-CIDR controllers; leases also for leader election.
		newRule(write...).groups(coreGroup).resources("nodes", "nodes/status"),
		newRule(write...).groups(coordinationGroup).resources("leases"),
		// Namespace controller.
		newRule(write...).groups(coreGroup).resources("namespaces", "namespaces/status", "namespaces/finalize"),
		// Service-account and token controllers, root CA publisher, endpoints, quota.
		newRule(write...).groups(coreGroup).resources("serviceaccounts", "secrets", "configmaps", "endpoints"),
		newRule("create").groups(coreGroup).resources("serviceaccounts/token"),
		newRule(write...).groups(coreGroup).resources("resourcequotas/status"),
		// Every controller records events.
		newRule(write...).groups(coreGroup, eventsGroup).resources("events"),
		// CSR approving (node client and serving certificates) and signing
		// (the three signers Skiff has).
		newRule(write...).groups(certificatesGroup).resources("certificatesigningrequests",
			"certificatesigningrequests/approval", "certificatesigningrequests/status"),
		newRule("approve").groups(certificatesGroup).resources("signers").names(kubeletClientSigner, kubeletServingSigner),
		newRule("sign").groups(certificatesGroup).resources("signers").names(kubeletClientSigner, kubeletServingSigner, apiserverClientSigner),
		// The garbage collector deletes dependents of any kind and patches away
		// owner references and its finalizers; the namespace controller empties
		// a namespace being deleted.
		newRule("delete", "deletecollection", "patch", "update").groups("*").resources("*"),
		// Checking credentials of callers.
		newRule("create").groups(authenticationGroup).resources("tokenreviews"),
		newRule("create").groups(authorizationGroup).resources("subjectaccessreviews"),
	}
}

// ruleBuilder writes a PolicyRule in one line, like upstream's
// rbacv1helpers.NewRule("get").Groups("").Resources("pods").
type ruleBuilder api.PolicyRule

func newRule(verbs ...string) ruleBuilder { return ruleBuilder{Verbs: verbs} }

func (b ruleBuilder) groups(g ...string) ruleBuilder    { b.APIGroups = g; return b }
func (b ruleBuilder) resources(r ...string) ruleBuilder { b.Resources = r; return b }
func (b ruleBuilder) names(n ...string) ruleBuilder     { b.ResourceNames = n; return b }
func (b ruleBuilder) urls(u ...string) ruleBuilder      { b.NonResourceURLs = u; return b }

// policyRule copies every list, so roles never share memory with each other or
// with the verb sets above.
func (b ruleBuilder) policyRule() api.PolicyRule {
	return api.PolicyRule{
		Verbs:           slices.Clone(b.Verbs),
		APIGroups:       slices.Clone(b.APIGroups),
		Resources:       slices.Clone(b.Resources),
		ResourceNames:   slices.Clone(b.ResourceNames),
		NonResourceURLs: slices.Clone(b.NonResourceURLs),
	}
}

func clusterRole(name string, rules ...ruleBuilder) *api.ClusterRole {
	r := &api.ClusterRole{
		TypeMeta:   api.TypeMeta{APIVersion: rbacGroup + "/v1", Kind: "ClusterRole"},
		ObjectMeta: bootstrapMeta(name),
	}
	for _, b := range rules {
		r.Rules = append(r.Rules, b.policyRule())
	}
	return r
}

func clusterRoleBinding(role string, subjects ...api.Subject) *api.ClusterRoleBinding {
	return namedClusterRoleBinding(role, role, subjects...)
}

func namedClusterRoleBinding(name, role string, subjects ...api.Subject) *api.ClusterRoleBinding {
	return &api.ClusterRoleBinding{
		TypeMeta:   api.TypeMeta{APIVersion: rbacGroup + "/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: bootstrapMeta(name),
		Subjects:   subjects,
		RoleRef:    api.RoleRef{APIGroup: rbacGroup, Kind: "ClusterRole", Name: role},
	}
}

func bootstrapMeta(name string) api.ObjectMeta {
	return api.ObjectMeta{
		Name:        name,
		Labels:      map[string]string{BootstrapLabel: BootstrapLabelValue},
		Annotations: map[string]string{AutoupdateAnnotation: "true"},
	}
}

func groupSubject(name string) api.Subject {
	return api.Subject{Kind: api.GroupKind, APIGroup: rbacGroup, Name: name}
}

func userSubject(name string) api.Subject {
	return api.Subject{Kind: api.UserKind, APIGroup: rbacGroup, Name: name}
}
