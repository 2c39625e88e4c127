package rbac

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"
)

// testPolicy is the fixture the Authorize table runs against.
func testPolicy() *fakeLister {
	return newLister().
		withClusterRole("pod-reader", pr("get,list,watch", "", "pods")).
		withClusterRole("pod-logs", pr("get", "", "pods/log")).
		withClusterRole("scaler", pr("get,update,patch", "apps", "*/scale")).
		withClusterRole("node-reader", pr("get,list", "", "nodes")).
		withClusterRole("health", urlRule("get", "/healthz", "/healthz/*")).
		withClusterRole("named-cm", pr("get,update", "", "configmaps", "app-config")).
		withClusterRole("deploy-editor", pr("*", "apps", "deployments")).
		withClusterRole("everything", pr("*", "*", "*")).
		withClusterRole("secret-reader", pr("get", "", "secrets")). // bound to nobody
		withRole("ns1", "cm-reader", pr("get,list", "", "configmaps")).
		withClusterRoleBinding("pod-reader-bob", clusterRoleRef("pod-reader"), userSubject("bob")).
		withClusterRoleBinding("nodes-ops", clusterRoleRef("node-reader"), groupSubject("ops")).
		withClusterRoleBinding("health-all", clusterRoleRef("health"), groupSubject(request.AllAuthenticated)).
		withClusterRoleBinding("scaler-sa", clusterRoleRef("scaler"), saSubject("kube-system", "autoscaler")).
		withClusterRoleBinding("sa-without-ns", clusterRoleRef("pod-reader"), saSubject("", "x")).
		withClusterRoleBinding("gone", clusterRoleRef("missing"), userSubject("carol")).
		withClusterRoleBinding("admins", clusterRoleRef("everything"), groupSubject("admins")).
		withClusterRoleBinding("wrong-kind", roleRef("cm-reader"), userSubject("dave")).
		withRoleBinding("ns1", "alice-deploy", clusterRoleRef("deploy-editor"), userSubject("alice")).
		withRoleBinding("ns1", "alice-cm", roleRef("cm-reader"), userSubject("alice")).
		withRoleBinding("ns1", "alice-nodes", clusterRoleRef("node-reader"), userSubject("alice")).
		withRoleBinding("ns1", "ci", clusterRoleRef("pod-reader"), saSubject("", "ci")).
		withRoleBinding("ns1", "builder", clusterRoleRef("deploy-editor"), saSubject("ns2", "builder")).
		withRoleBinding("ns1", "dev-logs", clusterRoleRef("pod-logs"), groupSubject("devs")).
		withRoleBinding("ns1", "erin-cm", clusterRoleRef("named-cm"), userSubject("erin")).
		withRoleBinding("ns1", "frank", roleRef("nope"), userSubject("frank"))
}

