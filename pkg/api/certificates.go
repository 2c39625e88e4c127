package api

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
)

// CertificatesGroup is the API group of CertificateSigningRequests.
const CertificatesGroup = "certificates.k8s.io"

// The signers Skiff's controller-manager signs for, as Kubernetes names them.
const (
	// SignerKubeAPIServerClientKubelet issues node agents' client certificates
	// (CN system:node:<name>, O system:nodes).
	SignerKubeAPIServerClientKubelet = "kubernetes.io/kube-apiserver-client-kubelet"
	// SignerKubeletServing issues node agents' serving certificates.
	SignerKubeletServing = "kubernetes.io/kubelet-serving"
	// SignerKubeAPIServerClient issues client certificates for any user.
	SignerKubeAPIServerClient = "kubernetes.io/kube-apiserver-client"
)

// KnownSigners are the signer names a CertificateSigningRequest may ask for.
var KnownSigners = []string{SignerKubeAPIServerClientKubelet, SignerKubeletServing, SignerKubeAPIServerClient}

// Key usages a CertificateSigningRequest may ask for (the ones Skiff's
// signers issue; Kubernetes knows a few more).
const (
	UsageDigitalSignature = "digital signature"
	UsageKeyEncipherment  = "key encipherment"
	UsageClientAuth       = "client auth"
	UsageServerAuth       = "server auth"
)

// CSR condition types.
const (
	CertificateApproved = "Approved"
	CertificateDenied   = "Denied"
	CertificateFailed   = "Failed"
)

// CertificateSigningRequest (certificates.k8s.io/v1) asks a signer for a
// certificate: a node agent joining the cluster asks for its client
// certificate with one. It is cluster-scoped; the apiserver records who asked
// in spec.username/uid/groups/extra.
type CertificateSigningRequest struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       CertificateSigningRequestSpec   `json:"spec"`
	Status     CertificateSigningRequestStatus `json:"status,omitzero"`
}

// CertificateSigningRequestSpec is the request: a PEM "CERTIFICATE REQUEST",
// the signer, the usages and (set by the apiserver) the requester.
type CertificateSigningRequestSpec struct {
	Request           []byte              `json:"request"`
	SignerName        string              `json:"signerName"`
	ExpirationSeconds *int32              `json:"expirationSeconds,omitempty"`
	Usages            []string            `json:"usages,omitempty"`
	Username          string              `json:"username,omitempty"`
	UID               string              `json:"uid,omitempty"`
	Groups            []string            `json:"groups,omitempty"`
	Extra             map[string][]string `json:"extra,omitempty"`
}

// CertificateSigningRequestStatus is the decision (conditions, through the
// approval subresource) and the issued certificate (through status).
type CertificateSigningRequestStatus struct {
	Conditions  []CertificateSigningRequestCondition `json:"conditions,omitempty"`
	Certificate []byte                               `json:"certificate,omitempty"`
}

// CertificateSigningRequestCondition is one of Approved, Denied or Failed.
type CertificateSigningRequestCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
	LastUpdateTime     Time   `json:"lastUpdateTime,omitzero"`
	LastTransitionTime Time   `json:"lastTransitionTime,omitzero"`
}

// CSRCondition returns the condition of type typ with status True, if any.
func CSRCondition(csr *CertificateSigningRequest, typ string) (CertificateSigningRequestCondition, bool) {
	for _, c := range csr.Status.Conditions {
		if c.Type == typ && c.Status == ConditionTrue {
			return c, true
		}
	}
	return CertificateSigningRequestCondition{}, false
}

// CSRHasCondition reports whether the CSR has condition typ with status True.
func CSRHasCondition(csr *CertificateSigningRequest, typ string) bool {
	_, ok := CSRCondition(csr, typ)
	return ok
}

// ParseCSR decodes and checks the signature of a PEM "CERTIFICATE REQUEST".
func ParseCSR(pemData []byte) (*x509.CertificateRequest, error) {
	block, rest := pem.Decode(pemData)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	if b, _ := pem.Decode(rest); b != nil {
		return nil, errors.New("must contain exactly one PEM block")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, err
	}
	return csr, nil
}
