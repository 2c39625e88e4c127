package csrapproving

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"skiff/pkg/api"
)

// The node identity, as Kubernetes writes it.
const (
	nodeUserPrefix = "system:node:"
	nodesGroup     = "system:nodes"
)

// Messages of the Approved condition; the reason is always AutoApproved.
const (
	ReasonAutoApproved = "AutoApproved"
	msgNodeClient      = "Auto approving kubelet client certificate after SubjectAccessReview."
	msgSelfNodeClient  = "Auto approving self kubelet client certificate after SubjectAccessReview."
	msgNodeServing     = "Auto approving kubelet serving certificate: requested by the node it names (Skiff's policy)."
)

// Authorizer answers whether the requester of csr may create the (virtual)
// subresource certificatesigningrequests/<subresource>: "nodeclient" or
// "selfnodeclient". The controller asks the apiserver with a
// SubjectAccessReview, as Kubernetes' approver does.
type Authorizer interface {
	MayCreate(ctx context.Context, csr *api.CertificateSigningRequest, subresource string) (bool, error)
}

// Decide says whether to approve csr, and with which message. A CSR it does
// not recognise is left alone (false, no error), for an administrator to
// approve or deny. err is only for a failed SubjectAccessReview.
//
// Recognised, as in Kubernetes: node client certificates
// (kube-apiserver-client-kubelet, CN system:node:<name>, O exactly
// system:nodes, no SANs, usages client auth plus optionally digital signature
// and key encipherment) whose requester may create .../nodeclient (a
// bootstrap token) or, being that very node, .../selfnodeclient (renewal).
// Added by Skiff: node serving certificates (kubelet-serving, same subject,
// SANs only DNS names and IPs, usages server auth plus optionally the two
// others) requested by the node they name; Kubernetes leaves those to an
// administrator or an external approver.
func Decide(ctx context.Context, authz Authorizer, csr *api.CertificateSigningRequest) (approve bool, message string, err error) {
	req, perr := api.ParseCSR(csr.Spec.Request)
	if perr != nil {
		return false, "", nil
	}
	switch csr.Spec.SignerName {
	case api.SignerKubeAPIServerClientKubelet:
		if !IsNodeClientCert(req, csr.Spec.Usages) {
			return false, "", nil
		}
		if csr.Spec.Username == req.Subject.CommonName {
			ok, err := authz.MayCreate(ctx, csr, "selfnodeclient")
			if err != nil || ok {
				return ok, msgSelfNodeClient, err
			}
		}
		ok, err := authz.MayCreate(ctx, csr, "nodeclient")
		return ok, msgNodeClient, err
	case api.SignerKubeletServing:
		if IsNodeServingCert(req, csr.Spec.Usages) && csr.Spec.Username == req.Subject.CommonName && slices.Contains(csr.Spec.Groups, nodesGroup) {
			return true, msgNodeServing, nil
		}
	}
	return false, "", nil
}

// isNodeSubject: CN system:node:<name> with a name, O exactly [system:nodes].
func isNodeSubject(req *x509.CertificateRequest) bool {
	name, ok := strings.CutPrefix(req.Subject.CommonName, nodeUserPrefix)
	return ok && name != "" && slices.Equal(req.Subject.Organization, []string{nodesGroup})
}

// usagesWithin: every usage is allowed and required is among them.
func usagesWithin(usages []string, required string, allowed ...string) bool {
	if !slices.Contains(usages, required) {
		return false
	}
	for _, u := range usages {
		if u != required && !slices.Contains(allowed, u) {
			return false
		}
	}
	return true
}

// IsNodeClientCert reports whether a request is for a node's client
// certificate and nothing more.
func IsNodeClientCert(req *x509.CertificateRequest, usages []string) bool {
	return isNodeSubject(req) && len(req.DNSNames) == 0 && len(req.IPAddresses) == 0 &&
		len(req.EmailAddresses) == 0 && len(req.URIs) == 0 &&
		usagesWithin(usages, api.UsageClientAuth, api.UsageDigitalSignature, api.UsageKeyEncipherment)
}

// IsNodeServingCert reports whether a request is for a node's serving
// certificate: DNS names and IPs only, at least one of them.
func IsNodeServingCert(req *x509.CertificateRequest, usages []string) bool {
	return isNodeSubject(req) && len(req.DNSNames)+len(req.IPAddresses) > 0 &&
		len(req.EmailAddresses) == 0 && len(req.URIs) == 0 &&
		usagesWithin(usages, api.UsageServerAuth, api.UsageDigitalSignature, api.UsageKeyEncipherment)
}

// sarAuthorizer asks the apiserver.
type sarAuthorizer struct {
	do func(ctx context.Context, sar *api.SubjectAccessReview) (*api.SubjectAccessReview, error)
}

// MayCreate implements Authorizer with a SubjectAccessReview for the CSR's
// requester.
func (a sarAuthorizer) MayCreate(ctx context.Context, csr *api.CertificateSigningRequest, subresource string) (bool, error) {
	sar := &api.SubjectAccessReview{
		TypeMeta: api.TypeMeta{Kind: "SubjectAccessReview", APIVersion: "authorization.k8s.io/v1"},
		Spec: api.SubjectAccessReviewSpec{
			User: csr.Spec.Username, UID: csr.Spec.UID, Groups: csr.Spec.Groups, Extra: csr.Spec.Extra,
			ResourceAttributes: &api.ResourceAttributes{Group: api.CertificatesGroup, Resource: "certificatesigningrequests",
				Subresource: subresource, Verb: "create"},
		},
	}
	out, err := a.do(ctx, sar)
	if err != nil {
		return false, fmt.Errorf("SubjectAccessReview for %s: %w", csr.Spec.Username, err)
	}
	return out.Status.Allowed, nil
}
