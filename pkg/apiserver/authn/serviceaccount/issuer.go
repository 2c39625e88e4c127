// Package serviceaccount issues and checks Kubernetes bound service-account
// tokens: ES256-signed JWTs that name a service account and, optionally, the Pod
// or Secret the token is bound to. A token stops working when it expires or when
// any object it names is deleted or replaced by a namesake with a new UID.
package serviceaccount

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"skiff/pkg/api"
)

// Kinds a token can be bound to.
const (
	KindPod    = "Pod"
	KindSecret = "Secret"
)

// Bound is the object a token is bound to: the token is valid only while an
// object of that kind, name and UID exists in the service account's namespace.
type Bound struct {
	Kind string // KindPod or KindSecret
	Name string
	UID  string
}

// Issuer signs service-account tokens. It is safe for concurrent use.
type Issuer struct {
	key          *ecdsa.PrivateKey
	keyID        string
	issuer       string
	apiAudiences []string
}

// NewIssuer returns an Issuer that signs with key (ECDSA P-256) and names itself
// issuer (a URL, never empty) in the "iss" claim. apiAudiences are the audiences the apiserver accepts;
// tokens requested without audiences get them.
func NewIssuer(key *ecdsa.PrivateKey, issuer string, apiAudiences []string) *Issuer {
	return &Issuer{
		key:          key,
		keyID:        keyID(&key.PublicKey),
		issuer:       issuer,
		apiAudiences: append([]string(nil), apiAudiences...),
	}
}

// claims is the payload of a bound service-account token, as Kubernetes writes
// it. Times are seconds since the Unix epoch.
type claims struct {
	Issuer     string           `json:"iss"`
	Subject    string           `json:"sub"`
	Audience   []string         `json:"aud"`
	Expiry     int64            `json:"exp"`
	IssuedAt   int64            `json:"iat"`
	NotBefore  int64            `json:"nbf"`
	ID         string           `json:"jti"`
	Kubernetes kubernetesClaims `json:"kubernetes.io"`
}

type kubernetesClaims struct {
	Namespace      string `json:"namespace"`
	ServiceAccount ref    `json:"serviceaccount"`
	Pod            *ref   `json:"pod,omitempty"`
	Secret         *ref   `json:"secret,omitempty"`
}

type ref struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// Issue signs a token for sa. bound, if not nil, ties it to a Pod or Secret.
// audiences empty means the API audiences. It returns the token and its expiry;
// lifetime is rounded down to whole seconds, as JWT times are.
func (i *Issuer) Issue(sa *api.ServiceAccount, bound *Bound, audiences []string, lifetime time.Duration, now time.Time) (string, time.Time, error) {
	if i.key.Curve != elliptic.P256() {
		return "", time.Time{}, errors.New("serviceaccount: signing key is not ECDSA P-256")
	}
	if sa.Namespace == "" || sa.Name == "" || sa.UID == "" {
		return "", time.Time{}, errors.New("serviceaccount: service account needs a namespace, name and uid")
	}
	if lifetime < time.Second {
		return "", time.Time{}, fmt.Errorf("serviceaccount: token lifetime %v is too short", lifetime)
	}
	if len(audiences) == 0 {
		audiences = i.apiAudiences
	}
	if len(audiences) == 0 {
		return "", time.Time{}, errors.New("serviceaccount: token has no audience")
	}
	iat := now.Unix()
	exp := iat + int64(lifetime/time.Second)
	c := claims{
		Issuer:    i.issuer,
		Subject:   Username(sa.Namespace, sa.Name),
		Audience:  audiences,
		Expiry:    exp,
		IssuedAt:  iat,
		NotBefore: iat,
		ID:        rand.Text(), // names this token in audit logs
		Kubernetes: kubernetesClaims{
			Namespace:      sa.Namespace,
			ServiceAccount: ref{Name: sa.Name, UID: sa.UID},
		},
	}
	if bound != nil {
		if bound.Name == "" || bound.UID == "" {
			return "", time.Time{}, errors.New("serviceaccount: bound object needs a name and uid")
		}
		r := &ref{Name: bound.Name, UID: bound.UID}
		switch bound.Kind {
		case KindPod:
			c.Kubernetes.Pod = r
		case KindSecret:
			c.Kubernetes.Secret = r
		default:
			return "", time.Time{}, fmt.Errorf("serviceaccount: cannot bind a token to kind %q", bound.Kind)
		}
	}
	token, err := signJWT(i.key, i.keyID, c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("serviceaccount: sign token: %w", err)
	}
	return token, time.Unix(exp, 0), nil
}
