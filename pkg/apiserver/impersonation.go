package apiserver

import (
	"fmt"
	"net/http"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"
)

// withImpersonation lets a user act as another (`kubectl --as bob --as-group devs`)
// if RBAC grants them the "impersonate" verb on that user, those groups, or that
// service account — which is how administrators check what others may do.
func (s *Server) withImpersonation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asUser := r.Header.Get("Impersonate-User")
		asGroups := r.Header.Values("Impersonate-Group")
		if asUser == "" && len(asGroups) == 0 && r.Header.Get("Impersonate-Uid") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if asUser == "" {
			s.writeError(w, r, api.NewBadRequest("impersonating groups or a uid requires impersonating a user (Impersonate-User)"), nil)
			return
		}
		real, _ := request.UserFrom(r.Context())
		check := func(resource, namespace, name string) error {
			info := &request.Info{IsResourceRequest: true, Verb: "impersonate", Resource: resource, Namespace: namespace, Name: name}
			if d, _, err := s.authz.Authorize(r.Context(), authz.Attributes{User: real, Info: info}); err != nil || d != authz.Allow {
				scope := "at the cluster scope"
				if namespace != "" {
					scope = fmt.Sprintf("in the namespace %q", namespace)
				}
				return api.NewForbidden(api.GroupResource{Resource: resource}, name, fmt.Sprintf(
					"%s %q is forbidden: User %q cannot impersonate resource %q in API group \"\" %s", resource, name, real.Name, resource, scope))
			}
			return nil
		}
		as := &request.User{Name: asUser, UID: r.Header.Get("Impersonate-Uid"), Extra: map[string][]string{}}
		if ns, name, ok := serviceAccountUser(asUser); ok {
			if err := check("serviceaccounts", ns, name); err != nil {
				s.writeError(w, r, err, nil)
				return
			}
			as.Groups = append(as.Groups, "system:serviceaccounts", "system:serviceaccounts:"+ns)
		} else if err := check("users", "", asUser); err != nil {
			s.writeError(w, r, err, nil)
			return
		}
		for _, g := range asGroups {
			if err := check("groups", "", g); err != nil {
				s.writeError(w, r, err, nil)
				return
			}
			as.Groups = append(as.Groups, g)
		}
		if asUser != request.Anonymous {
			as.Groups = append(as.Groups, request.AllAuthenticated)
		}
		for k, vs := range r.Header {
			if key, ok := strings.CutPrefix(k, "Impersonate-Extra-"); ok {
				as.Extra[strings.ToLower(key)] = vs
			}
		}
		rec := auditFrom(r.Context())
		rec.user, rec.impersonator = as, real
		next.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), as)))
	})
}

// serviceAccountUser splits "system:serviceaccount:<ns>:<name>".
func serviceAccountUser(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != ""
}