func TestAuthorize(t *testing.T) {
	var (
		bob       = newUser("bob")
		alice     = newUser("alice")
		carol     = newUser("carol")
		dave      = newUser("dave")
		erin      = newUser("erin")
		frank     = newUser("frank")
		dev       = newUser("dan", "devs")
		op        = newUser("olga", "ops")
		admin     = newUser("root", "admins")
		ci        = saUser("ns1", "ci")
		builder   = saUser("ns2", "builder")
		scaler    = saUser("kube-system", "autoscaler")
		anonymous = &request.User{Name: request.Anonymous, Groups: []string{request.AllUnauthenticated}}
	)
	const (
		hintEverything = `RBAC: roles that would allow this: ClusterRole "everything"`
		hintPods       = `RBAC: roles that would allow this: ClusterRole "everything", ClusterRole "pod-reader"`
		hintDeploy     = `RBAC: roles that would allow this: ClusterRole "deploy-editor", ClusterRole "everything"`
	)
	tests := []struct {
		name   string
		user   *request.User
		req    reqBuilder
		want   authz.Decision
		reason string
	}{
		// Users, through ClusterRoleBindings.
		{"user get pod", bob, res("get", "pods").in("ns1").named("web"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "pod-reader-bob" of ClusterRole "pod-reader" to User "bob"`},
		{"user lists pods in all namespaces", bob, res("list", "pods"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "pod-reader-bob" of ClusterRole "pod-reader" to User "bob"`},
		{"user watches pods in any namespace", bob, res("watch", "pods").in("ns2"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "pod-reader-bob" of ClusterRole "pod-reader" to User "bob"`},
		{"user verb not granted", bob, res("delete", "pods").in("ns1").named("web"), authz.NoOpinion, hintEverything},
		{"pods does not reach pods/log", bob, res("get", "pods").in("ns1").named("web").sub("log"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", ClusterRole "pod-logs"`},
		{"pods does not reach pods/status", bob, res("get", "pods").in("ns1").named("web").sub("status"), authz.NoOpinion, hintEverything},
		{"wrong API group", bob, res("get", "pods").group("apps").in("ns1").named("web"), authz.NoOpinion, hintEverything},
		{"other user", newUser("mallory"), res("get", "pods").in("ns1").named("web"), authz.NoOpinion, hintPods},

		// Groups.
		{"group member gets node", op, res("get", "nodes").named("n1"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "nodes-ops" of ClusterRole "node-reader" to Group "ops"`},
		{"group member lists nodes", op, res("list", "nodes"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "nodes-ops" of ClusterRole "node-reader" to Group "ops"`},
		{"group through RoleBinding", dev, res("get", "pods").sub("log").in("ns1").named("web"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/dev-logs" of ClusterRole "pod-logs" to Group "devs"`},
		{"group RoleBinding is scoped to its namespace", dev, res("get", "pods").sub("log").in("ns2").named("web"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", ClusterRole "pod-logs"`},
		{"star role through group", admin, res("deletecollection", "secrets").in("ns3"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "everything" to Group "admins"`},
		{"star role for a cluster-scoped resource in any group", admin, res("create", "widgets").group("example.com"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "everything" to Group "admins"`},

		// RoleBindings: to ClusterRoles and Roles, within their namespace only.
		{"RoleBinding to ClusterRole in its namespace", alice, res("update", "deployments").group("apps").in("ns1").named("web"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/alice-deploy" of ClusterRole "deploy-editor" to User "alice"`},
		{"RoleBinding to ClusterRole elsewhere", alice, res("update", "deployments").group("apps").in("ns2").named("web"), authz.NoOpinion, hintDeploy},
		{"RoleBinding across all namespaces", alice, res("list", "deployments").group("apps"), authz.NoOpinion, hintDeploy},
		{"RoleBinding to Role", alice, res("list", "configmaps").in("ns1"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/alice-cm" of Role "cm-reader" to User "alice"`},
		{"Role does not apply elsewhere", alice, res("list", "configmaps").in("ns2"), authz.NoOpinion, hintEverything},
		{"deny hint lists Roles in the namespace", bob, res("list", "configmaps").in("ns1"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", Role "cm-reader"`},
		{"cluster-scoped resource not via RoleBinding", alice, res("list", "nodes"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", ClusterRole "node-reader"`},
		{"star verb does not reach subresources", alice, res("update", "deployments").sub("scale").group("apps").in("ns1").named("web"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", ClusterRole "scaler"`},

		// Service accounts.
		{"SA in binding namespace by default", ci, res("list", "pods").in("ns1"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/ci" of ClusterRole "pod-reader" to ServiceAccount "ns1/ci"`},
		{"SA binding only in its namespace", ci, res("list", "pods").in("ns2"), authz.NoOpinion, hintPods},
		{"SA from another namespace", builder, res("create", "deployments").group("apps").in("ns1"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/builder" of ClusterRole "deploy-editor" to ServiceAccount "ns2/builder"`},
		{"same SA name, wrong namespace", saUser("ns1", "builder"), res("create", "deployments").group("apps").in("ns1"), authz.NoOpinion, hintDeploy},
		{"ClusterRoleBinding SA without namespace matches nobody", newUser("system:serviceaccount::x"), res("list", "pods"), authz.NoOpinion, hintPods},
		{"user named like an SA subject", newUser("x"), res("list", "pods"), authz.NoOpinion, hintPods},

		// Subresource wildcards.
		{"*/scale on deployments", scaler, res("update", "deployments").sub("scale").group("apps").in("ns1").named("web"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "scaler-sa" of ClusterRole "scaler" to ServiceAccount "kube-system/autoscaler"`},
		{"*/scale on replicasets", scaler, res("patch", "replicasets").sub("scale").group("apps").in("ns1").named("web"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "scaler-sa" of ClusterRole "scaler" to ServiceAccount "kube-system/autoscaler"`},
		{"*/scale not the resource itself", scaler, res("update", "deployments").group("apps").in("ns1").named("web"), authz.NoOpinion, hintDeploy},
		{"*/scale not another subresource", scaler, res("get", "deployments").sub("status").group("apps").in("ns1").named("web"), authz.NoOpinion, hintEverything},
		{"*/scale in another group", scaler, res("get", "deployments").sub("scale").in("ns1").named("web"), authz.NoOpinion, hintEverything},

		// resourceNames.
		{"named object get", erin, res("get", "configmaps").in("ns1").named("app-config"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/erin-cm" of ClusterRole "named-cm" to User "erin"`},
		{"named object update", erin, res("update", "configmaps").in("ns1").named("app-config"), authz.Allow,
			`RBAC: allowed by RoleBinding "ns1/erin-cm" of ClusterRole "named-cm" to User "erin"`},
		{"other object", erin, res("get", "configmaps").in("ns1").named("other"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", Role "cm-reader"`},
		{"resourceNames never allow list", erin, res("list", "configmaps").in("ns1"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "everything", Role "cm-reader"`},
		{"resourceNames never allow create", erin, res("create", "configmaps").in("ns1"), authz.NoOpinion, hintEverything},

		// Non-resource URLs.
		{"exact URL", bob, path("get", "/healthz"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "health-all" of ClusterRole "health" to Group "system:authenticated"`},
		{"prefix URL", bob, path("get", "/healthz/etcd"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "health-all" of ClusterRole "health" to Group "system:authenticated"`},
		{"prefix needs its slash", bob, path("get", "/healthzx"), authz.NoOpinion, ""},
		{"URL verb not granted", bob, path("post", "/healthz"), authz.NoOpinion, ""},
		{"unauthenticated not in group", anonymous, path("get", "/healthz"), authz.NoOpinion,
			`RBAC: roles that would allow this: ClusterRole "health"`},
		{"resource rules never match URLs", admin, path("get", "/metrics"), authz.NoOpinion, ""},
		{"URL rules never match resources", bob, res("get", "healthz"), authz.NoOpinion, hintEverything},

		// Missing roles contribute nothing, and say so.
		{"missing ClusterRole", carol, res("get", "pods").in("ns1").named("web"), authz.NoOpinion,
			`RBAC: ClusterRoleBinding "gone" refers to ClusterRole "missing", which was not found; roles that would allow this: ClusterRole "everything", ClusterRole "pod-reader"`},
		{"missing Role", frank, res("get", "secrets").in("ns1").named("s"), authz.NoOpinion,
			`RBAC: RoleBinding "ns1/frank" refers to Role "nope", which was not found; roles that would allow this: ClusterRole "everything", ClusterRole "secret-reader"`},
		{"ClusterRoleBinding cannot refer to a Role", dave, res("get", "configmaps").in("ns1").named("c"), authz.NoOpinion,
			`RBAC: ClusterRoleBinding "wrong-kind" refers to Role "cm-reader", which was not found; roles that would allow this: ClusterRole "everything", Role "cm-reader"`},

		// No user, no opinion.
		{"nil user", nil, res("get", "pods"), authz.NoOpinion, ""},
	}
	z := New(testPolicy())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, reason, err := z.Authorize(context.Background(), authz.Attributes{User: tt.user, Info: tt.req.info()})
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if d != tt.want {
				t.Errorf("decision = %v, want %v (reason %q)", d, tt.want, reason)
			}
			if diff := cmp.Diff(tt.reason, reason); diff != "" {
				t.Errorf("reason (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthorizeHintIsCapped(t *testing.T) {
	l := newLister()
	for i := range 8 {
		l.withClusterRole(fmt.Sprintf("reader-%d", i), pr("get", "", "pods"))
	}
	l.withRole("ns1", "local", pr("get", "", "pods"))
	l.withRole("ns2", "elsewhere", pr("get", "", "pods"))
	_, reason, _ := New(l).Authorize(context.Background(), authz.Attributes{User: newUser("bob"), Info: res("get", "pods").in("ns1").named("p").info()})
	want := `RBAC: roles that would allow this: ClusterRole "reader-0", ClusterRole "reader-1", ClusterRole "reader-2", ClusterRole "reader-3", ClusterRole "reader-4" and 4 more`
	if diff := cmp.Diff(want, reason); diff != "" {
		t.Errorf("reason (-want +got):\n%s", diff)
	}
}

func TestRulesFor(t *testing.T) {
	l := newLister().
		withClusterRole("a", pr("get", "", "pods")).
		withClusterRole("b", pr("list", "", "nodes"), pr("get", "", "nodes")).
		withRole("ns1", "r", pr("create", "", "configmaps")).
		withClusterRoleBinding("a-bob", clusterRoleRef("a"), userSubject("bob")).
		withClusterRoleBinding("b-other", clusterRoleRef("b"), userSubject("other")).
		withClusterRoleBinding("missing", clusterRoleRef("nope"), userSubject("bob")).
		withRoleBinding("ns1", "r-bob", roleRef("r"), userSubject("bob")).
		withRoleBinding("ns1", "b-devs", clusterRoleRef("b"), groupSubject("devs")).
		withRoleBinding("ns2", "r-bob", roleRef("r"), userSubject("bob"))
	bob := newUser("bob", "devs")
	tests := []struct {
		name      string
		user      *request.User
		namespace string
		want      []api.PolicyRule
	}{
		{"cluster only", bob, "", []api.PolicyRule{pr("get", "", "pods")}},
		{"cluster and namespace", bob, "ns1", []api.PolicyRule{
			pr("get", "", "pods"), pr("create", "", "configmaps"), pr("list", "", "nodes"), pr("get", "", "nodes")}},
		{"Role missing in that namespace", bob, "ns2", []api.PolicyRule{pr("get", "", "pods")}},
		{"stranger", newUser("eve"), "ns1", nil},
		{"nil user", nil, "ns1", nil},
	}
	z := New(l)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, z.RulesFor(tt.user, tt.namespace)); diff != "" {
				t.Errorf("RulesFor (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkAuthorize measures one allowed request against the default policy
// plus a few hundred bindings, the allow found in the last RoleBinding.
func BenchmarkAuthorize(b *testing.B) {
	l := newLister().withBootstrap()
	for i := range 100 {
		l.withClusterRoleBinding(fmt.Sprintf("crb-%d", i), clusterRoleRef("view"), userSubject(fmt.Sprintf("u%d", i)))
		l.withRoleBinding("team", fmt.Sprintf("rb-%d", i), clusterRoleRef("edit"), userSubject(fmt.Sprintf("u%d", i)))
	}
	z := New(l)
	attrs := authz.Attributes{User: newUser("u99"), Info: res("create", "pods").in("team").info()}
	b.ReportAllocs()
	for b.Loop() {
		if d, _, _ := z.Authorize(context.Background(), attrs); d != authz.Allow {
			b.Fatal("not allowed")
		}
	}
}
