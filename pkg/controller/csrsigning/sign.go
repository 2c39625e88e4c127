package csrsigning

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/pki"
)

// backdate is how far before "now" certificates start, so a node whose clock
// is a little behind accepts them (Kubernetes uses the same five minutes).
const backdate = 5 * time.Minute

// minDuration is the shortest validity a CSR may ask for (expirationSeconds).
const minDuration = 10 * time.Minute

// ErrRefused wraps why a CSR is not something its signer issues; the
// controller records it as the CSR's Failed condition.
var ErrRefused = errors.New("csrsigning: refused")

// Sign issues the certificate a CSR asks for, with ca, valid from now (minus
// a small backdate) for duration, or for spec.expirationSeconds if shorter,
// and never beyond the CA's own expiry. Usages follow the signer: client auth
// for the client signers, server auth for kubelet-serving, with digital
// signature and key encipherment as asked. A request its signer does not
// issue gives an error wrapping ErrRefused.
func Sign(ca *pki.CA, csr *api.CertificateSigningRequest, duration time.Duration, now time.Time) (*x509.Certificate, error) {
	req, err := api.ParseCSR(csr.Spec.Request)
	if err != nil {
		return nil, fmt.Errorf("%w: the request does not parse: %v", ErrRefused, err)
	}
	if err := checkSigner(csr.Spec.SignerName, req, csr.Spec.Usages); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if s := csr.Spec.ExpirationSeconds; s != nil {
		if d := time.Duration(*s) * time.Second; d < duration {
			duration = max(d, minDuration)
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               req.Subject,
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(duration),
		BasicConstraintsValid: true,
	}
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	if tmpl.NotBefore.Before(ca.Cert.NotBefore) {
		tmpl.NotBefore = ca.Cert.NotBefore
	}
	for _, u := range csr.Spec.Usages {
		switch u {
		case api.UsageDigitalSignature:
			tmpl.KeyUsage |= x509.KeyUsageDigitalSignature
		case api.UsageKeyEncipherment:
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		case api.UsageClientAuth:
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		case api.UsageServerAuth:
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		}
	}
	if csr.Spec.SignerName == api.SignerKubeletServing {
		tmpl.DNSNames, tmpl.IPAddresses = req.DNSNames, req.IPAddresses
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, req.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("csrsigning: sign %s: %w", csr.Name, err)
	}
	return x509.ParseCertificate(der)
}

// checkSigner applies each signer's rules, as Kubernetes' signers do.
func checkSigner(signer string, req *x509.CertificateRequest, usages []string) error {
	hasSANs := len(req.DNSNames)+len(req.IPAddresses)+len(req.EmailAddresses)+len(req.URIs) > 0
	nodeSubject := strings.HasPrefix(req.Subject.CommonName, "system:node:") && len(req.Subject.CommonName) > len("system:node:") &&
		slices.Equal(req.Subject.Organization, []string{"system:nodes"})
	allowed := func(required string) error {
		if !slices.Contains(usages, required) {
			return fmt.Errorf("signer %s needs usage %q", signer, required)
		}
		for _, u := range usages {
			if u != required && u != api.UsageDigitalSignature && u != api.UsageKeyEncipherment {
				return fmt.Errorf("signer %s does not issue usage %q", signer, u)
			}
		}
		return nil
	}
	switch signer {
	case api.SignerKubeAPIServerClientKubelet:
		if !nodeSubject || hasSANs {
			return errors.New("a kubelet client certificate must have CN system:node:<name>, O system:nodes and no SANs")
		}
		return allowed(api.UsageClientAuth)
	case api.SignerKubeletServing:
		if !nodeSubject {
			return errors.New("a kubelet serving certificate must have CN system:node:<name> and O system:nodes")
		}
		if len(req.DNSNames)+len(req.IPAddresses) == 0 || len(req.EmailAddresses)+len(req.URIs) > 0 {
			return errors.New("a kubelet serving certificate needs DNS or IP SANs, and no email or URI SANs")
		}
		return allowed(api.UsageServerAuth)
	case api.SignerKubeAPIServerClient:
		if slices.Contains(req.Subject.Organization, "system:masters") {
			return errors.New("no client certificate for system:masters is issued")
		}
		return allowed(api.UsageClientAuth)
	}
	return fmt.Errorf("unknown signer %q", signer)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
