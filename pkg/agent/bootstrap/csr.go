package bootstrap

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// ErrDenied means an administrator (or policy) denied the CSR.
var ErrDenied = errors.New("bootstrap: certificate request denied")

// ErrTimeout means no certificate came within the wait.
var ErrTimeout = errors.New("bootstrap: timed out waiting for the certificate")

// requestCertificate creates a CSR for key with the subject and SANs of tmpl,
// for signer and usages, and waits (watching it) until it is signed, denied
// or failed, or until timeout. It returns the issued certificate.
func requestCertificate(ctx context.Context, c *client.Client, key crypto.Signer, tmpl *x509.CertificateRequest, signer string, usages []string, timeout time.Duration) (*x509.Certificate, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: make the certificate request: %w", err)
	}
	csr := &api.CertificateSigningRequest{
		TypeMeta:   api.TypeMeta{Kind: "CertificateSigningRequest", APIVersion: "certificates.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{GenerateName: "node-csr-"},
		Spec: api.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: signer, Usages: usages,
		},
	}
	csrs := client.CertificateSigningRequests(c)
	created, err := csrs.Create(ctx, csr)
	if err != nil {
		if api.ReasonOf(err) == api.ReasonUnauthorized {
			return nil, fmt.Errorf("%w: the apiserver refused the credentials: the token is expired or unknown: create a new one with `skiffctl token create`", ErrTokenNotValid)
		}
		return nil, fmt.Errorf("create a CertificateSigningRequest: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	issued, err := waitForCertificate(wctx, csrs, created.Name)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, fmt.Errorf("%w: CSR %s (signer %s) was not approved and signed within %v: is the controller-manager running with the csrapproving and csrsigning controllers? See `kubectl get csr`; an administrator may approve it with `kubectl certificate approve %s`",
			ErrTimeout, created.Name, signer, timeout, created.Name)
	}
	if err != nil {
		return nil, err
	}
	cert, err := parseCertPEM(issued)
	if err != nil {
		return nil, fmt.Errorf("CSR %s: the issued certificate: %w", created.Name, err)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("CSR %s: the issued certificate is not for this key", created.Name)
	}
	return cert, nil
}

// waitForCertificate returns the CSR's certificate once it has one, or why it
// will not get one.
func waitForCertificate(ctx context.Context, csrs *client.Resource[*api.CertificateSigningRequest], name string) ([]byte, error) {
	check := func(csr *api.CertificateSigningRequest) ([]byte, bool, error) {
		if c, ok := api.CSRCondition(csr, api.CertificateDenied); ok {
			return nil, true, fmt.Errorf("%w: CSR %s was denied (%s: %s)", ErrDenied, name, c.Reason, c.Message)
		}
		if c, ok := api.CSRCondition(csr, api.CertificateFailed); ok {
			return nil, true, fmt.Errorf("CSR %s failed: %s: %s", name, c.Reason, c.Message)
		}
		if len(csr.Status.Certificate) > 0 {
			return csr.Status.Certificate, true, nil
		}
		return nil, false, nil
	}
	for {
		cur, err := csrs.Get(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if api.IsNotFound(err) {
				return nil, fmt.Errorf("CSR %s was deleted before it was signed", name)
			}
			return nil, err
		}
		if cert, done, err := check(cur); done {
			return cert, err
		}
		events, err := csrs.Watch(ctx, client.ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: cur.ResourceVersion})
		if err != nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
				continue
			}
		}
		for ev := range events {
			if ev.Err != nil || ev.Type == api.Deleted {
				break
			}
			if cert, done, err := check(ev.Object); done {
				return cert, err
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ak, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ak.Equal(b)
}
