// Package bootstrap authenticates bootstrap tokens, the "abcdef.0123456789abcdef"
// tokens a new node presents when it joins (kubeadm's join tokens). Each token is
// a Secret of type bootstrap.kubernetes.io/token named bootstrap-token-<id> in
// kube-system: the id before the dot is public and names the Secret; the part
// after it is the secret proving the bearer was given the token.
package bootstrap

import (
	"crypto/rand"
	"math/big"
	"regexp"

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
