// Package bootstrap is what every side of a node join shares, in kubeadm's
// formats: bootstrap tokens ("abcdef.0123456789abcdef", each a Secret of type
// bootstrap.kubernetes.io/token named bootstrap-token-<id> in kube-system: the
// id before the dot is public and names the Secret, the part after it is the
// secret proving the bearer was given the token), the cluster-info ConfigMap
// and its detached JWS signatures, and the CA public-key hash a joining node
// pins. The apiserver, the controllers, skiffctl and the node agent all use it.
package bootstrap

import (
	"crypto/rand"
	"math/big"
	"regexp"
	"strings"
	"time"

	"skiff/pkg/api"
)

// The Secret that holds a bootstrap token: its type, name prefix and data keys, as
// Kubernetes defines them.
const (
	SecretType   = api.SecretTypeBootstrapToken
	SecretPrefix = "bootstrap-token-"

	TokenIDKey     = "token-id"
	TokenSecretKey = "token-secret"
	// ExpirationKey holds an RFC 3339 time after which the token is invalid (and
	// the token cleaner deletes the Secret). Without it the token never expires.
	ExpirationKey  = "expiration"
	DescriptionKey = "description"
	// ExtraGroupsKey holds comma-separated groups, beyond DefaultGroup, that the
	// token's user belongs to. Each must start with "system:bootstrappers:".
	ExtraGroupsKey = "auth-extra-groups"
	// UsageAuthenticationKey must be "true" for the token to authenticate requests.
	UsageAuthenticationKey = "usage-bootstrap-authentication"
	// UsageSigningKey "true" lets the token sign the cluster-info ConfigMap.
	UsageSigningKey = "usage-bootstrap-signing"
)

// Identities of bootstrap token users.
const (
	UserPrefix   = "system:bootstrap:"
	DefaultGroup = "system:bootstrappers"
)

var (
	tokenRegexp = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)
	groupRegexp = regexp.MustCompile(`^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`)
)

// ParseToken splits "abcdef.0123456789abcdef" into id and secret; ok is false
// unless s has exactly that form.
func ParseToken(s string) (id, secret string, ok bool) {
	m := tokenRegexp.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// GenerateToken returns a new random token in the form ParseToken accepts.
func GenerateToken() (string, error) {
	id, err := randomString(6)
	if err != nil {
		return "", err
	}
	secret, err := randomString(16)
	if err != nil {
		return "", err
	}
	return id + "." + secret, nil
}

// randomString returns n characters drawn uniformly from [a-z0-9].
func randomString(n int) (string, error) {
	const chars = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return "", err
		}
		b[i] = chars[k.Int64()]
	}
	return string(b), nil
}

// SecretName is the name of the Secret in kube-system that holds token id.
func SecretName(id string) string { return SecretPrefix + id }

// ValidExtraGroup reports whether g may be listed in auth-extra-groups: only
// system:bootstrappers:... groups are, as in Kubernetes.
func ValidExtraGroup(g string) bool { return groupRegexp.MatchString(g) }

// Expired reports whether the token's expiration has passed. A token without one
// never expires; one that cannot be parsed counts as expired.
func Expired(s *api.Secret, now time.Time) bool {
	v := string(s.Data[ExpirationKey])
	if v == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339, v)
	return err != nil || !now.Before(t)
}

// Expiration returns the token's expiration time, if it has a valid one.
func Expiration(s *api.Secret) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, string(s.Data[ExpirationKey]))
	return t, err == nil
}

// TokenOf returns the id and secret a bootstrap-token Secret holds; ok is false
// unless it is one (right type, name matching its token-id, both parts well
// formed). It does not look at expiration or usages.
func TokenOf(s *api.Secret) (id, secret string, ok bool) {
	if s.Type != SecretType || !strings.HasPrefix(s.Name, SecretPrefix) {
		return "", "", false
	}
	id, secret = string(s.Data[TokenIDKey]), string(s.Data[TokenSecretKey])
	if s.Name != SecretName(id) {
		return "", "", false
	}
	if _, _, ok := ParseToken(id + "." + secret); !ok {
		return "", "", false
	}
	return id, secret, true
}

// NewSecret returns the Secret for token ("id.secret"), valid until expires
// (never if zero), for the given usages ("authentication", "signing") and extra
// groups.
func NewSecret(token, description string, expires time.Time, usages, extraGroups []string) (*api.Secret, bool) {
	id, secret, ok := ParseToken(token)
	if !ok {
		return nil, false
	}
	data := map[string][]byte{TokenIDKey: []byte(id), TokenSecretKey: []byte(secret)}
	if description != "" {
		data[DescriptionKey] = []byte(description)
	}
	if !expires.IsZero() {
		data[ExpirationKey] = []byte(expires.UTC().Format(time.RFC3339))
	}
	for _, u := range usages {
		data["usage-bootstrap-"+u] = []byte("true")
	}
	if len(extraGroups) > 0 {
		data[ExtraGroupsKey] = []byte(strings.Join(extraGroups, ","))
	}
	return &api.Secret{
		TypeMeta:   api.TypeMeta{Kind: "Secret", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: SecretName(id), Namespace: api.NamespaceSystem},
		Type:       SecretType,
		Data:       data,
	}, true
}
