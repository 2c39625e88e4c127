package authn

import (
	"crypto/x509"
	"fmt"
	"net/http"

	"skiff/pkg/apiserver/request"
)

// X509 authenticates client certificates signed by the cluster CA: the subject's
// CN is the user name and its O fields are the groups.
type X509 struct {
	Roots *x509.CertPool
}

var _ Authenticator = (*X509)(nil)

// Authenticate implements Authenticator.
func (a *X509) Authenticate(r *http.Request) (*request.User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         a.Roots,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return nil, false, fmt.Errorf("%w: client certificate: %v", ErrInvalidCredentials, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, false, fmt.Errorf("%w: client certificate has no common name", ErrInvalidCredentials)
	}
	groups := append([]string(nil), leaf.Subject.Organization...)
	return &request.User{Name: leaf.Subject.CommonName, Groups: groups}, true, nil
}
