package apiserver

import (
	"context"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"

	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/admission/certificates"
	"skiff/pkg/apiserver/admission/limitranger"
	"skiff/pkg/apiserver/admission/namespacelifecycle"
	"skiff/pkg/apiserver/admission/noderestriction"
	"skiff/pkg/apiserver/admission/podsecurity"
	"skiff/pkg/apiserver/admission/priority"
	"skiff/pkg/apiserver/admission/resourcequota"
	sa "skiff/pkg/apiserver/admission/serviceaccount"
	"skiff/pkg/apiserver/admission/tolerationseconds"
)

// AdmissionPluginNames are the admission plugins, in the order they run (the
// order of Kubernetes' AllOrderedPlugins). All are on by default;
// --disable-admission-plugins turns some off.
var AdmissionPluginNames = []string{
	namespacelifecycle.Name, limitranger.Name, sa.Name, noderestriction.Name,
	podsecurity.Name, priority.Name, tolerationseconds.Name,
	certificates.ApprovalName, certificates.SigningName, resourcequota.Name,
}

func knownAdmissionPlugin(name string) bool { return slices.Contains(AdmissionPluginNames, name) }

// buildAdmission assembles the chain from the enabled plugins: the mutating
// ones in order, then the validating ones in order.
func (s *Server) buildAdmission() *admission.Chain {
	o := s.opts
	plugins := map[string]admission.Plugin{
		namespacelifecycle.Name:   namespacelifecycle.New(s.lookups),
		limitranger.Name:          limitranger.New(s.lookups),
		sa.Name:                   sa.New(s.lookups),
		noderestriction.Name:      noderestriction.New(s.lookups),
		podsecurity.Name:          podsecurity.New(s.lookups, podsecurity.Baseline),
		priority.Name:             priority.New(s.lookups),
		tolerationseconds.Name:    tolerationseconds.New(o.DefaultNotReadyTolerationSeconds, o.DefaultUnreachableTolerationSeconds),
		resourcequota.Name:        resourcequota.New(s.lookups),
		certificates.ApprovalName: certificates.NewApproval(signerAuthorizer{s}),
		certificates.SigningName:  certificates.NewSigning(signerAuthorizer{s}),
	}
	chain := &admission.Chain{}
	var enabled []string
	for _, name := range AdmissionPluginNames {
		if slices.Contains(o.DisableAdmissionPlugins, name) && !slices.Contains(o.EnableAdmissionPlugins, name) {
			continue
		}
		enabled = append(enabled, name)
		p := plugins[name]
		if m, ok := p.(admission.MutatingPlugin); ok {
			chain.Mutating = append(chain.Mutating, m)
		}
		if v, ok := p.(admission.ValidatingPlugin); ok {
			chain.Validating = append(chain.Validating, v)
		}
	}
	s.log.Info("admission plugins", "enabled", enabled)
	return chain
}

// signerAuthorizer asks the server's authorizer about certificates.k8s.io
// signers, for the certificate admission plugins.
type signerAuthorizer struct{ s *Server }

func (a signerAuthorizer) AuthorizeSigner(ctx context.Context, user *request.User, verb, name string) (bool, error) {
	info := &request.Info{IsResourceRequest: true, Verb: verb, APIGroup: api.CertificatesGroup, APIVersion: "*",
		Resource: "signers", Name: name}
	d, _, err := a.s.authz.Authorize(ctx, authz.Attributes{User: user, Info: info})
	return d == authz.Allow, err
}
