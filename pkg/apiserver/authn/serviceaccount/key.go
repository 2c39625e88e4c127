package serviceaccount

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"skiff/pkg/pki"
)

// LoadOrCreateKey reads the ECDSA P-256 signing key at path (PEM), creating it
// (mode 0600) if missing. Every apiserver of a cluster must use the same key, or
// tokens issued by one are rejected by the others.
func LoadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("serviceaccount: signing key: %w", err)
	}
	signer, err := pki.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("serviceaccount: signing key %s: %w", path, err)
	}
	key, ok := signer.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("serviceaccount: signing key %s: want an ECDSA P-256 key for ES256", path)
	}
	return key, nil
}

func createKey(path string) (*ecdsa.PrivateKey, error) {
	signer, err := pki.NewKey()
	if err != nil {
		return nil, err
	}
	data, err := pki.EncodeKey(signer)
	if err != nil {
		return nil, err
	}
	if err := pki.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("serviceaccount: write signing key: %w", err)
	}
	return signer.(*ecdsa.PrivateKey), nil
}

// keyID names a public key the way Kubernetes does in a token's "kid" header: the
// unpadded base64url of the SHA-256 of its PKIX (DER) encoding. It lets verifiers
// that fetch the cluster's keys pick the right one.
func keyID(pub *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "" // only for curves x509 cannot encode; Issue rejects those keys
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
