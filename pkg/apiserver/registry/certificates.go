package registry

import (
	"slices"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// certificateSigningRequests are cluster-scoped. Their spec never changes;
// decisions go through /approval (conditions Approved and Denied) and the
// issued certificate through /status, each writable only there, as in
// Kubernetes.
func certificateSigningRequests() *Resource {
	return &Resource{
		Group: api.CertificatesGroup, Version: "v1", Kind: "CertificateSigningRequest",
		Plural: "certificatesigningrequests", Singular: "certificatesigningrequest", ShortNames: []string{"csr"},
		New:                  func() api.Object { return &api.CertificateSigningRequest{} },
		Defaults:             func(api.Object) {},
		Validate:             typedValidate(api.ValidateCertificateSigningRequest),
		ValidateUpdate:       typedValidateUpdate(api.ValidateCertificateSigningRequestUpdate),
		ValidateStatusUpdate: typedValidateUpdate(api.ValidateCertificateSigningRequestStatusUpdate),
		HasStatus:            true,
		PrepareForCreate:     ResetStatus,
		SetRequester:         setCSRRequester,
		PrepareForUpdate:     prepareCSRUpdate,
		Fields: map[string]func(api.Object) string{
			"spec.signerName": func(o api.Object) string { return o.(*api.CertificateSigningRequest).Spec.SignerName },
		},
		Table:        csrTable,
		Subresources: []Subresource{{Name: "approval", Kind: "CertificateSigningRequest", Verbs: []string{"get", "patch", "update"}, Writable: true}},
	}
}

// setCSRRequester records the requesting user; what the client sent there is
// ignored.
func setCSRRequester(o api.Object, u *request.User) {
	csr := o.(*api.CertificateSigningRequest)
	csr.Spec.Username, csr.Spec.UID, csr.Spec.Groups, csr.Spec.Extra = "", "", nil, nil
	if u == nil {
		return
	}
	csr.Spec.Username, csr.Spec.UID = u.Name, u.UID
	csr.Spec.Groups = slices.Clone(u.Groups)
	if len(u.Extra) > 0 {
		csr.Spec.Extra = map[string][]string{}
		for k, v := range u.Extra {
			csr.Spec.Extra[k] = slices.Clone(v)
		}
	}
}

// prepareCSRUpdate: /approval changes only the Approved and Denied
// conditions; /status may set the certificate and other conditions (Failed)
// but not those two.
func prepareCSRUpdate(sub string, o, old api.Object) {
	csr, prev := o.(*api.CertificateSigningRequest), old.(*api.CertificateSigningRequest)
	decision := func(c api.CertificateSigningRequestCondition) bool {
		return c.Type == api.CertificateApproved || c.Type == api.CertificateDenied
	}
	// merge keeps the stored conditions fromNew rejects and takes the client's it accepts.
	merge := func(fromNew func(api.CertificateSigningRequestCondition) bool) []api.CertificateSigningRequestCondition {
		var out []api.CertificateSigningRequestCondition
		for _, c := range prev.Status.Conditions {
			if !fromNew(c) {
				out = append(out, c)
			}
		}
		for _, c := range csr.Status.Conditions {
			if fromNew(c) {
				out = append(out, c)
			}
		}
		return out
	}
	switch sub {
	case "approval":
		csr.Status.Certificate = prev.Status.Certificate
		csr.Status.Conditions = merge(decision)
	case "status":
		csr.Status.Conditions = merge(func(c api.CertificateSigningRequestCondition) bool { return !decision(c) })
	default:
		return
	}
	now := api.Now()
	for i := range csr.Status.Conditions {
		c := &csr.Status.Conditions[i]
		if c.LastUpdateTime.IsZero() {
			c.LastUpdateTime = now
		}
		if c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = now
		}
	}
}

var csrTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, ageColumn,
		col("SignerName", "string", "Name of the signer that will be used to sign the certificate."),
		col("Requestor", "string", "Name of user that requested the certificate signing request."),
		col("RequestedDuration", "string", "Requested duration of the issued certificate."),
		col("Condition", "string", "State of the certificate signing request."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		csr := obj.(*api.CertificateSigningRequest)
		duration := "<none>"
		if s := csr.Spec.ExpirationSeconds; s != nil {
			duration = HumanDuration(time.Duration(*s) * time.Second)
		}
		return []any{csr.Name, Age(csr.CreationTimestamp, now), csr.Spec.SignerName, csr.Spec.Username, duration, csrCondition(csr)}
	},
}

// csrCondition is kubectl's CONDITION column: Denied, Approved or Pending,
// then ",Failed" and ",Issued".
func csrCondition(csr *api.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case api.CertificateApproved:
			approved = true
		case api.CertificateDenied:
			denied = true
		case api.CertificateFailed:
			failed = true
		}
	}
	status := "Pending"
	if denied {
		status = "Denied"
	} else if approved {
		status = "Approved"
	}
	if failed {
		status += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		status += ",Issued"
	}
	return status
}
