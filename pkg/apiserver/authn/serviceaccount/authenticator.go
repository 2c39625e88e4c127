package serviceaccount

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authn"
	"skiff/pkg/apiserver/request"
)

// Names Kubernetes gives service-account users, their groups and extra fields.
const (
	UsernamePrefix       = "system:serviceaccount:"
	AllServiceAccounts   = "system:serviceaccounts"
	ExtraPodNameKey      = "authentication.kubernetes.io/pod-name"
	ExtraPodUIDKey       = "authentication.kubernetes.io/pod-uid"
	ExtraCredentialIDKey = "authentication.kubernetes.io/credential-id"
)

// leeway is the clock skew tolerated between the issuing and the checking server,
// and how long a deleted bound object keeps its tokens working (the same minute
// Kubernetes allows).
const leeway = time.Minute

// Username is the user name of a service account: system:serviceaccount:NS:NAME.
func Username(namespace, name string) string {
	return UsernamePrefix + namespace + ":" + name
}

// Getter finds the objects a token refers to; the apiserver backs it with its
// storage. Each method returns an error satisfying api.IsNotFound when the object
// does not exist. Methods may be called concurrently.
type Getter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*api.ServiceAccount, error)
	GetPod(ctx context.Context, namespace, name string) (*api.Pod, error)
	GetSecret(ctx context.Context, namespace, name string) (*api.Secret, error)
}

// Authenticator checks bearer tokens signed by an Issuer.
type Authenticator struct {
	issuer *Issuer
	getter Getter
	now    func() time.Time
}

var _ authn.Authenticator = (*Authenticator)(nil)

// NewAuthenticator returns an Authenticator for tokens of i that looks objects up
// in g. now is the clock (time.Now outside tests).
func NewAuthenticator(i *Issuer, g Getter, now func() time.Time) *Authenticator {
	return &Authenticator{issuer: i, getter: g, now: now}
}

// Authenticate implements authn.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (*request.User, bool, error) {
	token, ok := authn.BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	return a.AuthenticateToken(r.Context(), token)
}

// AuthenticateToken checks a bearer token. A token that is not a JWT, or is one
// from another issuer, gives ok false and no error, so other authenticators may
// try it. A token from this issuer that fails a check gives an error wrapping
// authn.ErrInvalidCredentials; a failed lookup other than "not found" is returned
// as is.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	t, ok := parseJWT(token)
	if !ok {
		return nil, false, nil
	}
	// Peek at the unverified issuer only to decide whose token this is.
	var iss struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(t.payload, &iss) != nil || iss.Issuer == "" || iss.Issuer != a.issuer.issuer {
		return nil, false, nil
	}
	user, err := a.validate(ctx, t)
	if err != nil {
		return nil, false, err
	}
	return user, true, nil
}

// invalid says why a token from this issuer is rejected. Reasons never quote the
// token or its claims.
func invalid(reason string) error {
	return fmt.Errorf("%w: service account token %s", authn.ErrInvalidCredentials, reason)
}

func (a *Authenticator) validate(ctx context.Context, t jwt) (*request.User, error) {
	if err := t.verify(&a.issuer.key.PublicKey); err != nil {
		return nil, invalid(err.Error())
	}
	var c claims
	if err := json.Unmarshal(t.payload, &c); err != nil {
		return nil, invalid("has malformed claims")
	}
	now := a.now()
	if err := a.checkClaims(&c, now); err != nil {
		return nil, err
	}
	if err := a.checkObjects(ctx, &c.Kubernetes, now); err != nil {
		return nil, err
	}
	return userFor(&c), nil
}

// checkClaims checks what the token says without looking anything up.
func (a *Authenticator) checkClaims(c *claims, now time.Time) error {
	switch {
	case now.Add(-leeway).After(time.Unix(c.Expiry, 0)):
		return invalid("has expired")
	case now.Add(leeway).Before(time.Unix(c.NotBefore, 0)):
		return invalid("is not valid yet")
	case now.Add(leeway).Before(time.Unix(c.IssuedAt, 0)):
		return invalid("is issued in the future")
	}
	ours := func(aud string) bool { return slices.Contains(a.issuer.apiAudiences, aud) }
	if !slices.ContainsFunc(c.Audience, ours) {
		return invalid("is not meant for this API server (audience)")
	}
	k := c.Kubernetes
	if k.Namespace == "" || k.ServiceAccount.Name == "" || c.Subject != Username(k.Namespace, k.ServiceAccount.Name) {
		return invalid("has malformed claims")
	}
	return nil
}

// checkObjects checks that every object the token names still exists with the
// same UID. Objects deleted less than leeway ago still count, as in Kubernetes: a
// pod's deletionTimestamp is the end of its grace period, so a terminating pod
// keeps its token while it shuts down.
func (a *Authenticator) checkObjects(ctx context.Context, k *kubernetesClaims, now time.Time) error {
	deletedBefore := now.Add(-leeway)
	sa, getErr := a.getter.GetServiceAccount(ctx, k.Namespace, k.ServiceAccount.Name)
	if err := checkRef("service account", &k.ServiceAccount, sa, getErr, deletedBefore); err != nil {
		return err
	}
	if k.Secret != nil {
		secret, getErr := a.getter.GetSecret(ctx, k.Namespace, k.Secret.Name)
		if err := checkRef("secret", k.Secret, secret, getErr, deletedBefore); err != nil {
			return err
		}
	}
	if k.Pod != nil {
		pod, getErr := a.getter.GetPod(ctx, k.Namespace, k.Pod.Name)
		if err := checkRef("pod", k.Pod, pod, getErr, deletedBefore); err != nil {
			return err
		}
	}
	return nil
}

// userFor is the identity a valid token stands for.
func userFor(c *claims) *request.User {
	k := c.Kubernetes
	u := &request.User{
		Name:   c.Subject,
		UID:    k.ServiceAccount.UID,
		Groups: []string{AllServiceAccounts, AllServiceAccounts + ":" + k.Namespace},
	}
	extra := map[string][]string{}
	if k.Pod != nil {
		extra[ExtraPodNameKey] = []string{k.Pod.Name}
		extra[ExtraPodUIDKey] = []string{k.Pod.UID}
	}
	if c.ID != "" {
		extra[ExtraCredentialIDKey] = []string{"JTI=" + c.ID}
	}
	if len(extra) > 0 {
		u.Extra = extra
	}
	return u
}

// checkRef checks an object the token names against what the Getter returned:
// got, or err if the lookup failed.
func checkRef(what string, want *ref, got interface{ GetObjectMeta() *api.ObjectMeta }, err error, deletedBefore time.Time) error {
	if err != nil {
		if api.IsNotFound(err) {
			return invalid("has been invalidated: its " + what + " no longer exists")
		}
		return fmt.Errorf("service account token: get %s: %w", what, err)
	}
	m := got.GetObjectMeta()
	switch {
	case m.UID != want.UID:
		return invalid("has been invalidated: its " + what + " was recreated (uid differs)")
	case m.DeletionTimestamp != nil && m.DeletionTimestamp.Before(deletedBefore):
		return invalid("has been invalidated: its " + what + " has been deleted")
	}
	return nil
}
