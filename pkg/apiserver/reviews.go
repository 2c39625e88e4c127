package apiserver

import (
	"net/http"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"
)

// serveReview answers the virtual resources: access reviews (`kubectl auth
// can-i`), rules reviews (`kubectl auth can-i --list`), `kubectl auth whoami`, and
// token reviews. Nothing is stored; the answer is the posted object with its
// status filled in.
func (c *call) serveReview(w http.ResponseWriter, r *http.Request) {
	if c.info.Verb != "create" || c.info.Name != "" {
		c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural), c.res)
		return
	}
	wr, err := readWrite(r, false)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	obj, _, err := decodeObject(c.res, wr.body, wr.mediaType, validationIgnore)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	switch o := obj.(type) {
	case *api.SelfSubjectAccessReview:
		o.Status, err = c.s.review(r, c.user, o.Spec.ResourceAttributes, o.Spec.NonResourceAttributes)
	case *api.SubjectAccessReview:
		if c.res.Kind == "LocalSubjectAccessReview" {
			ra := o.Spec.ResourceAttributes
			if ra == nil || ra.Namespace != c.info.Namespace {
				err = api.NewBadRequest("spec.resourceAttributes.namespace must match the namespace of the request")
				break
			}
			o.Kind = "LocalSubjectAccessReview"
		}
		subject := &request.User{Name: o.Spec.User, UID: o.Spec.UID, Groups: o.Spec.Groups, Extra: o.Spec.Extra}
		o.Status, err = c.s.review(r, subject, o.Spec.ResourceAttributes, o.Spec.NonResourceAttributes)
	case *api.SelfSubjectRulesReview:
		ns := o.Spec.Namespace
		if ns == "" {
			ns = api.NamespaceDefault
		}
		o.Status = c.s.rulesReview(c.user, ns)
	case *api.SelfSubjectReview:
		o.Status.UserInfo = userInfo(c.user)
	case *api.TokenReview:
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+o.Spec.Token)
		u, ok, authErr := c.s.authn.Authenticate(req)
		switch {
		case authErr != nil:
			o.Status = api.TokenReviewStatus{Error: userFacing(authErr)}
		case ok:
			o.Status = api.TokenReviewStatus{Authenticated: true, User: userInfo(u), Audiences: o.Spec.Audiences}
		default:
			o.Status = api.TokenReviewStatus{Error: "the token is not recognized"}
		}
		o.Spec.Token = "" // never echo credentials
	}
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	writeObject(w, r, http.StatusCreated, obj)
}

func userInfo(u *request.User) api.UserInfo {
	return api.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
}

// review asks the authorizer chain about a request the user might make.
func (s *Server) review(r *http.Request, user *request.User, ra *api.ResourceAttributes, nra *api.NonResourceAttributes) (api.SubjectAccessReviewStatus, error) {
	var info *request.Info
	switch {
	case (ra == nil) == (nra == nil):
		return api.SubjectAccessReviewStatus{}, api.NewInvalid("SubjectAccessReview", "", api.FieldErrors{
			api.Required(api.NewPath("spec"), "exactly one of resourceAttributes and nonResourceAttributes must be given")})
	case ra != nil:
		info = &request.Info{IsResourceRequest: true, Verb: ra.Verb, APIGroup: ra.Group, APIVersion: ra.Version,
			Resource: ra.Resource, Subresource: ra.Subresource, Name: ra.Name, Namespace: ra.Namespace}
	default:
		info = &request.Info{Verb: nra.Verb, Path: nra.Path}
	}
	d, reason, err := s.authz.Authorize(r.Context(), authz.Attributes{User: user, Info: info})
	if err != nil {
		return api.SubjectAccessReviewStatus{EvaluationError: "the authorizer failed; see the server log"}, nil
	}
	return api.SubjectAccessReviewStatus{Allowed: d == authz.Allow, Denied: d == authz.Deny, Reason: reason}, nil
}

// rulesReview lists what RBAC lets the user do in a namespace. It is incomplete
// for node agents, whose rights come from the node authorizer.
func (s *Server) rulesReview(user *request.User, namespace string) api.SubjectRulesReviewStatus {
	st := api.SubjectRulesReviewStatus{ResourceRules: []api.ResourceRule{}, NonResourceRules: []api.NonResourceRule{}}
	if user.InGroup(request.SystemPrivilegedGrp) {
		st.ResourceRules = append(st.ResourceRules, api.ResourceRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}})
		st.NonResourceRules = append(st.NonResourceRules, api.NonResourceRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}})
	}
	for _, rule := range s.rbac.RulesFor(user, namespace) {
		if len(rule.NonResourceURLs) > 0 {
			st.NonResourceRules = append(st.NonResourceRules, api.NonResourceRule{Verbs: rule.Verbs, NonResourceURLs: rule.NonResourceURLs})
			continue
		}
		st.ResourceRules = append(st.ResourceRules, api.ResourceRule{Verbs: rule.Verbs, APIGroups: rule.APIGroups,
			Resources: rule.Resources, ResourceNames: rule.ResourceNames})
	}
	_, isNode := authz.NodeName(user)
	st.Incomplete = isNode || strings.HasPrefix(user.Name, "system:node:")
	return st
}
