// Package certificates holds the admission plugins that guard
// CertificateSigningRequests, as Kubernetes' of the same names: only a user
// allowed to "approve" for a CSR's signer may approve or deny it
// (CertificateApproval), and only one allowed to "sign" for it may set its
// certificate (CertificateSigning). Both ask the apiserver's authorizer about
// the virtual resource certificates.k8s.io/signers, named by the signer
// ("kubernetes.io/kubelet-serving") or its domain ("kubernetes.io/*").
package certificates

import (
	"bytes"
	"context"
	"reflect"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/request"
)

// Plugin names.
const (
	ApprovalName = "CertificateApproval"
	SigningName  = "CertificateSigning"
)

// Authorizer answers whether user may do verb ("approve" or "sign") on the
// signers resource named name. It may be called concurrently.
type Authorizer interface {
	AuthorizeSigner(ctx context.Context, user *request.User, verb, name string) (bool, error)
}

// Approval is the CertificateApproval plugin.
type Approval struct{ authz Authorizer }

// Signing is the CertificateSigning plugin.
type Signing struct{ authz Authorizer }

var (
	_ admission.ValidatingPlugin = (*Approval)(nil)
	_ admission.ValidatingPlugin = (*Signing)(nil)
)

// NewApproval returns the CertificateApproval plugin.
func NewApproval(a Authorizer) *Approval { return &Approval{authz: a} }

// NewSigning returns the CertificateSigning plugin.
func NewSigning(a Authorizer) *Signing { return &Signing{authz: a} }

// Name implements admission.Plugin.
func (*Approval) Name() string { return ApprovalName }

// Name implements admission.Plugin.
func (*Signing) Name() string { return SigningName }

// Validate checks writes to certificatesigningrequests/approval that change
// the Approved or Denied conditions.
func (p *Approval) Validate(ctx context.Context, a *admission.Attributes) error {
	csr, old, ok := csrUpdate(a, "approval")
	if !ok || reflect.DeepEqual(decisions(csr), decisions(old)) {
		return nil
	}
	return check(ctx, p.authz, a, "approve", csr.Spec.SignerName)
}

// Validate checks writes to certificatesigningrequests/status that change the
// certificate.
func (p *Signing) Validate(ctx context.Context, a *admission.Attributes) error {
	csr, old, ok := csrUpdate(a, "status")
	if !ok || bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		return nil
	}
	return check(ctx, p.authz, a, "sign", csr.Spec.SignerName)
}

func csrUpdate(a *admission.Attributes, sub string) (csr, old *api.CertificateSigningRequest, ok bool) {
	if a.Operation != admission.Update || a.Group != api.CertificatesGroup || a.Resource != "certificatesigningrequests" || a.Subresource != sub {
		return nil, nil, false
	}
	csr, ok1 := a.Object.(*api.CertificateSigningRequest)
	old, ok2 := a.OldObject.(*api.CertificateSigningRequest)
	return csr, old, ok1 && ok2
}

// decisions are the Approved and Denied conditions, by type.
func decisions(csr *api.CertificateSigningRequest) map[string]bool {
	out := map[string]bool{}
	for _, c := range csr.Status.Conditions {
		if c.Type == api.CertificateApproved || c.Type == api.CertificateDenied {
			out[c.Type] = c.Status == api.ConditionTrue
		}
	}
	return out
}

// check allows the write if user may do verb on the signer or on its domain's
// wildcard.
func check(ctx context.Context, authz Authorizer, a *admission.Attributes, verb, signer string) error {
	names := []string{signer}
	if domain, _, ok := strings.Cut(signer, "/"); ok {
		names = append(names, domain+"/*")
	}
	for _, name := range names {
		ok, err := authz.AuthorizeSigner(ctx, a.User, verb, name)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	user := "<anonymous>"
	if a.User != nil {
		user = a.User.Name
	}
	return admission.Forbidden(a, "user %q is not permitted to %s requests for signerName %q", user, verb, signer)
}
