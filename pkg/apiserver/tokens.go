package apiserver

import (
	"net/http"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/authn/serviceaccount"
)

// Service-account token lifetimes, as Kubernetes bounds them.
const (
	defaultTokenLifetime = time.Hour
	minTokenLifetime     = 10 * time.Minute
	maxTokenLifetime     = 48 * time.Hour
)

// requestToken answers serviceaccounts/NAME/token (`kubectl create token NAME`):
// a signed token for the service account, optionally bound to a pod or secret so
// it dies with it.
func (c *call) requestToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c.info.Verb != "create" {
		c.s.writeError(w, r, methodNotAllowed(r, "serviceaccounts/token"), c.res)
		return
	}
	wr, err := readWrite(r, false)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	decoded, _, err := decodeInto(&api.TokenRequest{}, "TokenRequest", "authentication.k8s.io/v1", wr.body, wr.mediaType, wr.mode)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	tr := decoded.(*api.TokenRequest)
	l := c.s.lookups
	sa, err := l.GetServiceAccount(ctx, c.info.Namespace, c.info.Name)
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	lifetime := defaultTokenLifetime
	if e := tr.Spec.ExpirationSeconds; e != nil {
		lifetime = time.Duration(*e) * time.Second
	}
	if lifetime < minTokenLifetime {
		c.s.writeError(w, r, api.NewInvalid("TokenRequest", c.info.Name, api.FieldErrors{api.Invalid(
			api.NewPath("spec", "expirationSeconds"), int64(lifetime/time.Second), "may not specify a duration less than 10 minutes")}), c.res)
		return
	}
	lifetime = min(lifetime, maxTokenLifetime)
	var bound *serviceaccount.Bound
	if ref := tr.Spec.BoundObjectRef; ref != nil {
		var uid string
		switch ref.Kind {
		case "Pod":
			pod, err := l.GetPod(ctx, c.info.Namespace, ref.Name)
			if err != nil {
				c.s.writeError(w, r, err, c.res, ref.Name)
				return
			}
			if pod.Spec.ServiceAccountName != sa.Name {
				c.s.writeError(w, r, api.NewBadRequest("the pod "+pod.Name+" runs as another service account"), c.res)
				return
			}
			uid = pod.UID
		case "Secret":
			secret, err := l.GetSecret(ctx, c.info.Namespace, ref.Name)
			if err != nil {
				c.s.writeError(w, r, err, c.res, ref.Name)
				return
			}
			uid = secret.UID
		default:
			c.s.writeError(w, r, api.NewInvalid("TokenRequest", c.info.Name, api.FieldErrors{
				api.NotSupported(api.NewPath("spec", "boundObjectRef", "kind"), ref.Kind, []string{"Pod", "Secret"})}), c.res)
			return
		}
		if ref.UID != "" && ref.UID != uid {
			c.s.writeError(w, r, api.NewConflict(api.GroupResource{Resource: "serviceaccounts"}, sa.Name,
				"the uid in boundObjectRef does not match the "+ref.Kind), c.res)
			return
		}
		bound = &serviceaccount.Bound{Kind: ref.Kind, Name: ref.Name, UID: uid}
	}
	attrs := &admission.Attributes{Operation: admission.Create, Kind: "TokenRequest", Resource: "serviceaccounts",
		Subresource: "token", Namespace: c.info.Namespace, Name: c.info.Name, Object: tr, OldObject: sa, User: c.user, DryRun: wr.dryRun}
	if err := c.s.admission.Validate(ctx, attrs); err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	token, exp, err := c.s.saIssuer.Issue(sa, bound, tr.Spec.Audiences, lifetime, time.Now())
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	if len(tr.Spec.Audiences) == 0 {
		tr.Spec.Audiences = c.s.apiAudiences
	}
	tr.Name, tr.Namespace, tr.CreationTimestamp = sa.Name, sa.Namespace, api.Now()
	tr.Status = api.TokenRequestStatus{Token: token, ExpirationTimestamp: api.NewTime(exp.UTC().Truncate(time.Second))}
	writeObject(w, r, http.StatusCreated, tr)
}
