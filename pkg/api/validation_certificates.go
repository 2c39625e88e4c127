package api

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// signerUsages are, per signer, the usages it issues and the one a request
// must include.
var signerUsages = map[string]struct {
	allowed  []string
	required string
}{
	SignerKubeAPIServerClientKubelet: {[]string{UsageDigitalSignature, UsageKeyEncipherment, UsageClientAuth}, UsageClientAuth},
	SignerKubeAPIServerClient:        {[]string{UsageDigitalSignature, UsageKeyEncipherment, UsageClientAuth}, UsageClientAuth},
	SignerKubeletServing:             {[]string{UsageDigitalSignature, UsageKeyEncipherment, UsageServerAuth}, UsageServerAuth},
}

// ValidateCertificateSigningRequest checks a new CSR: its PEM request parses
// and is signed by its own key, the signer is one Skiff signs for, and the
// usages are ones that signer issues (Kubernetes only marks such a CSR Failed
// later; rejecting it at once says why to whoever sent it).
func ValidateCertificateSigningRequest(csr *CertificateSigningRequest) FieldErrors {
	errs := ValidateObjectMeta(&csr.ObjectMeta, false, ValidateSubdomainName)
	spec := NewPath("spec")
	parsed, err := ParseCSR(csr.Spec.Request)
	switch {
	case len(csr.Spec.Request) == 0:
		errs = append(errs, Required(spec.Child("request"), "a PEM-encoded CERTIFICATE REQUEST"))
	case err != nil:
		errs = append(errs, Invalid(spec.Child("request"), "<binary>", err.Error()))
	}
	su, known := signerUsages[csr.Spec.SignerName]
	switch {
	case csr.Spec.SignerName == "":
		errs = append(errs, Required(spec.Child("signerName"), "one of "+strings.Join(KnownSigners, ", ")))
	case !known:
		errs = append(errs, NotSupported(spec.Child("signerName"), csr.Spec.SignerName, KnownSigners))
	}
	if s := csr.Spec.ExpirationSeconds; s != nil && *s < 600 {
		errs = append(errs, Invalid(spec.Child("expirationSeconds"), *s, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	p := spec.Child("usages")
	if len(csr.Spec.Usages) == 0 {
		errs = append(errs, Required(p, "at least one usage, e.g. \"client auth\""))
	}
	seen := map[string]bool{}
	for i, u := range csr.Spec.Usages {
		switch {
		case seen[u]:
			errs = append(errs, Duplicate(p.Index(i), u))
		case known && !slices.Contains(su.allowed, u):
			errs = append(errs, NotSupported(p.Index(i), u, su.allowed))
		}
		seen[u] = true
	}
	if known && len(csr.Spec.Usages) > 0 && !seen[su.required] {
		errs = append(errs, Required(p, fmt.Sprintf("signer %s issues only certificates with usage %q", csr.Spec.SignerName, su.required)))
	}
	// As Kubernetes' CertificateSubjectRestriction: nobody gets system:masters
	// through a CSR.
	if parsed != nil && csr.Spec.SignerName == SignerKubeAPIServerClient && slices.Contains(parsed.Subject.Organization, "system:masters") {
		errs = append(errs, Forbidden(spec.Child("request"), "subject organization system:masters is not allowed for signer "+SignerKubeAPIServerClient))
	}
	return errs
}

// ValidateCertificateSigningRequestUpdate: the spec never changes.
func ValidateCertificateSigningRequestUpdate(csr, old *CertificateSigningRequest) FieldErrors {
	errs := ValidateObjectMetaUpdate(&csr.ObjectMeta, &old.ObjectMeta)
	if !reflect.DeepEqual(csr.Spec, old.Spec) {
		errs = append(errs, Forbidden(NewPath("spec"), "field is immutable"))
	}
	return errs
}

// ValidateCertificateSigningRequestStatusUpdate checks a write through
// /status or /approval: the spec does not change, conditions are well formed
// (never both Approved and Denied, neither removed once set) and an issued
// certificate is PEM and never replaced.
func ValidateCertificateSigningRequestStatusUpdate(csr, old *CertificateSigningRequest) FieldErrors {
	errs := ValidateCertificateSigningRequestUpdate(csr, old)
	p := NewPath("status", "conditions")
	seen := map[string]bool{}
	for i, c := range csr.Status.Conditions {
		switch {
		case c.Type != CertificateApproved && c.Type != CertificateDenied && c.Type != CertificateFailed:
			errs = append(errs, NotSupported(p.Index(i).Child("type"), c.Type, []string{CertificateApproved, CertificateDenied, CertificateFailed}))
		case seen[c.Type]:
			errs = append(errs, Duplicate(p.Index(i).Child("type"), c.Type))
		}
		seen[c.Type] = true
		if c.Status != ConditionTrue && c.Status != ConditionFalse && c.Status != ConditionUnknown {
			errs = append(errs, NotSupported(p.Index(i).Child("status"), c.Status, []string{ConditionTrue, ConditionFalse, ConditionUnknown}))
		}
		if (c.Type == CertificateApproved || c.Type == CertificateDenied) && c.Status != ConditionTrue {
			errs = append(errs, NotSupported(p.Index(i).Child("status"), c.Status, []string{ConditionTrue}))
		}
	}
	if seen[CertificateApproved] && seen[CertificateDenied] {
		errs = append(errs, Invalid(p, CertificateApproved, "Approved and Denied conditions are mutually exclusive"))
	}
	for _, typ := range []string{CertificateApproved, CertificateDenied} {
		if CSRHasCondition(old, typ) && !CSRHasCondition(csr, typ) {
			errs = append(errs, Forbidden(p, "updates may not remove a condition of type "+typ))
		}
	}
	cp := NewPath("status", "certificate")
	if len(old.Status.Certificate) > 0 && !bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		errs = append(errs, Forbidden(cp, "updates may not modify existing certificate content"))
	} else if len(csr.Status.Certificate) > 0 {
		rest := csr.Status.Certificate
		n := 0
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				errs = append(errs, Invalid(cp, "<certificate data>", "only CERTIFICATE PEM blocks are allowed, found "+b.Type))
			}
			n++
		}
		if n == 0 {
			errs = append(errs, Invalid(cp, "<certificate data>", "must contain at least one CERTIFICATE PEM block"))
		}
	}
	return errs
}
