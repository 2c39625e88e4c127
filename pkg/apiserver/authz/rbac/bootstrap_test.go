package rbac

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"
)

func TestBootstrapPolicyIsValid(t *testing.T) {
	roles, bindings := BootstrapPolicy()
	names := map[string]bool{}
	for _, r := range roles {
		if names[r.Name] {
			t.Errorf("ClusterRole %q defined twice", r.Name)
		}
		names[r.Name] = true
		if errs := api.ValidateClusterRole(r); len(errs) > 0 {
			t.Errorf("ClusterRole %q: %v", r.Name, errs)
		}
		checkBootstrapMarks(t, "ClusterRole "+r.Name, r.ObjectMeta)
	}
	for _, b := range bindings {
		if errs := api.ValidateClusterRoleBinding(b); len(errs) > 0 {
			t.Errorf("ClusterRoleBinding %q: %v", b.Name, errs)
		}
		if !names[b.RoleRef.Name] {
			t.Errorf("ClusterRoleBinding %q refers to ClusterRole %q, which is not defined", b.Name, b.RoleRef.Name)
		}
		checkBootstrapMarks(t, "ClusterRoleBinding "+b.Name, b.ObjectMeta)
	}
}

func checkBootstrapMarks(t *testing.T, what string, m api.ObjectMeta) {
	t.Helper()
	if diff := cmp.Diff(map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}, m.Labels); diff != "" {
		t.Errorf("%s labels (-want +got):\n%s", what, diff)
	}
	if diff := cmp.Diff(map[string]string{"rbac.authorization.kubernetes.io/autoupdate": "true"}, m.Annotations); diff != "" {
		t.Errorf("%s annotations (-want +got):\n%s", what, diff)
	}
}

func TestBootstrapPolicyReturnsNewObjects(t *testing.T) {
	roles, _ := BootstrapPolicy()
	for _, r := range roles {
		for i := range r.Rules {
			for j := range r.Rules[i].Verbs {
				r.Rules[i].Verbs[j] = "scribbled"
			}
		}
	}
	again, _ := BootstrapPolicy()
	for _, r := range again {
		for _, rule := range r.Rules {
			for _, v := range rule.Verbs {
				if v == "scribbled" {
					t.Fatalf("ClusterRole %q shares rules with an earlier call", r.Name)
				}
			}
		}
	}
}

// TestBootstrapRoleNesting checks view ⊂ edit ⊂ admin ⊂ cluster-admin, and that
// each step really adds something.
func TestBootstrapRoleNesting(t *testing.T) {
	roles, _ := BootstrapPolicy()
	rulesOf := map[string][]api.PolicyRule{}
	for _, r := range roles {
		rulesOf[r.Name] = r.Rules
	}
	tests := []struct {
		owner, servant string
		want           bool
	}{
		{"edit", "view", true},
		{"admin", "edit", true},
		{"admin", "view", true},
		{"view", "edit", false},
		{"edit", "admin", false},
	}
	for _, r := range roles {
		tests = append(tests, struct {
			owner, servant string
			want           bool
		}{"cluster-admin", r.Name, true})
	}
	for _, tt := range tests {
		t.Run(tt.owner+" covers "+tt.servant, func(t *testing.T) {
			got, missing := Covers(rulesOf[tt.owner], rulesOf[tt.servant])
			if got != tt.want {
				t.Errorf("Covers = %v, want %v; missing %v", got, tt.want, missing)
			}
		})
	}
}

// TestPriorityClassRules: as in Kubernetes, priority classes are cluster-scoped
// and left out of the namespace roles, even bound cluster-wide; the scheduler
// reads them.
func TestPriorityClassRules(t *testing.T) {
	roles, _ := BootstrapPolicy()
	rulesOf := map[string][]api.PolicyRule{}
	for _, r := range roles {
		rulesOf[r.Name] = r.Rules
	}
	read := []api.PolicyRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"scheduling.k8s.io"}, Resources: []string{"priorityclasses"}}}
	for role, want := range map[string]bool{"view": false, "edit": false, "admin": false, kubeScheduler: true, "cluster-admin": true} {
		if got, _ := Covers(rulesOf[role], read); got != want {
			t.Errorf("%s reads priorityclasses: %v, want %v", role, got, want)
		}
	}
}

