package apiserver_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// obj is a JSON object written inline in tests.
type obj = map[string]any

// authCluster is a server with users of every kind, the objects they act on,
// and a client per identity.
type authCluster struct {
	*apiservertest.Server
	clients map[string]*client.Client
}

// Static tokens, one per user; node-a and node-b are node agents.
var tokenFile = map[string]string{
	"alice":  `alice-token,alice,uid-alice,"team-a"`, // view in team-a
	"bob":    `bob-token,bob,uid-bob`,                // edit in team-a
	"carol":  `carol-token,carol,uid-carol`,          // admin in team-a
	"dave":   `dave-token,dave,uid-dave`,             // no bindings at all
	"node-a": `node-a-token,system:node:node-a,uid-node-a,"system:nodes"`,
	"node-b": `node-b-token,system:node:node-b,uid-node-b,"system:nodes"`,
}

// startAuthCluster starts a server with the token file above and creates, as the
// admin: namespace team-a with view/edit/admin bindings for alice, bob and
// carol; nodes node-a and node-b with a pod bound to each (pod-a uses secret
// sec-a and configmap cm-a); a service account "reader" allowed to read pods;
// and two bootstrap tokens, one expired.
func startAuthCluster(t *testing.T, options ...func(*apiserver.Options)) *authCluster {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for _, l := range tokenFile {
		lines = append(lines, l)
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	options = append([]func(*apiserver.Options){func(o *apiserver.Options) { o.TokenAuthFile = tokens }}, options...)
	s := apiservertest.Start(t, options...)
	c := &authCluster{Server: s, clients: map[string]*client.Client{"admin": s.Client}}
	for name := range tokenFile {
		c.clients[name] = c.withToken(t, name+"-token")
	}
	c.clients["anonymous"] = c.withToken(t, "")
	c.clients["bad-token"] = c.withToken(t, "no-such-token")

	c.admin(t, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "team-a"}})
	for user, role := range map[string]string{"alice": "view", "bob": "edit", "carol": "admin"} {
		c.admin(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", roleBinding(user+"-"+role, "ClusterRole", role, userSubject(user)))
	}
	for _, n := range []string{"node-a", "node-b"} {
		c.admin(t, "POST", "/api/v1/nodes", obj{"metadata": obj{"name": n}})
	}
	c.admin(t, "POST", "/api/v1/namespaces/team-a/secrets", obj{"metadata": obj{"name": "sec-a"}, "stringData": obj{"k": "v"}})
	c.admin(t, "POST", "/api/v1/namespaces/team-a/secrets", obj{"metadata": obj{"name": "sec-b"}, "stringData": obj{"k": "v"}})
	c.admin(t, "POST", "/api/v1/namespaces/team-a/configmaps", obj{"metadata": obj{"name": "cm-a"}})
	c.admin(t, "POST", "/api/v1/namespaces/team-a/pods", obj{
		"metadata": obj{"name": "pod-a"},
		"spec": obj{"nodeName": "node-a", "containers": []obj{{"name": "c", "image": "busybox"}},
			"volumes": []obj{{"name": "s", "secret": obj{"secretName": "sec-a"}}, {"name": "m", "configMap": obj{"name": "cm-a"}}}},
	})
	c.admin(t, "POST", "/api/v1/namespaces/team-a/pods", obj{
		"metadata": obj{"name": "pod-b"},
		"spec":     obj{"nodeName": "node-b", "containers": []obj{{"name": "c", "image": "busybox"}}, "volumes": []obj{{"name": "s", "secret": obj{"secretName": "sec-b"}}}},
	})

	// A service account that may only read pods in team-a, and a token for it.
	c.admin(t, "POST", "/api/v1/namespaces/team-a/serviceaccounts", obj{"metadata": obj{"name": "reader"}})
	c.admin(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles", obj{
		"metadata": obj{"name": "pod-reader"},
		"rules":    []obj{{"apiGroups": []string{""}, "resources": []string{"pods"}, "verbs": []string{"get", "list", "watch"}}},
	})
	c.admin(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings",
		roleBinding("reader-pods", "Role", "pod-reader", obj{"kind": "ServiceAccount", "name": "reader", "namespace": "team-a"}))
	var tr struct {
		Status struct{ Token string } `json:"status"`
	}
	if err := s.Client.Do(context.Background(), client.Request{Method: "POST", Path: "/api/v1/namespaces/team-a/serviceaccounts/reader/token",
		Body: obj{"spec": obj{"expirationSeconds": 3600}}, Out: &tr}); err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	if tr.Status.Token == "" {
		t.Fatal("TokenRequest returned no token")
	}
	c.clients["sa-reader"] = c.withToken(t, tr.Status.Token)

	// Bootstrap tokens: abcdef is valid for an hour, expire expired a minute ago.
	for id, exp := range map[string]time.Time{"abcdef": time.Now().Add(time.Hour), "expire": time.Now().Add(-time.Minute)} {
		c.admin(t, "POST", "/api/v1/namespaces/kube-system/secrets", obj{
			"metadata": obj{"name": "bootstrap-token-" + id},
			"type":     "bootstrap.kubernetes.io/token",
			"stringData": obj{"token-id": id, "token-secret": "0123456789abcdef",
				"expiration": exp.UTC().Format(time.RFC3339), "usage-bootstrap-authentication": "true"},
		})
	}
	c.clients["bootstrap"] = c.withToken(t, "abcdef.0123456789abcdef")
	c.clients["bootstrap-expired"] = c.withToken(t, "expire.0123456789abcdef")

	// Authorizers read from caches that follow the store: wait until the last
	// object of each kind used above is visible to them.
	c.eventually(t, "carol's binding", func() bool { return c.code(t, "carol", "GET", "/api/v1/namespaces/team-a/secrets", nil) == 200 })
	c.eventually(t, "the reader binding", func() bool { return c.code(t, "sa-reader", "GET", "/api/v1/namespaces/team-a/pods", nil) == 200 })
	c.eventually(t, "pod-b in the cache", func() bool { return c.code(t, "node-b", "GET", "/api/v1/namespaces/team-a/pods/pod-b", nil) == 200 })
	c.eventually(t, "the bootstrap secret", func() bool { return c.code(t, "bootstrap", "GET", "/apis", nil) == 200 })
	return c
}

