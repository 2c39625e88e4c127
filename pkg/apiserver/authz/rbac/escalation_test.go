package rbac

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

func TestCovers(t *testing.T) {
	tests := []struct {
		name        string
		owner       []api.PolicyRule
		requested   []api.PolicyRule
		wantMissing []api.PolicyRule
	}{
		{"same rule", []api.PolicyRule{pr("get,list", "", "pods")}, []api.PolicyRule{pr("get,list", "", "pods")}, nil},
		{"subset of verbs", []api.PolicyRule{pr("get,list", "", "pods")}, []api.PolicyRule{pr("get", "", "pods")}, nil},
		{"pieces from different owner rules",
			[]api.PolicyRule{pr("get", "", "pods"), pr("list", "", "pods")},
			[]api.PolicyRule{pr("get,list", "", "pods")}, nil},
		{"missing verb", []api.PolicyRule{pr("get", "", "pods")}, []api.PolicyRule{pr("get,delete", "", "pods")},
			[]api.PolicyRule{pr("delete", "", "pods")}},
		{"missing group", []api.PolicyRule{pr("get", "", "deployments")}, []api.PolicyRule{pr("get", "apps", "deployments")},
			[]api.PolicyRule{pr("get", "apps", "deployments")}},
		{"nothing requested", nil, nil, nil},
		{"nothing owned", nil, []api.PolicyRule{pr("get", "", "pods")}, []api.PolicyRule{pr("get", "", "pods")}},

		// "*" in the owner covers anything; in the request only "*" covers it.
		{"owner star verb", []api.PolicyRule{pr("*", "", "pods")}, []api.PolicyRule{pr("get,escalate", "", "pods")}, nil},
		{"owner star everything", []api.PolicyRule{pr("*", "*", "*")}, []api.PolicyRule{pr("*", "*", "*"), pr("get", "apps", "deployments/scale", "web")}, nil},
		{"requested star verb needs owner star",
			[]api.PolicyRule{pr("get,list,watch,create,update,patch,delete,deletecollection", "", "pods")},
			[]api.PolicyRule{pr("*", "", "pods")}, []api.PolicyRule{pr("*", "", "pods")}},
		{"requested star resource needs owner star",
			[]api.PolicyRule{pr("get", "", "pods,services,configmaps")},
			[]api.PolicyRule{pr("get", "", "*")}, []api.PolicyRule{pr("get", "", "*")}},
		{"requested star group needs owner star",
			[]api.PolicyRule{pr("get", ",apps", "pods")},
			[]api.PolicyRule{pr("get", "*", "pods")}, []api.PolicyRule{pr("get", "*", "pods")}},
		{"owner star resource does not cover star group",
			[]api.PolicyRule{pr("*", "", "*")},
			[]api.PolicyRule{pr("*", "*", "*")}, []api.PolicyRule{pr("*", "*", "*")}},

		// Subresources.
		{"*/scale covers deployments/scale", []api.PolicyRule{pr("update", "apps", "*/scale")}, []api.PolicyRule{pr("update", "apps", "deployments/scale")}, nil},
		{"*/scale covers itself", []api.PolicyRule{pr("update", "apps", "*/scale")}, []api.PolicyRule{pr("update", "apps", "*/scale")}, nil},
		{"resource does not cover its subresource", []api.PolicyRule{pr("update", "apps", "deployments")}, []api.PolicyRule{pr("update", "apps", "deployments/scale")},
			[]api.PolicyRule{pr("update", "apps", "deployments/scale")}},
		{"*/scale does not cover the resource", []api.PolicyRule{pr("update", "apps", "*/scale")}, []api.PolicyRule{pr("update", "apps", "deployments")},
			[]api.PolicyRule{pr("update", "apps", "deployments")}},

		// resourceNames.
		{"unnamed owner covers names", []api.PolicyRule{pr("get", "", "configmaps")}, []api.PolicyRule{pr("get", "", "configmaps", "a", "b")}, nil},
		{"named owner covers its names", []api.PolicyRule{pr("get", "", "configmaps", "a", "b")}, []api.PolicyRule{pr("get", "", "configmaps", "b")}, nil},
		{"named owner does not cover other names", []api.PolicyRule{pr("get", "", "configmaps", "a")}, []api.PolicyRule{pr("get", "", "configmaps", "a", "b")},
			[]api.PolicyRule{pr("get", "", "configmaps", "b")}},
		{"named owner does not cover all names", []api.PolicyRule{pr("get", "", "configmaps", "a")}, []api.PolicyRule{pr("get", "", "configmaps")},
			[]api.PolicyRule{pr("get", "", "configmaps")}},

		// Non-resource URLs.
		{"exact URL", []api.PolicyRule{urlRule("get", "/healthz")}, []api.PolicyRule{urlRule("get", "/healthz")}, nil},
		{"prefix covers below it", []api.PolicyRule{urlRule("get", "/healthz/*")}, []api.PolicyRule{urlRule("get", "/healthz/etcd", "/healthz/*")}, nil},
		{"prefix does not cover its parent", []api.PolicyRule{urlRule("get", "/healthz/*")}, []api.PolicyRule{urlRule("get", "/healthz")},
			[]api.PolicyRule{urlRule("get", "/healthz")}},
		{"star URL needs owner star", []api.PolicyRule{urlRule("get", "/api/*", "/apis/*")}, []api.PolicyRule{urlRule("get", "*")},
			[]api.PolicyRule{urlRule("get", "*")}},
		{"owner star URL covers any", []api.PolicyRule{urlRule("*", "*")}, []api.PolicyRule{urlRule("get,post", "/metrics", "*")}, nil},
		{"resource rules do not cover URLs", []api.PolicyRule{pr("*", "*", "*")}, []api.PolicyRule{urlRule("get", "/metrics")},
			[]api.PolicyRule{urlRule("get", "/metrics")}},
		{"URL rules do not cover resources", []api.PolicyRule{urlRule("*", "*")}, []api.PolicyRule{pr("get", "", "pods")},
			[]api.PolicyRule{pr("get", "", "pods")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, missing := Covers(tt.owner, tt.requested)
			if ok != (len(tt.wantMissing) == 0) {
				t.Errorf("Covers = %v, want %v", ok, !ok)
			}
			if diff := cmp.Diff(tt.wantMissing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfirmNoEscalation(t *testing.T) {
	roles, _ := BootstrapPolicy()
	rulesOf := map[string][]api.PolicyRule{}
	for _, r := range roles {
		rulesOf[r.Name] = r.Rules
	}
	l := newLister().withBootstrap().
		withRoleBinding("team", "admin-ann", clusterRoleRef("admin"), userSubject("ann")).
		withRoleBinding("team", "edit-alice", clusterRoleRef("edit"), userSubject("alice")).
		withClusterRole("cm-writer", pr("get,update", "", "configmaps", "settings")).
		withRoleBinding("team", "settings-sam", clusterRoleRef("cm-writer"), userSubject("sam"))
	const msgPrefix = "is attempting to grant RBAC permissions not currently held:\n"
	tests := []struct {
		name      string
		user      *request.User
		namespace string
		rules     []api.PolicyRule
		wantErr   string // "" for no error
	}{
		{"admin grants edit in own namespace", newUser("ann"), "team", rulesOf["edit"], ""},
		{"admin grants admin in own namespace", newUser("ann"), "team", rulesOf["admin"], ""},
		{"editor grants view", newUser("alice"), "team", rulesOf["view"], ""},
		{"admin grants edit in another namespace", newUser("ann"), "other", []api.PolicyRule{pr("create", "", "pods")},
			`user "ann" (groups=["system:authenticated"]) ` + msgPrefix + `{APIGroups:[""], Resources:["pods"], Verbs:["create"]}`},
		{"editor grants cluster-admin", newUser("alice", "devs"), "team", rulesOf["cluster-admin"],
			`user "alice" (groups=["devs" "system:authenticated"]) ` + msgPrefix +
				`{APIGroups:["*"], Resources:["*"], Verbs:["*"]}` + "\n" + `{NonResourceURLs:["*"], Verbs:["*"]}`},
		{"editor grants role writing", newUser("alice"), "team", []api.PolicyRule{pr("create,delete", "rbac.authorization.k8s.io", "roles,rolebindings")},
			`user "alice" (groups=["system:authenticated"]) ` + msgPrefix +
				`{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings"], Verbs:["create" "delete"]}` + "\n" +
				`{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["create" "delete"]}`},
		{"editor grants every verb on pods", newUser("alice"), "team", []api.PolicyRule{pr("*", "", "pods")},
			`user "alice" (groups=["system:authenticated"]) ` + msgPrefix + `{APIGroups:[""], Resources:["pods"], Verbs:["*"]}`},
		{"named grant within own names", newUser("sam"), "team", []api.PolicyRule{pr("update", "", "configmaps", "settings")}, ""},
		{"named grant beyond own names", newUser("sam"), "team", []api.PolicyRule{pr("update", "", "configmaps", "settings", "other")},
			`user "sam" (groups=["system:authenticated"]) ` + msgPrefix + `{APIGroups:[""], Resources:["configmaps"], ResourceNames:["other"], Verbs:["update"]}`},
		{"named owner cannot grant unnamed", newUser("sam"), "team", []api.PolicyRule{pr("get", "", "configmaps")},
			`user "sam" (groups=["system:authenticated"]) ` + msgPrefix + `{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}`},
		{"discovery URLs are held by everyone", newUser("sam"), "", []api.PolicyRule{urlRule("get", "/api", "/apis/*", "/healthz")}, ""},
		{"other URLs are not", newUser("sam"), "", []api.PolicyRule{urlRule("get", "/metrics", "/healthz")},
			`user "sam" (groups=["system:authenticated"]) ` + msgPrefix + `{NonResourceURLs:["/metrics"], Verbs:["get"]}`},
		{"masters hold everything through cluster-admin", newUser("root", request.SystemPrivilegedGrp), "", rulesOf["cluster-admin"], ""},
		{"no groups", &request.User{Name: "bare"}, "", []api.PolicyRule{pr("get", "", "pods")},
			`user "bare" (groups=[]) ` + msgPrefix + `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`},
		{"no user", nil, "", nil, "no user on request"},
	}
	z := New(l)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := z.ConfirmNoEscalation(tt.user, tt.namespace, tt.rules)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ConfirmNoEscalation: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrEscalation) {
				t.Fatalf("error %v does not wrap ErrEscalation", err)
			}
			if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}
