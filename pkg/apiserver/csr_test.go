package apiserver_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

const csrPath = "/apis/certificates.k8s.io/v1/certificatesigningrequests"

// csrPEM is a PEM certificate request for cn and orgs, signed by a new key.
func csrPEM(t *testing.T, cn string, orgs ...string) []byte {
	t.Helper()
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func csrObj(name string, request []byte, signer string, usages ...string) obj {
	return obj{"metadata": obj{"name": name}, "spec": obj{"request": request, "signerName": signer, "usages": usages,
		"username": "someone-else", "groups": []string{"system:masters"}}}
}

func TestCSRLifecycle(t *testing.T) {
	c := startAuthCluster(t)
	nodeCSR := csrPEM(t, "system:node:n1", "system:nodes")

	// A bootstrap token may ask; the requester is recorded from the token,
	// whatever the client claimed.
	r := c.as(t, "bootstrap", "POST", csrPath, csrObj("node-csr-1", nodeCSR, api.SignerKubeAPIServerClientKubelet, "client auth", "digital signature"))
	if r.code != 201 {
		t.Fatalf("bootstrap create CSR: %d %s", r.code, r.body)
	}
	var csr api.CertificateSigningRequest
	if err := json.Unmarshal(r.body, &csr); err != nil {
		t.Fatal(err)
	}
	if csr.Spec.Username != "system:bootstrap:abcdef" || !contains(csr.Spec.Groups, "system:bootstrappers") || contains(csr.Spec.Groups, "system:masters") {
		t.Errorf("requester = %q %v, want system:bootstrap:abcdef in system:bootstrappers (client values ignored)", csr.Spec.Username, csr.Spec.Groups)
	}
	// It may read and watch it, but not decide on it.
	if code := c.code(t, "bootstrap", "GET", csrPath+"/node-csr-1", nil); code != 200 {
		t.Errorf("bootstrap get CSR: %d", code)
	}
	approve := func(who string, cond string) response {
		cur := csr
		cur.Status.Conditions = []api.CertificateSigningRequestCondition{{Type: cond, Status: "True", Reason: "Test", Message: "by " + who}}
		return c.as(t, who, "PUT", csrPath+"/node-csr-1/approval", cur)
	}
	if r := approve("bootstrap", api.CertificateApproved); r.code != 403 {
		t.Errorf("bootstrap approves its own CSR: %d %s", r.code, r.body)
	}
	// Writing /approval is not enough: CertificateApproval wants "approve" on the signer.
	c.admin(t, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", obj{"metadata": obj{"name": "approval-writer"},
		"rules": []obj{{"apiGroups": []string{"certificates.k8s.io"}, "resources": []string{"certificatesigningrequests/approval"}, "verbs": []string{"update"}}}})
	c.admin(t, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", roleBinding("dave-approval-writer", "ClusterRole", "approval-writer", userSubject("dave")))
	var r2 response
	c.eventually(t, "dave's approval-writer binding", func() bool {
		r2 = approve("dave", api.CertificateApproved)
		return r2.code != 403 || strings.Contains(r2.status.Message, "CertificateApproval")
	})
	if r2.code != 403 || !strings.Contains(r2.status.Message, `not permitted to approve requests for signerName "kubernetes.io/kube-apiserver-client-kubelet"`) {
		t.Errorf("dave approves without approve on the signer: %d %s", r2.code, r2.body)
	}
	// Writing the main resource cannot approve either: status is kept.
	cur := csr
	cur.Status.Conditions = []api.CertificateSigningRequestCondition{{Type: api.CertificateApproved, Status: "True"}}
	r = c.as(t, "admin", "PUT", csrPath+"/node-csr-1", cur)
	if r.code != 200 || strings.Contains(string(r.body), `"Approved"`) {
		t.Errorf("PUT on the CSR itself: %d %s; want 200 with the status unchanged", r.code, r.body)
	}
	// Approved and Denied together are invalid.
	cur.Status.Conditions = []api.CertificateSigningRequestCondition{{Type: api.CertificateApproved, Status: "True"}, {Type: api.CertificateDenied, Status: "True"}}
	if r := c.as(t, "admin", "PUT", csrPath+"/node-csr-1/approval", cur); r.code != 422 {
		t.Errorf("approved and denied: %d %s", r.code, r.body)
	}
	if r := approve("admin", api.CertificateApproved); r.code != 200 {
		t.Fatalf("admin approves: %d %s", r.code, r.body)
	}
	got, err := client.CertificateSigningRequests(c.Client).Get(t.Context(), "node-csr-1")
	if err != nil {
		t.Fatal(err)
	}
	cond, ok := api.CSRCondition(got, api.CertificateApproved)
	if !ok || cond.LastUpdateTime.IsZero() || cond.Reason != "Test" {
		t.Errorf("after approval: conditions %+v", got.Status.Conditions)
	}
	// The approval cannot be taken back, nor the certificate set through it.
	got.Status.Conditions = nil
	if r := c.as(t, "admin", "PUT", csrPath+"/node-csr-1/approval", got); r.code != 422 {
		t.Errorf("removing Approved: %d %s", r.code, r.body)
	}

	// The signer writes the certificate through /status; only once.
	ca, _ := pki.NewCA("x")
	got, _ = client.CertificateSigningRequests(c.Client).Get(t.Context(), "node-csr-1")
	got.Status.Certificate = pki.EncodeCert(ca.Cert)
	if r := c.as(t, "bootstrap", "PUT", csrPath+"/node-csr-1/status", got); r.code != 403 {
		t.Errorf("bootstrap sets its certificate: %d %s", r.code, r.body)
	}
	got.Status.Conditions = nil // status writers cannot remove the decision
	out, err := client.CertificateSigningRequests(c.Client).UpdateStatus(t.Context(), got)
	if err != nil {
		t.Fatalf("admin sets the certificate: %v", err)
	}
	if len(out.Status.Certificate) == 0 || !api.CSRHasCondition(out, api.CertificateApproved) {
		t.Errorf("after /status: %+v", out.Status)
	}
	other, _ := pki.NewCA("y")
	out.Status.Certificate = pki.EncodeCert(other.Cert)
	if _, err := client.CertificateSigningRequests(c.Client).UpdateStatus(t.Context(), out); !api.IsInvalid(err) {
		t.Errorf("replacing the certificate: %v, want 422", err)
	}

	// kubectl get csr.
	r = call(t, c.Client, client.Request{Method: "GET", Path: csrPath, Accept: "application/json;as=Table;v=v1;g=meta.k8s.io"})
	if r.code != 200 || !strings.Contains(string(r.body), "Approved,Issued") || !strings.Contains(string(r.body), "system:bootstrap:abcdef") {
		t.Errorf("table: %d %s", r.code, r.body)
	}
	// Discovery has the resource, its short name and the approval subresource.
	r = c.as(t, "admin", "GET", "/apis/certificates.k8s.io/v1", nil)
	for _, want := range []string{`"certificatesigningrequests/approval"`, `"csr"`, `"certificatesigningrequests/status"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("discovery lacks %s: %s", want, r.body)
		}
	}
}

func TestCSRValidation(t *testing.T) {
	c := startAuthCluster(t)
	good := csrPEM(t, "system:node:n1", "system:nodes")
	bad := []byte(strings.Replace(string(good), "MI", "XX", 1))
	tests := []struct {
		name string
		body obj
		want string
	}{
		{"no request", csrObj("a", nil, api.SignerKubeAPIServerClientKubelet, "client auth"), "spec.request"},
		{"not a CSR", csrObj("b", []byte("hello"), api.SignerKubeAPIServerClientKubelet, "client auth"), "CERTIFICATE REQUEST"},
		{"corrupt", csrObj("c", bad, api.SignerKubeAPIServerClientKubelet, "client auth"), "spec.request"},
		{"unknown signer", csrObj("d", good, "example.com/mine", "client auth"), "spec.signerName"},
		{"no signer", csrObj("e", good, "", "client auth"), "spec.signerName"},
		{"no usages", csrObj("f", good, api.SignerKubeAPIServerClientKubelet), "spec.usages"},
		{"server auth from a client signer", csrObj("g", good, api.SignerKubeAPIServerClientKubelet, "client auth", "server auth"), "server auth"},
		{"serving without server auth", csrObj("h", good, api.SignerKubeletServing, "digital signature"), "server auth"},
		{"duplicate usage", csrObj("i", good, api.SignerKubeAPIServerClientKubelet, "client auth", "client auth"), "Duplicate"},
		{"system:masters", csrObj("j", csrPEM(t, "x", "system:masters"), api.SignerKubeAPIServerClient, "client auth"), "system:masters"},
	}
	for _, tc := range tests {
		r := c.as(t, "admin", "POST", csrPath, tc.body)
		if r.code != 422 || !strings.Contains(r.status.Message, tc.want) {
			t.Errorf("%s: %d %s; want 422 mentioning %q", tc.name, r.code, r.body, tc.want)
		}
	}
	// Nodes may ask for CSRs, but not approve them.
	if r := c.as(t, "node-a", "POST", csrPath, csrObj("node-a-serving", csrPEM(t, "system:node:node-a", "system:nodes"), api.SignerKubeletServing, "server auth", "digital signature")); r.code != 201 {
		t.Errorf("node creates a serving CSR: %d %s", r.code, r.body)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
