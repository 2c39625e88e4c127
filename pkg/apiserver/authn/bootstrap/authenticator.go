// Package bootstrap authenticates bootstrap tokens, the tokens a new node
// presents when it joins (kubeadm's join tokens); their format is in
// skiff/pkg/bootstrap.
package bootstrap

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authn"
	"skiff/pkg/apiserver/request"
	bt "skiff/pkg/bootstrap"
)

// SecretGetter reads Secrets; the apiserver backs it with its storage. GetSecret
// returns an error satisfying api.IsNotFound when the Secret does not exist. It
// may be called concurrently.
type SecretGetter interface {
	GetSecret(ctx context.Context, namespace, name string) (*api.Secret, error)
}

// Authenticator checks bootstrap tokens against their Secrets.
type Authenticator struct {
	secrets SecretGetter
	now     func() time.Time
}

var _ authn.Authenticator = (*Authenticator)(nil)

// NewAuthenticator returns an Authenticator that reads Secrets from s. now is the
// clock (time.Now outside tests).
func NewAuthenticator(s SecretGetter, now func() time.Time) *Authenticator {
	return &Authenticator{secrets: s, now: now}
}

// Authenticate implements authn.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (*request.User, bool, error) {
	token, ok := authn.BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	return a.AuthenticateToken(r.Context(), token)
}

// AuthenticateToken checks a bearer token. A token not in the bootstrap format
// gives ok false and no error, so other authenticators may try it. A bootstrap
// token that fails a check gives an error wrapping authn.ErrInvalidCredentials; a
// failed lookup other than "not found" is returned as is. Errors name the token
// id, which is public, and never its secret.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	id, secret, ok := bt.ParseToken(token)
	if !ok {
		return nil, false, nil
	}
	invalid := func(reason string) error {
		return fmt.Errorf("%w: bootstrap token %s: %s", authn.ErrInvalidCredentials, id, reason)
	}
	s, err := a.secrets.GetSecret(ctx, api.NamespaceSystem, bt.SecretName(id))
	if api.IsNotFound(err) {
		return nil, false, invalid("not found")
	}
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap token %s: %w", id, err)
	}
	// The secret is checked first, so only someone holding the whole token learns
	// whether it has expired or may not be used for authentication.
	switch {
	case s.DeletionTimestamp != nil:
		return nil, false, invalid("is being deleted")
	case s.Type != bt.SecretType:
		return nil, false, invalid("its Secret is not of type " + bt.SecretType)
	case subtle.ConstantTimeCompare(s.Data[bt.TokenSecretKey], []byte(secret)) != 1:
		return nil, false, invalid("wrong secret")
	case string(s.Data[bt.TokenIDKey]) != id:
		return nil, false, invalid("its Secret has a different " + bt.TokenIDKey)
	case bt.Expired(s, a.now()):
		return nil, false, invalid("expired")
	case string(s.Data[bt.UsageAuthenticationKey]) != "true":
		return nil, false, invalid("not marked " + bt.UsageAuthenticationKey + "=true")
	}
	groups, ok := groupsOf(s)
	if !ok {
		return nil, false, invalid("invalid " + bt.ExtraGroupsKey)
	}
	return &request.User{Name: bt.UserPrefix + id, Groups: groups}, true, nil
}

// groupsOf returns bt.DefaultGroup and the extra groups, sorted and without
// duplicates. ok is false if any extra group is not a system:bootstrappers:
// group: as in Kubernetes, such a token is rejected rather than trimmed, so a
// mistake in the Secret shows up instead of silently granting less.
func groupsOf(s *api.Secret) (groups []string, ok bool) {
	groups = []string{bt.DefaultGroup}
	if extra := string(s.Data[bt.ExtraGroupsKey]); extra != "" {
		for _, g := range strings.Split(extra, ",") {
			if !bt.ValidExtraGroup(g) {
				return nil, false
			}
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), true
}