func TestBootstrapPolicyAuthorize(t *testing.T) {
	l := newLister().withBootstrap().
		withRoleBinding("team", "viewers", clusterRoleRef("view"), userSubject("vic")).
		withRoleBinding("team", "editors", clusterRoleRef("edit"), userSubject("eddie")).
		withRoleBinding("team", "admins", clusterRoleRef("admin"), userSubject("ann"))
	var (
		viewer     = newUser("vic")
		editor     = newUser("eddie")
		admin      = newUser("ann")
		master     = newUser("root", request.SystemPrivilegedGrp)
		scheduler  = newUser("system:kube-scheduler")
		controller = newUser("system:kube-controller-manager")
		joiner     = &request.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", request.AllAuthenticated}}
		anonymous  = &request.User{Name: request.Anonymous, Groups: []string{request.AllUnauthenticated}}
		someone    = newUser("someone")
	)
	tests := []struct {
		name string
		user *request.User
		req  reqBuilder
		want authz.Decision
	}{
		{"view reads pods", viewer, res("list", "pods").in("team"), authz.Allow},
		{"view reads pod logs", viewer, res("get", "pods").sub("log").in("team").named("p"), authz.Allow},
		{"view reads deployments/scale", viewer, res("get", "deployments").sub("scale").group("apps").in("team").named("d"), authz.Allow},
		{"view reads its namespace", viewer, res("get", "namespaces").in("team").named("team"), authz.Allow},
		{"view cannot read secrets", viewer, res("get", "secrets").in("team").named("s"), authz.NoOpinion},
		{"view cannot exec", viewer, res("create", "pods").sub("exec").in("team").named("p"), authz.NoOpinion},
		{"view cannot write", viewer, res("create", "configmaps").in("team"), authz.NoOpinion},
		{"view only in its namespace", viewer, res("list", "pods").in("other"), authz.NoOpinion},
		{"view does not list all namespaces", viewer, res("list", "namespaces"), authz.NoOpinion},

		{"edit creates pods", editor, res("create", "pods").in("team"), authz.Allow},
		{"edit reads secrets", editor, res("get", "secrets").in("team").named("s"), authz.Allow},
		{"edit execs", editor, res("create", "pods").sub("exec").in("team").named("p"), authz.Allow},
		{"edit scales deployments", editor, res("update", "deployments").sub("scale").group("apps").in("team").named("d"), authz.Allow},
		{"edit requests SA tokens", editor, res("create", "serviceaccounts").sub("token").in("team").named("default"), authz.Allow},
		{"edit cannot write roles", editor, res("create", "roles").group("rbac.authorization.k8s.io").in("team"), authz.NoOpinion},
		{"edit cannot write rolebindings", editor, res("create", "rolebindings").group("rbac.authorization.k8s.io").in("team"), authz.NoOpinion},
		{"edit cannot write quotas", editor, res("update", "resourcequotas").in("team").named("q"), authz.NoOpinion},
		{"edit cannot write pod status", editor, res("update", "pods").sub("status").in("team").named("p"), authz.NoOpinion},

		{"admin writes rolebindings", admin, res("create", "rolebindings").group("rbac.authorization.k8s.io").in("team"), authz.Allow},
		{"admin writes roles", admin, res("update", "roles").group("rbac.authorization.k8s.io").in("team").named("r"), authz.Allow},
		{"admin asks local access reviews", admin, res("create", "localsubjectaccessreviews").group("authorization.k8s.io").in("team"), authz.Allow},
		{"admin only in its namespace", admin, res("create", "rolebindings").group("rbac.authorization.k8s.io").in("other"), authz.NoOpinion},
		{"admin cannot write quotas", admin, res("update", "resourcequotas").in("team").named("q"), authz.NoOpinion},
		{"admin cannot write nodes", admin, res("delete", "nodes").named("n1"), authz.NoOpinion},

		{"masters do anything", master, res("delete", "nodes").named("n1"), authz.Allow},
		{"masters reach any URL", master, path("get", "/metrics"), authz.Allow},

		{"scheduler binds pods", scheduler, res("create", "pods").sub("binding").in("team").named("p"), authz.Allow},
		{"scheduler watches nodes", scheduler, res("watch", "nodes"), authz.Allow},
		{"scheduler watches priorityclasses", scheduler, res("watch", "priorityclasses").group("scheduling.k8s.io"), authz.Allow},
		{"scheduler cannot create priorityclasses", scheduler, res("create", "priorityclasses").group("scheduling.k8s.io"), authz.NoOpinion},
		{"scheduler renews its lease", scheduler, res("update", "leases").group("coordination.k8s.io").in("kube-system").named("kube-scheduler"), authz.Allow},
		{"scheduler cannot take another lease", scheduler, res("update", "leases").group("coordination.k8s.io").in("kube-system").named("kube-controller-manager"), authz.NoOpinion},
		{"scheduler cannot create pods", scheduler, res("create", "pods").in("team"), authz.NoOpinion},

		{"controller-manager creates pods", controller, res("create", "pods").in("team"), authz.Allow},
		{"controller-manager lists anything", controller, res("list", "widgets").group("example.com"), authz.Allow},
		{"controller-manager deletes anything", controller, res("delete", "widgets").group("example.com").in("team").named("w"), authz.Allow},
		{"controller-manager approves kubelet CSRs", controller, res("approve", "signers").group("certificates.k8s.io").named("kubernetes.io/kube-apiserver-client-kubelet"), authz.Allow},
		{"controller-manager approves no other signer", controller, res("approve", "signers").group("certificates.k8s.io").named("kubernetes.io/kube-apiserver-client"), authz.NoOpinion},
		{"controller-manager cannot write roles", controller, res("create", "clusterroles").group("rbac.authorization.k8s.io"), authz.NoOpinion},

		{"bootstrapper creates CSRs", joiner, res("create", "certificatesigningrequests").group("certificates.k8s.io"), authz.Allow},
		{"bootstrapper cannot approve CSRs", joiner, res("update", "certificatesigningrequests").sub("approval").group("certificates.k8s.io").named("c"), authz.NoOpinion},

		{"anyone reviews themselves", someone, res("create", "selfsubjectaccessreviews").group("authorization.k8s.io"), authz.Allow},
		{"anyone asks who they are", someone, res("create", "selfsubjectreviews").group("authentication.k8s.io"), authz.Allow},
		{"anyone discovers groups", someone, path("get", "/apis/apps/v1"), authz.Allow},
		{"anyone reads openapi", someone, path("get", "/openapi/v3"), authz.Allow},
		{"no one else reads metrics", someone, path("get", "/metrics"), authz.NoOpinion},
		{"anonymous reads health", anonymous, path("get", "/readyz"), authz.Allow},
		{"anonymous reads version", anonymous, path("get", "/version"), authz.Allow},
		{"anonymous cannot discover", anonymous, path("get", "/api"), authz.NoOpinion},
		{"anonymous cannot list pods", anonymous, res("list", "pods"), authz.NoOpinion},
	}
	z := New(l)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, reason, err := z.Authorize(context.Background(), authz.Attributes{User: tt.user, Info: tt.req.info()})
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if d != tt.want {
				t.Errorf("decision = %v, want %v (reason %q)", d, tt.want, reason)
			}
		})
	}
}
