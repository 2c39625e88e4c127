package apiserver_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/pki"
	"skiff/pkg/storage/etcd"
)

// TestErrorCodes checks that each kind of failure is a Status with the Kubernetes
// code and reason, and says what is wrong.
func TestErrorCodes(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tokens.csv")
	os.WriteFile(tokenFile, []byte("viewer-token,viewer,1001,\"developers\"\n"), 0o600)
	s := apiservertest.Start(t, func(o *apiserver.Options) { o.TokenAuthFile = tokenFile })
	c := s.Client
	mustCreatePod(t, c, makePod("default", "existing", nil))
	if err := etcd.Compact(context.Background(), s.EtcdClient(), revision(t, s)); err != nil {
		t.Fatal(err)
	}

	cfg, err := client.LoadKubeconfig(s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	anonymous, _ := client.New(&client.Config{Server: cfg.Server, CAData: cfg.CAData})
	viewer, _ := client.New(&client.Config{Server: cfg.Server, CAData: cfg.CAData, Token: "viewer-token"})
	badToken, _ := client.New(&client.Config{Server: cfg.Server, CAData: cfg.CAData, Token: "nope"})
	foreignCert := foreignClient(t, cfg)

	pods := "/api/v1/namespaces/default/pods"
	huge := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"x":"%s"}}`, strings.Repeat("a", apiserver.MaxBodyBytes))
	tests := []struct {
		name       string
		client     *client.Client
		req        client.Request
		wantCode   int
		wantReason string
		wantMsg    string
	}{
		{"malformed JSON", c, client.Request{Method: "POST", Path: pods, Body: []byte(`{"kind":"Pod",`)},
			400, api.ReasonBadRequest, "not valid JSON"},
		{"no credentials", anonymous, client.Request{Method: "GET", Path: pods},
			401, api.ReasonUnauthorized, "no credentials"},
		{"unknown token", badToken, client.Request{Method: "GET", Path: pods},
			401, api.ReasonUnauthorized, "Unauthorized"},
		{"certificate from another CA", foreignCert, client.Request{Method: "GET", Path: pods},
			401, api.ReasonUnauthorized, "invalid credentials"},
		{"not allowed", viewer, client.Request{Method: "GET", Path: pods},
			403, api.ReasonForbidden, `User "viewer" cannot list resource "pods" in API group "" in the namespace "default"`},
		{"missing object", c, client.Request{Method: "GET", Path: pods + "/nosuch"},
			404, api.ReasonNotFound, `pods "nosuch" not found`},
		{"unknown resource", c, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/widgets"},
			404, api.ReasonNotFound, "not found"},
		{"unknown subresource", c, client.Request{Method: "GET", Path: pods + "/existing/nope"},
			404, api.ReasonNotFound, "not found"},
		{"PUT on a collection", c, client.Request{Method: "PUT", Path: pods, Body: makePod("default", "x", nil)},
			405, api.ReasonMethodNotAllowed, "does not allow this method"},
		{"POST to a named object", c, client.Request{Method: "POST", Path: pods + "/existing", Body: makePod("default", "existing", nil)},
			405, api.ReasonMethodNotAllowed, "does not allow this method"},
		{"already exists", c, client.Request{Method: "POST", Path: pods, Body: makePod("default", "existing", nil)},
			409, api.ReasonAlreadyExists, `pods "existing" already exists`},
		{"stale resourceVersion", c, client.Request{Method: "PUT", Path: pods + "/existing",
			Body: func() *api.Pod { p := makePod("default", "existing", nil); p.ResourceVersion = "1"; return p }()},
			409, api.ReasonConflict, "the object has been modified"},
		{"expired continue token", c, client.Request{Method: "GET", Path: pods, Query: map[string][]string{"continue": {expiredContinue}}},
			410, api.ReasonExpired, "too old"},
		{"body too large", c, client.Request{Method: "POST", Path: "/api/v1/namespaces/default/configmaps", Body: []byte(huge)},
			413, api.ReasonRequestEntityTooLarge, "larger than"},
		{"unsupported content type", c, client.Request{Method: "POST", Path: pods, Body: []byte(`x=1`), ContentType: "application/x-www-form-urlencoded"},
			415, api.ReasonUnsupportedMediaType, "unknown format"},
		{"server-side apply", c, client.Request{Method: "PATCH", Path: pods + "/existing", Body: []byte(`{}`), ContentType: "application/apply-patch+yaml"},
			415, api.ReasonUnsupportedMediaType, "server-side apply"},
		{"invalid object", c, client.Request{Method: "POST", Path: pods, Body: makePod("default", "Bad_Name", nil)},
			422, api.ReasonInvalid, `Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"`},
		{"unacceptable media type", c, client.Request{Method: "GET", Path: pods, Accept: "application/vnd.kubernetes.protobuf"},
			406, api.ReasonNotAcceptable, "media types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, tt.client, tt.req)
			if got.code != tt.wantCode || got.status.Reason != tt.wantReason || int(got.status.Code) != tt.wantCode {
				t.Fatalf("got %d %q (status code %d), want %d %q; body: %s", got.code, got.status.Reason, got.status.Code, tt.wantCode, tt.wantReason, got.body)
			}
			if !strings.Contains(got.status.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", got.status.Message, tt.wantMsg)
			}
			if got.status.Status != api.StatusFailure || got.status.Kind != "Status" {
				t.Errorf("not a failure Status: %s", got.body)
			}
		})
	}
}

// expiredContinue is a well-formed continue token for revision 1, which the test
// compacts away first.
var expiredContinue = base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":1,"start":"a"}`))

// TestInternalErrorHidesDetails: a stored object that cannot be decoded is a 500
// whose message says nothing about the internals.
func TestInternalErrorHidesDetails(t *testing.T) {
	s := apiservertest.Start(t)
	if _, err := s.EtcdClient().Put(context.Background(), "/registry/configmaps/default/broken", "{not json"); err != nil {
		t.Fatal(err)
	}
	got := call(t, s.Client, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/configmaps/broken"})
	if got.code != http.StatusInternalServerError || got.status.Reason != api.ReasonInternalError {
		t.Fatalf("got %d %q, want 500 InternalError: %s", got.code, got.status.Reason, got.body)
	}
	for _, leak := range []string{"decode", "json", "invalid character", "storage", "etcd"} {
		if strings.Contains(strings.ToLower(got.status.Message), leak) {
			t.Errorf("500 message leaks %q: %q", leak, got.status.Message)
		}
	}
}

// foreignClient has a client certificate for "admin" in system:masters, signed
// by a CA the server does not trust.
func foreignClient(t *testing.T, cfg *client.Config) *client.Client {
	t.Helper()
	ca, err := pki.NewCA("elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := pki.NewKey()
	cert, err := ca.IssueClient("admin", []string{"system:masters"}, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := pki.EncodeKey(key)
	c, err := client.New(&client.Config{Server: cfg.Server, CAData: cfg.CAData, CertData: pki.EncodeCert(cert), KeyData: keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
