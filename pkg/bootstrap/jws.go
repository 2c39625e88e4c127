package bootstrap

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// jwsHeader is the protected header of a cluster-info signature. It is the
// JSON go-jose writes for kubeadm (keys sorted, no spaces), so signatures made
// here and by Kubernetes' bootstrap signer are byte for byte the same.
func jwsHeader(tokenID string) string {
	return `{"alg":"HS256","kid":"` + tokenID + `"}`
}

// ComputeDetachedSignature signs content (the cluster-info kubeconfig) with the
// token's secret as a JWS (HS256, kid = token id) and returns it detached:
// "header..signature", the payload left out. It is the value of the
// cluster-info key jws-kubeconfig-<id>, as Kubernetes' bootstrap signer writes
// it and kubeadm join checks it.
func ComputeDetachedSignature(content, tokenID, tokenSecret string) (string, error) {
	if _, _, ok := ParseToken(tokenID + "." + tokenSecret); !ok {
		return "", errors.New("bootstrap: not a bootstrap token id and secret")
	}
	return detachedHS256(content, tokenID, tokenSecret), nil
}

// detachedHS256 is the signature itself, for any key id and key.
func detachedHS256(content, kid, key string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(jwsHeader(kid)))
	payload := enc.EncodeToString([]byte(content))
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(header + "." + payload))
	return header + ".." + enc.EncodeToString(mac.Sum(nil))
}

// DetachedSignatureValid reports whether sig is the detached signature of
// content by the token (id and secret). The comparison is constant-time.
func DetachedSignatureValid(sig, content, tokenID, tokenSecret string) bool {
	want, err := ComputeDetachedSignature(content, tokenID, tokenSecret)
	if err != nil || strings.Count(sig, ".") != 2 {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(want))
}