func roleBinding(name, kind, role string, subjects ...obj) obj {
	return obj{"metadata": obj{"name": name}, "subjects": subjects,
		"roleRef": obj{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}}
}

func userSubject(name string) obj {
	return obj{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}
}

// withToken is a client that sends token as its bearer token (none if empty).
func (c *authCluster) withToken(t *testing.T, token string) *client.Client {
	t.Helper()
	cfg, err := client.LoadKubeconfig(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(&client.Config{Server: cfg.Server, CAData: cfg.CAData, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func (c *authCluster) admin(t *testing.T, method, path string, body any) {
	t.Helper()
	if r := call(t, c.Client, client.Request{Method: method, Path: path, Body: body}); r.code >= 300 {
		t.Fatalf("admin %s %s: %d %s", method, path, r.code, r.body)
	}
}

// as sends a request as the named identity.
func (c *authCluster) as(t *testing.T, who, method, path string, body any, header ...string) response {
	t.Helper()
	cl, ok := c.clients[who]
	if !ok {
		t.Fatalf("no client for %q", who)
	}
	req := client.Request{Method: method, Path: path, Body: body, Header: http.Header{}}
	if p, q, ok := strings.Cut(path, "?"); ok {
		req.Path = p
		var err error
		if req.Query, err = url.ParseQuery(q); err != nil {
			t.Fatal(err)
		}
	}
	if method == "PATCH" {
		req.ContentType = "application/merge-patch+json"
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return call(t, cl, req)
}

func (c *authCluster) code(t *testing.T, who, method, path string, body any) int {
	t.Helper()
	return c.as(t, who, method, path, body).code
}

func (c *authCluster) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitFor(t, what, cond)
}

// TestAuthorizationTable runs identity × verb × resource × namespace through the
// real HTTPS server and checks each is allowed or denied as Kubernetes would.
func TestAuthorizationTable(t *testing.T) {
	c := startAuthCluster(t)
	const (
		teamA = "/api/v1/namespaces/team-a"
		rbacA = "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a"
	)
	cm := func(name string) obj { return obj{"metadata": obj{"name": name}} }
	status := obj{"status": obj{"phase": "Running"}}
	tests := []struct {
		who, method, path string
		body              any
		header            []string
		want              int
	}{
		// Authentication.
		{who: "anonymous", method: "GET", path: teamA + "/pods", want: 401},
		{who: "anonymous", method: "GET", path: "/api/v1/namespaces", want: 401},
		{who: "anonymous", method: "POST", path: teamA + "/configmaps", body: cm("anon"), want: 401},
		{who: "anonymous", method: "GET", path: "/healthz", want: 200}, // public, as in Kubernetes
		// A joining node reads cluster-info before it has credentials, and nothing else.
		{who: "anonymous", method: "GET", path: "/api/v1/namespaces/kube-public/configmaps/cluster-info", want: 200},
		{who: "anonymous", method: "GET", path: "/api/v1/namespaces/kube-public/configmaps", want: 401},
		{who: "anonymous", method: "GET", path: "/api/v1/namespaces/kube-public/configmaps/kube-root-ca.crt", want: 401},
		{who: "anonymous", method: "GET", path: "/api/v1/namespaces/kube-system/configmaps/cluster-info", want: 401},
		{who: "anonymous", method: "DELETE", path: "/api/v1/namespaces/kube-public/configmaps/cluster-info", want: 401},
		{who: "anonymous", method: "PUT", path: "/api/v1/namespaces/kube-public/configmaps/cluster-info", body: cm("cluster-info"), want: 401},
		{who: "anonymous", method: "GET", path: "/api/v1/namespaces/kube-public/configmaps/cluster-info?watch=1", want: 401},
		{who: "anonymous", method: "GET", path: "/apis/certificates.k8s.io/v1/certificatesigningrequests", want: 401},
		{who: "bad-token", method: "GET", path: "/api/v1/pods", want: 401},
		{who: "bootstrap-expired", method: "GET", path: "/apis", want: 401},
		{who: "bootstrap-expired", method: "GET", path: teamA + "/pods", want: 401},
		{who: "bootstrap", method: "GET", path: "/apis", want: 200},
		{who: "bootstrap", method: "GET", path: teamA + "/pods", want: 403},
		{who: "bootstrap", method: "GET", path: "/apis/certificates.k8s.io/v1/certificatesigningrequests", want: 200},
		{who: "bootstrap", method: "DELETE", path: "/apis/certificates.k8s.io/v1/certificatesigningrequests/x", want: 403},
		{who: "dave", method: "GET", path: "/version", want: 200},
		{who: "dave", method: "GET", path: teamA + "/pods", want: 403},

		// view (alice): read most things in team-a, not secrets, write nothing.
		{who: "alice", method: "GET", path: teamA + "/pods", want: 200},
		{who: "alice", method: "GET", path: teamA + "/pods/pod-a", want: 200},
		{who: "alice", method: "GET", path: teamA + "/configmaps", want: 200},
		{who: "alice", method: "GET", path: teamA + "/secrets", want: 403},
		{who: "alice", method: "GET", path: teamA + "/secrets/sec-a", want: 403},
		{who: "alice", method: "POST", path: teamA + "/configmaps", body: cm("by-alice"), want: 403},
		{who: "alice", method: "DELETE", path: teamA + "/pods/pod-a", want: 403},
		{who: "alice", method: "GET", path: "/api/v1/namespaces/default/pods", want: 403},
		{who: "alice", method: "GET", path: "/api/v1/namespaces", want: 403},

		// edit (bob): write workloads and secrets, but not RBAC or the namespace.
		{who: "bob", method: "POST", path: teamA + "/configmaps", body: cm("by-bob"), want: 201},
		{who: "bob", method: "GET", path: teamA + "/secrets", want: 200},
		{who: "bob", method: "PATCH", path: teamA + "/configmaps/by-bob", body: obj{"data": obj{"k": "v"}}, want: 200},
		{who: "bob", method: "POST", path: rbacA + "/rolebindings", body: roleBinding("bob-root", "ClusterRole", "cluster-admin", userSubject("bob")), want: 403},
		{who: "bob", method: "POST", path: rbacA + "/rolebindings", body: roleBinding("bob-view", "ClusterRole", "view", userSubject("dave")), want: 403},
		{who: "bob", method: "DELETE", path: "/api/v1/namespaces/team-a", want: 403},
		{who: "bob", method: "GET", path: "/api/v1/nodes", want: 403},
		{who: "bob", method: "POST", path: teamA + "/resourcequotas", body: obj{"metadata": obj{"name": "q"}, "spec": obj{"hard": obj{"pods": "1"}}}, want: 403},

		// pods/exec is create on pods/exec, for the GET of a WebSocket too:
		// edit has it (then pod-a's node has no agent address: 500), view
		// and nodes do not.
		{who: "alice", method: "GET", path: teamA + "/pods/pod-a/exec?command=ls&stdout=true", want: 403},
		{who: "alice", method: "POST", path: teamA + "/pods/pod-a/exec?command=ls&stdout=true", want: 403},
		{who: "bob", method: "GET", path: teamA + "/pods/pod-a/exec?command=ls&stdout=true", want: 500},
		{who: "bob", method: "POST", path: teamA + "/pods/pod-a/exec?command=ls&stdout=true", want: 500},
		{who: "node-a", method: "GET", path: teamA + "/pods/pod-a/exec?command=ls&stdout=true", want: 403},
		{who: "node-a", method: "POST", path: teamA + "/pods/pod-a/exec?command=ls&stdout=true", want: 403},

		// admin (carol): may grant what she holds in team-a, nothing more.
		{who: "carol", method: "POST", path: rbacA + "/rolebindings", body: roleBinding("erin-view", "ClusterRole", "view", userSubject("erin")), want: 201},
		{who: "carol", method: "POST", path: rbacA + "/rolebindings", body: roleBinding("carol-root", "ClusterRole", "cluster-admin", userSubject("carol")), want: 403},
		{who: "carol", method: "POST", path: rbacA + "/roles", body: obj{"metadata": obj{"name": "all"},
			"rules": []obj{{"apiGroups": []string{"*"}, "resources": []string{"*"}, "verbs": []string{"*"}}}}, want: 403},
		{who: "carol", method: "POST", path: rbacA + "/roles", body: obj{"metadata": obj{"name": "cm-reader"},
			"rules": []obj{{"apiGroups": []string{""}, "resources": []string{"configmaps"}, "verbs": []string{"get"}}}}, want: 201},
		{who: "carol", method: "GET", path: "/api/v1/namespaces/default/pods", want: 403},
		{who: "carol", method: "POST", path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body: roleBinding("carol-all", "ClusterRole", "admin", userSubject("carol")), want: 403},

		// Nodes: their own Node and the pods bound to them, nothing else.
		{who: "node-a", method: "GET", path: "/api/v1/nodes/node-a", want: 200},
		{who: "node-a", method: "PATCH", path: "/api/v1/nodes/node-a/status", body: obj{"status": obj{"podCIDR": ""}}, want: 200},
		{who: "node-a", method: "PATCH", path: "/api/v1/nodes/node-b/status", body: obj{"status": obj{"podCIDR": ""}}, want: 403},
		{who: "node-a", method: "DELETE", path: "/api/v1/nodes/node-b", want: 403},
		{who: "node-a", method: "GET", path: teamA + "/pods/pod-a", want: 200},
		{who: "node-a", method: "GET", path: teamA + "/pods/pod-b", want: 403},
		{who: "node-a", method: "PATCH", path: teamA + "/pods/pod-a/status", body: status, want: 200},
		{who: "node-a", method: "PATCH", path: teamA + "/pods/pod-b/status", body: status, want: 403},
		{who: "node-a", method: "PATCH", path: teamA + "/pods/pod-a", body: obj{"metadata": obj{"labels": obj{"x": "y"}}}, want: 403},
		{who: "node-a", method: "GET", path: "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a", want: 200},
		{who: "node-a", method: "GET", path: "/api/v1/pods", want: 403},
		{who: "node-a", method: "GET", path: teamA + "/secrets/sec-a", want: 200},
		{who: "node-a", method: "GET", path: teamA + "/secrets/sec-b", want: 403},
		{who: "node-a", method: "GET", path: teamA + "/configmaps/cm-a", want: 200},
		{who: "node-a", method: "GET", path: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b", want: 403},
		{who: "node-a", method: "POST", path: teamA + "/events", body: obj{"metadata": obj{"name": "ev"},
			"involvedObject": obj{"kind": "Pod", "namespace": "team-a", "name": "pod-a"}, "reason": "Started"}, want: 201},
		{who: "node-a", method: "POST", path: "/api/v1/nodes", body: obj{"metadata": obj{"name": "node-c"}}, want: 403}, // NodeRestriction

		// A service account token: what its Role allows and nothing else.
		{who: "sa-reader", method: "GET", path: teamA + "/pods", want: 200},
		{who: "sa-reader", method: "GET", path: teamA + "/pods/pod-b", want: 200},
		{who: "sa-reader", method: "GET", path: teamA + "/secrets", want: 403},
		{who: "sa-reader", method: "POST", path: teamA + "/pods", body: obj{"metadata": obj{"name": "x"}}, want: 403},
		{who: "sa-reader", method: "GET", path: "/api/v1/namespaces/default/pods", want: 403},

		// Impersonation needs the impersonate verb; the impersonated user's rights apply.
		{who: "admin", method: "GET", path: teamA + "/secrets", header: []string{"Impersonate-User", "alice"}, want: 403},
		{who: "admin", method: "GET", path: teamA + "/pods", header: []string{"Impersonate-User", "alice"}, want: 200},
		{who: "carol", method: "GET", path: teamA + "/pods", header: []string{"Impersonate-User", "bob"}, want: 403},
		{who: "admin", method: "GET", path: "/api/v1/nodes", want: 200},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s %s %s", tc.who, tc.method, tc.path)
		r := c.as(t, tc.who, tc.method, tc.path, tc.body, tc.header...)
		if r.code != tc.want {
			t.Errorf("%s: got %d, want %d: %s", name, r.code, tc.want, r.body)
			continue
		}
		if tc.want == 401 || tc.want == 403 {
			if r.status.Kind != "Status" || int(r.status.Code) != tc.want || r.status.Message == "" {
				t.Errorf("%s: denial is not a Status with code %d and a message: %s", name, tc.want, r.body)
			}
		}
	}
}

// TestDenialMessage: a 403 names the user, verb, resource and namespace and the
// roles that would allow the request.
func TestDenialMessage(t *testing.T) {
	c := startAuthCluster(t)
	r := c.as(t, "alice", "POST", "/api/v1/namespaces/team-a/configmaps", obj{"metadata": obj{"name": "x"}})
	if r.code != 403 {
		t.Fatalf("got %d, want 403: %s", r.code, r.body)
	}
	for _, want := range []string{`User "alice"`, "cannot create", `resource "configmaps"`, `namespace "team-a"`, `ClusterRole "edit"`} {
		if !strings.Contains(r.status.Message, want) {
			t.Errorf("message %q does not contain %q", r.status.Message, want)
		}
	}
	if r.status.Reason != "Forbidden" || r.status.Details == nil || r.status.Details.Kind != "configmaps" {
		t.Errorf("status: %+v", r.status)
	}

	// Escalation: the message says why, not just that it was denied.
	r = c.as(t, "carol", "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings",
		roleBinding("carol-root", "ClusterRole", "cluster-admin", userSubject("carol")))
	if r.code != 403 || !strings.Contains(r.status.Message, "permissions not currently held") {
		t.Errorf("escalation: %d %s", r.code, r.status.Message)
	}
}

// TestAuditLog: one JSON line per request with who, what, the outcome and the
// rule that allowed it; never a token or a secret's data.
func TestAuditLog(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.log")
	c := startAuthCluster(t, func(o *apiserver.Options) { o.AuditLogPath = logPath })
	c.as(t, "bob", "POST", "/api/v1/namespaces/team-a/secrets", obj{"metadata": obj{"name": "audited"}, "stringData": obj{"password": "hunter2-secret"}})
	c.as(t, "alice", "GET", "/api/v1/namespaces/team-a/secrets/audited", nil)
	c.as(t, "anonymous", "GET", "/api/v1/namespaces", nil)
	c.as(t, "admin", "GET", "/api/v1/namespaces/team-a/pods", nil, "Impersonate-User", "alice")

	type event struct {
		User, Verb, Resource, Namespace, Name, Decision, Authorizer, Impersonator string
		Groups                                                                    []string
		Code                                                                      int
		LatencyMs                                                                 *float64
	}
	var events []event
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %q: %v", line, err)
		}
		events = append(events, ev)
	}
	find := func(user, verb, name string) *event {
		for i := range events {
			if e := &events[i]; e.User == user && e.Verb == verb && e.Name == name {
				return e
			}
		}
		t.Errorf("no audit event for %s %s %s", user, verb, name)
		return nil
	}
	if e := find("bob", "create", ""); e != nil {
		if e.Resource != "secrets" || e.Namespace != "team-a" || e.Code != 201 || e.Decision != "allow" ||
			!strings.Contains(e.Authorizer, `RoleBinding "team-a/bob-edit"`) || e.LatencyMs == nil || len(e.Groups) == 0 {
			t.Errorf("bob's create: %+v", *e)
		}
	}
	if e := find("alice", "get", "audited"); e != nil && (e.Code != 403 || e.Decision != "forbid") {
		t.Errorf("alice's denied get: %+v", *e)
	}
	if e := find("", "list", ""); e != nil && e.Code != 401 {
		t.Errorf("anonymous list: %+v", *e)
	}
	if e := find("alice", "list", ""); e != nil && (e.Impersonator != "admin" || e.Code != 200) {
		t.Errorf("impersonated list: %+v", *e)
	}
	for _, leak := range []string{"bob-token", "hunter2", "0123456789abcdef"} {
		if strings.Contains(string(data), leak) {
			t.Errorf("the audit log contains %q", leak)
		}
	}
	if info, err := os.Stat(logPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode: %v %v", info.Mode(), err)
	}
}

// TestTLSMinimumAndKeyModes: TLS below 1.2 is refused, and every private key
// the server writes is readable by its owner only.
func TestTLSMinimumAndKeyModes(t *testing.T) {
	s := apiservertest.Start(t)
	addr := strings.TrimPrefix(s.URL(), "https://")
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	conn, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Errorf("TLS 1.2: %v", err)
	} else {
		conn.Close()
	}
	keys, _ := filepath.Glob(filepath.Join(s.DataDir, "*.key"))
	if len(keys) < 3 { // ca.key, apiserver.key, sa.key at least
		t.Fatalf("keys in the data dir: %v", keys)
	}
	for _, k := range append(keys, filepath.Join(s.DataDir, "admin.kubeconfig")) {
		info, err := os.Stat(k)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 0600", filepath.Base(k), mode)
		}
	}
}
