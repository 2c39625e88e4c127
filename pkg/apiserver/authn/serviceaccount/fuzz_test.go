package serviceaccount

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"skiff/pkg/apiserver/authn"
)

// FuzzAuthenticateJWT feeds arbitrary bearer tokens to the authenticator. It must
// never panic, and must accept only tokens the test issuer signed: the key is new
// in every run, so nothing in a stored corpus can carry a valid signature.
func FuzzAuthenticateJWT(f *testing.F) {
	key := newKey(f)
	issuer := NewIssuer(key, testIssuer, testAudiences)
	sa := makeSA("builder", "sa-1")
	a := NewAuthenticator(issuer, world(), func() time.Time { return t0.Add(time.Minute) })
	issued := map[string]bool{} // the header.payload of every token issued
	for _, b := range []*Bound{nil, {Kind: KindPod, Name: "web", UID: "pod-1"}, {Kind: KindSecret, Name: "creds", UID: "secret-1"}} {
		token, _, err := issuer.Issue(sa, b, nil, time.Hour, t0)
		if err != nil {
			f.Fatal(err)
		}
		if _, ok, err := a.AuthenticateToken(f.Context(), token); !ok {
			f.Fatalf("seed token does not authenticate: %v", err)
		}
		issued[token[:strings.LastIndex(token, ".")]] = true
		f.Add(token)
		parts := strings.Split(token, ".")
		none, _ := json.Marshal(header{Alg: "none"})
		f.Add(b64(none) + "." + parts[1] + ".")
		f.Add(parts[0] + "." + parts[1] + "." + parts[2][:20])
	}
	for _, s := range []string{
		"", ".", "..", "a.b.c", "abcdef.0123456789abcdef", "e30.e30.e30",
		b64([]byte(`{"alg":"ES256"}`)) + "." + b64([]byte(`{"iss":"`+testIssuer+`"}`)) + ".AAAA",
		b64([]byte(`{"alg":"ES256"}`)) + "." + b64([]byte(`{"iss":"`+testIssuer+`","exp":1e300,"aud":"skiff"}`)) + ".",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, token string) {
		u, ok, err := a.AuthenticateToken(t.Context(), token)
		switch {
		case ok && (u == nil || err != nil):
			t.Fatalf("ok with user %v and error %v", u, err)
		case !ok && u != nil:
			t.Fatalf("not ok but user %v", u)
		case err != nil && !errors.Is(err, authn.ErrInvalidCredentials):
			t.Fatalf("error %v does not wrap ErrInvalidCredentials (the fake getter never fails)", err)
		case err != nil:
			assertNoTokenIn(t, err.Error(), token)
		case ok:
			i := strings.LastIndex(token, ".")
			if i < 0 || !issued[token[:i]] {
				t.Fatalf("authenticated a token the issuer never signed: %q", token)
			}
		}
	})
}
