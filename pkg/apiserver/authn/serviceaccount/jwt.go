package serviceaccount

// A minimal JSON Web Token (RFC 7519) for exactly one algorithm, ES256: ECDSA on
// P-256 with SHA-256 (RFC 7518 §3.4). A token is three base64url segments,
// header.payload.signature; the signature covers "header.payload" exactly as it
// appears in the token and is r and s, 32 bytes each, concatenated. Supporting one
// algorithm only makes the classic attacks ("alg": "none", or HS256 keyed with the
// public key) impossible by construction rather than by configuration.

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
)

const algES256 = "ES256"

// header is a JWT's JOSE header.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
}

// signJWT encodes claims as a token signed with key.
func signJWT(key *ecdsa.PrivateKey, kid string, claims any) (string, error) {
	h, err := json.Marshal(header{Alg: algES256, Kid: kid})
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signingInput := b64(h) + "." + b64(p)
	digest := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signingInput + "." + b64(sig), nil
}

// jwt is a token split into its decoded segments, not yet verified.
type jwt struct {
	header, payload, signature []byte
	signingInput               string // "header.payload" as it appears in the token
}

// parseJWT splits a compact JWT. ok is false if s is not one. Only canonical
// base64url is accepted (no padding, line breaks or stray low bits), so a token
// has exactly one spelling.
func parseJWT(s string) (t jwt, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return jwt{}, false
	}
	var segs [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil || b64(b) != p {
			return jwt{}, false
		}
		segs[i] = b
	}
	return jwt{
		header:       segs[0],
		payload:      segs[1],
		signature:    segs[2],
		signingInput: parts[0] + "." + parts[1],
	}, true
}

// verify checks that the token is ES256 and signed by pub's private key.
func (t jwt) verify(pub *ecdsa.PublicKey) error {
	var h header
	if err := json.Unmarshal(t.header, &h); err != nil {
		return errors.New("has a malformed header")
	}
	if h.Alg != algES256 {
		return errors.New("is not signed with ES256")
	}
	if len(t.signature) != 64 {
		return errors.New("has a malformed signature")
	}
	r := new(big.Int).SetBytes(t.signature[:32])
	s := new(big.Int).SetBytes(t.signature[32:])
	digest := sha256.Sum256([]byte(t.signingInput))
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return errors.New("has an invalid signature")
	}
	return nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
