package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"time"

	"skiff/pkg/apiserver/request"
)

// X509 authenticates client certificates signed by the cluster CA: the subject's
// CN is the user name and its O fields are the groups. The TLS handshake only
// requests the certificate; it is verified here, so a certificate from another
// CA gets a clear 401 rather than a failed handshake.
type X509 struct {
	Roots *x509.CertPool

	// verified caches certificates that passed verification (by the hash of the
	// leaf), so a client pays for the signature check once, not per request.
	mu       sync.Mutex
	verified map[[32]byte]time.Time // → the certificate's NotAfter
}

var _ Authenticator = (*X509)(nil)

// maxVerifiedCache bounds the cache; when full it is simply emptied.
const maxVerifiedCache = 4096

// Authenticate implements Authenticator.
func (a *X509) Authenticate(r *http.Request) (*request.User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	if err := a.verify(leaf, r.TLS.PeerCertificates[1:]); err != nil {
		return nil, false, fmt.Errorf("%w: client certificate: %v", ErrInvalidCredentials, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, false, fmt.Errorf("%w: client certificate has no common name", ErrInvalidCredentials)
	}
	groups := append([]string(nil), leaf.Subject.Organization...)
	return &request.User{Name: leaf.Subject.CommonName, Groups: groups}, true, nil
}

func (a *X509) verify(leaf *x509.Certificate, intermediates []*x509.Certificate) error {
	key := sha256.Sum256(leaf.Raw)
	now := time.Now()
	a.mu.Lock()
	notAfter, ok := a.verified[key]
	a.mu.Unlock()
	if ok && now.Before(notAfter) {
		return nil
	}
	pool := x509.NewCertPool()
	for _, c := range intermediates {
		pool.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         a.Roots,
		Intermediates: pool,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime:   now,
	}); err != nil {
		return err
	}
	a.mu.Lock()
	if a.verified == nil || len(a.verified) >= maxVerifiedCache {
		a.verified = map[[32]byte]time.Time{}
	}
	a.verified[key] = leaf.NotAfter
	a.mu.Unlock()
	return nil
}
