package csrsigning

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/pki"
)

func request(t *testing.T, tmpl x509.CertificateRequest) []byte {
	t.Helper()
	key, _ := pki.NewKey()
	der, err := x509.CreateCertificateRequest(rand.Reader, &tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestSignUsagesPerSigner(t *testing.T) {
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	node := pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}}
	serving := request(t, x509.CertificateRequest{Subject: node, DNSNames: []string{"n1"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.5")}})
	tests := []struct {
		name        string
		signer      string
		req         []byte
		usages      []string
		wantKU      x509.KeyUsage
		wantEKU     []x509.ExtKeyUsage
		wantSANs    bool
		wantRefused bool
	}{
		{name: "kubelet client", signer: api.SignerKubeAPIServerClientKubelet, req: request(t, x509.CertificateRequest{Subject: node}),
			usages: []string{"digital signature", "key encipherment", "client auth"},
			wantKU: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, wantEKU: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{name: "kubelet serving keeps its SANs", signer: api.SignerKubeletServing, req: serving,
			usages: []string{"digital signature", "server auth"},
			wantKU: x509.KeyUsageDigitalSignature, wantEKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, wantSANs: true},
		{name: "apiserver client for any user", signer: api.SignerKubeAPIServerClient,
			req:    request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice", Organization: []string{"team-a"}}}),
			usages: []string{"client auth"}, wantEKU: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{name: "kubelet client with SANs", signer: api.SignerKubeAPIServerClientKubelet, req: serving, usages: []string{"client auth"}, wantRefused: true},
		{name: "kubelet client for a non-node", signer: api.SignerKubeAPIServerClientKubelet,
			req: request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice"}}), usages: []string{"client auth"}, wantRefused: true},
		{name: "serving without SANs", signer: api.SignerKubeletServing, req: request(t, x509.CertificateRequest{Subject: node}), usages: []string{"server auth"}, wantRefused: true},
		{name: "serving with client auth", signer: api.SignerKubeletServing, req: serving, usages: []string{"server auth", "client auth"}, wantRefused: true},
		{name: "system:masters", signer: api.SignerKubeAPIServerClient,
			req: request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "eve", Organization: []string{"system:masters"}}}), usages: []string{"client auth"}, wantRefused: true},
		{name: "unknown signer", signer: "example.com/x", req: serving, usages: []string{"server auth"}, wantRefused: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			csr := &api.CertificateSigningRequest{Spec: api.CertificateSigningRequestSpec{Request: tc.req, SignerName: tc.signer, Usages: tc.usages}}
			cert, err := Sign(ca, csr, time.Hour, now)
			if tc.wantRefused {
				if !errors.Is(err, ErrRefused) {
					t.Fatalf("Sign = %v, want ErrRefused", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cert.KeyUsage != tc.wantKU || !slices.Equal(cert.ExtKeyUsage, tc.wantEKU) {
				t.Errorf("usages %v %v, want %v %v", cert.KeyUsage, cert.ExtKeyUsage, tc.wantKU, tc.wantEKU)
			}
			if got := len(cert.DNSNames) > 0 && len(cert.IPAddresses) > 0; got != tc.wantSANs {
				t.Errorf("SANs %v %v, want present=%v", cert.DNSNames, cert.IPAddresses, tc.wantSANs)
			}
			if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
				t.Errorf("not signed by the CA: %v", err)
			}
			if cert.IsCA {
				t.Error("issued a CA certificate")
			}
		})
	}
}

func TestSignValidity(t *testing.T) {
	ca, _ := pki.NewCA("test-ca")
	now := time.Now().Truncate(time.Second)
	req := request(t, x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}}})
	secs := func(s int32) *int32 { return &s }
	tests := []struct {
		name     string
		duration time.Duration
		expSecs  *int32
		want     time.Time
	}{
		{"the configured duration", 24 * time.Hour, nil, now.Add(24 * time.Hour)},
		{"a shorter expirationSeconds", 24 * time.Hour, secs(3600), now.Add(time.Hour)},
		{"a longer expirationSeconds does not extend it", time.Hour, secs(7200), now.Add(time.Hour)},
		{"capped by the CA", 100 * 365 * 24 * time.Hour, nil, ca.Cert.NotAfter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			csr := &api.CertificateSigningRequest{Spec: api.CertificateSigningRequestSpec{Request: req, SignerName: api.SignerKubeAPIServerClientKubelet,
				Usages: []string{"client auth"}, ExpirationSeconds: tc.expSecs}}
			cert, err := Sign(ca, csr, tc.duration, now)
			if err != nil {
				t.Fatal(err)
			}
			if !cert.NotAfter.Equal(tc.want) {
				t.Errorf("NotAfter %v, want %v", cert.NotAfter, tc.want)
			}
			if !cert.NotBefore.Equal(now.Add(-backdate)) {
				t.Errorf("NotBefore %v, want %v", cert.NotBefore, now.Add(-backdate))
			}
		})
	}
}
