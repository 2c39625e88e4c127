package csrapproving

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/pki"
)

// fakeAuthz allows the (user, subresource) pairs it holds.
type fakeAuthz struct {
	allow map[string]bool
	err   error
	asked []string
}

func (f *fakeAuthz) MayCreate(_ context.Context, csr *api.CertificateSigningRequest, sub string) (bool, error) {
	f.asked = append(f.asked, csr.Spec.Username+" "+sub)
	return f.allow[csr.Spec.Username+" "+sub], f.err
}

func request(t *testing.T, tmpl x509.CertificateRequest) []byte {
	t.Helper()
	key, _ := pki.NewKey()
	der, err := x509.CreateCertificateRequest(rand.Reader, &tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestDecide(t *testing.T) {
	node := pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}}
	clientReq := request(t, x509.CertificateRequest{Subject: node})
	servingReq := request(t, x509.CertificateRequest{Subject: node, DNSNames: []string{"n1"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.5")}})
	bootstrapper := &fakeAuthz{allow: map[string]bool{"system:bootstrap:abcdef nodeclient": true, "system:node:n1 selfnodeclient": true}}
	csr := func(signer, user string, req []byte, usages ...string) *api.CertificateSigningRequest {
		return &api.CertificateSigningRequest{Spec: api.CertificateSigningRequestSpec{Request: req, SignerName: signer, Usages: usages,
			Username: user, Groups: []string{"system:authenticated"}}}
	}
	nodeCSR := func(signer, user string, req []byte, usages ...string) *api.CertificateSigningRequest {
		c := csr(signer, user, req, usages...)
		c.Spec.Groups = append(c.Spec.Groups, "system:nodes")
		return c
	}
	tests := []struct {
		name    string
		csr     *api.CertificateSigningRequest
		want    bool
		wantMsg string
	}{
		{"bootstrap token asks for a node client cert", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef", clientReq, "client auth", "digital signature", "key encipherment"), true, msgNodeClient},
		{"node renews its own", nodeCSR(api.SignerKubeAPIServerClientKubelet, "system:node:n1", clientReq, "client auth"), true, msgSelfNodeClient},
		{"another node asks for n1", nodeCSR(api.SignerKubeAPIServerClientKubelet, "system:node:n2", clientReq, "client auth"), false, ""},
		{"a user without nodeclient", csr(api.SignerKubeAPIServerClientKubelet, "dave", clientReq, "client auth"), false, ""},
		{"server auth in a client cert", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef", clientReq, "client auth", "server auth"), false, ""},
		{"no client auth", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef", clientReq, "digital signature"), false, ""},
		{"extra organization", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef",
			request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes", "system:masters"}}}), "client auth"), false, ""},
		{"not a node name", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef",
			request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "admin", Organization: []string{"system:nodes"}}}), "client auth"), false, ""},
		{"empty node name", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef",
			request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:", Organization: []string{"system:nodes"}}}), "client auth"), false, ""},
		{"client cert with SANs", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef", servingReq, "client auth"), false, ""},
		{"other signer", csr(api.SignerKubeAPIServerClient, "system:bootstrap:abcdef", clientReq, "client auth"), false, ""},
		{"node's own serving cert (Skiff)", nodeCSR(api.SignerKubeletServing, "system:node:n1", servingReq, "server auth", "digital signature", "key encipherment"), true, msgNodeServing},
		{"serving cert for another node", nodeCSR(api.SignerKubeletServing, "system:node:n2", servingReq, "server auth"), false, ""},
		{"serving cert asked by a bootstrap token", csr(api.SignerKubeletServing, "system:bootstrap:abcdef", servingReq, "server auth"), false, ""},
		{"serving cert without SANs", nodeCSR(api.SignerKubeletServing, "system:node:n1", clientReq, "server auth"), false, ""},
		{"serving cert with an email SAN", nodeCSR(api.SignerKubeletServing, "system:node:n1",
			request(t, x509.CertificateRequest{Subject: node, DNSNames: []string{"n1"}, EmailAddresses: []string{"a@b"}}), "server auth"), false, ""},
		{"serving cert with client auth", nodeCSR(api.SignerKubeletServing, "system:node:n1", servingReq, "server auth", "client auth"), false, ""},
		{"garbage request", csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef", []byte("x"), "client auth"), false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg, err := Decide(context.Background(), bootstrapper, tc.csr)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || (tc.want && msg != tc.wantMsg) {
				t.Errorf("Decide = %v %q, want %v %q", got, msg, tc.want, tc.wantMsg)
			}
		})
	}
	failing := &fakeAuthz{err: errors.New("apiserver down")}
	if _, _, err := Decide(context.Background(), failing, csr(api.SignerKubeAPIServerClientKubelet, "system:bootstrap:abcdef", clientReq, "client auth")); err == nil {
		t.Error("a failed SubjectAccessReview was not returned")
	}
}
