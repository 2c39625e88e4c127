// Package authn decides who sent a request. Each authenticator looks at one kind
// of credential; a Union tries them in order and the first that recognises the
// request wins. A request with credentials that fail is rejected, never treated as
// anonymous.
package authn

import (
	"errors"
	"net/http"

	"skiff/pkg/apiserver/request"
)

// ErrInvalidCredentials means the request carried credentials of this kind but
// they are wrong (unknown token, expired certificate).
var ErrInvalidCredentials = errors.New("authn: invalid credentials")

// Authenticator identifies the sender of a request. ok is false when the request
// carries no credentials of the kind this authenticator reads.
type Authenticator interface {
	Authenticate(r *http.Request) (u *request.User, ok bool, err error)
}

// Union tries each authenticator in order; the first that recognises the request
// decides.
type Union []Authenticator

// Authenticate implements Authenticator.
func (u Union) Authenticate(r *http.Request) (*request.User, bool, error) {
	var errs []error
	for _, a := range u {
		user, ok, err := a.Authenticate(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			user.Groups = withAuthenticatedGroup(user.Groups)
			return user, true, nil
		}
	}
	if len(errs) > 0 {
		return nil, false, errors.Join(errs...)
	}
	return nil, false, nil
}

func withAuthenticatedGroup(groups []string) []string {
	for _, g := range groups {
		if g == request.AllAuthenticated {
			return groups
		}
	}
	return append(groups, request.AllAuthenticated)
}
