package serviceaccount

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/apiserver/authn"
	"skiff/pkg/apiserver/request"
)

var errStorage = errors.New("storage: unavailable")

func TestAuthenticateToken(t *testing.T) {
	key := newKey(t)
	issuer := NewIssuer(key, testIssuer, testAudiences)
	sa := makeSA("builder", "sa-1")
	podBound := &Bound{Kind: KindPod, Name: "web", UID: "pod-1"}
	secretBound := &Bound{Kind: KindSecret, Name: "creds", UID: "secret-1"}

	issue := func(bound *Bound, audiences ...string) func(t *testing.T) string {
		return func(t *testing.T) string {
			token, _, err := issuer.Issue(sa, bound, audiences, time.Hour, t0)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
	}
	// withHeader re-encodes a valid token's claims under another header,
	// signed by sign (nil: no signature at all).
	withHeader := func(alg string, sign func(signingInput string) []byte) func(t *testing.T) string {
		return func(t *testing.T) string {
			c := decodeClaims(t, issue(nil)(t))
			token := resign(issue(nil)(t), header{Alg: alg, Kid: issuer.keyID}, c)
			signingInput := token[:strings.LastIndex(token, ".")]
			if sign == nil {
				return signingInput + "."
			}
			return signingInput + "." + b64(sign(signingInput))
		}
	}
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	user := func(extra map[string][]string) *request.User {
		return &request.User{
			Name:   "system:serviceaccount:default:builder",
			UID:    "sa-1",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:default"},
			Extra:  extra,
		}
	}
	podExtra := map[string][]string{
		ExtraPodNameKey: {"web"},
		ExtraPodUIDKey:  {"pod-1"},
	}
	now := t0.Add(time.Minute)

	tests := []struct {
		name   string
		token  func(t *testing.T) string
		now    time.Time         // zero means now
		change func(*fakeGetter) // applied to world()
		want   *request.User     // the credential-id extra is added from the token
		// wantErr is nil for success or pass-through, else what the error wraps.
		wantErr error
	}{
		{name: "unbound token", token: issue(nil), want: user(map[string][]string{})},
		{name: "pod-bound token", token: issue(podBound), want: user(podExtra)},
		{name: "secret-bound token", token: issue(secretBound), want: user(map[string][]string{})},
		{name: "one of the API audiences", token: issue(nil, "skiff"), want: user(map[string][]string{})},
		{name: "several audiences, one ours", token: issue(nil, "vault", "skiff"), want: user(map[string][]string{})},
		{name: "another audience", token: issue(nil, "vault"), wantErr: authn.ErrInvalidCredentials},
		{name: "expired within leeway", token: issue(nil), now: t0.Add(time.Hour + 59*time.Second), want: user(map[string][]string{})},
		{name: "expired", token: issue(nil), now: t0.Add(time.Hour + 61*time.Second), wantErr: authn.ErrInvalidCredentials},
		{name: "not yet valid within leeway", token: issue(nil), now: t0.Add(-59 * time.Second), want: user(map[string][]string{})},
		{name: "not yet valid", token: issue(nil), now: t0.Add(-61 * time.Second), wantErr: authn.ErrInvalidCredentials},
		{
			name: "tampered payload",
			token: func(t *testing.T) string {
				token := issue(nil)(t)
				c := decodeClaims(t, token)
				c.Subject = Username(testNS, "admin")
				c.Kubernetes.ServiceAccount = ref{Name: "admin", UID: "sa-admin"}
				return resign(token, header{Alg: algES256, Kid: issuer.keyID}, c)
			},
			change:  func(g *fakeGetter) { g.sas[testNS+"/admin"] = makeSA("admin", "sa-admin") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name: "signed by another key",
			token: func(t *testing.T) string {
				token, _, err := NewIssuer(newKey(t), testIssuer, testAudiences).Issue(sa, nil, nil, time.Hour, t0)
				if err != nil {
					t.Fatal(err)
				}
				return token
			},
			wantErr: authn.ErrInvalidCredentials,
		},
		{name: `alg "none"`, token: withHeader("none", nil), wantErr: authn.ErrInvalidCredentials},
		{
			name: "alg HS256 keyed with the public key",
			token: withHeader("HS256", func(in string) []byte {
				m := hmac.New(sha256.New, pubPEM)
				m.Write([]byte(in))
				return m.Sum(nil)
			}),
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name: "ES256 with a truncated signature",
			token: func(t *testing.T) string {
				token := issue(nil)(t)
				return token[:len(token)-10]
			},
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name: "subject does not match the service account claim",
			token: func(t *testing.T) string {
				c := decodeClaims(t, issue(nil)(t))
				c.Subject = Username(testNS, "admin")
				token, err := signJWT(key, issuer.keyID, c)
				if err != nil {
					t.Fatal(err)
				}
				return token
			},
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "service account deleted",
			token:   issue(nil),
			change:  func(g *fakeGetter) { delete(g.sas, testNS+"/builder") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "service account recreated with a new uid",
			token:   issue(nil),
			change:  func(g *fakeGetter) { g.sas[testNS+"/builder"] = makeSA("builder", "sa-2") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "service account deleted over a minute ago, awaiting finalizers",
			token:   issue(nil),
			change:  func(g *fakeGetter) { g.sas[testNS+"/builder"].DeletionTimestamp = deletedAt(now.Add(-2 * time.Minute)) },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "bound pod deleted",
			token:   issue(podBound),
			change:  func(g *fakeGetter) { delete(g.pods, testNS+"/web") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "bound pod recreated with a new uid",
			token:   issue(podBound),
			change:  func(g *fakeGetter) { g.pods[testNS+"/web"].UID = "pod-2" },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:   "bound pod terminating within its grace period",
			token:  issue(podBound),
			change: func(g *fakeGetter) { g.pods[testNS+"/web"].DeletionTimestamp = deletedAt(now.Add(30 * time.Second)) },
			want:   user(podExtra),
		},
		{
			name:    "bound pod terminating, grace period over more than a minute ago",
			token:   issue(podBound),
			change:  func(g *fakeGetter) { g.pods[testNS+"/web"].DeletionTimestamp = deletedAt(now.Add(-61 * time.Second)) },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "bound secret deleted",
			token:   issue(secretBound),
			change:  func(g *fakeGetter) { delete(g.secrets, testNS+"/creds") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "bound secret recreated with a new uid",
			token:   issue(secretBound),
			change:  func(g *fakeGetter) { g.secrets[testNS+"/creds"].UID = "secret-2" },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "storage unavailable",
			token:   issue(nil),
			change:  func(g *fakeGetter) { g.err = errStorage },
			wantErr: errStorage,
		},
		// Tokens that are not ours pass through for other authenticators.
		{name: "bootstrap token", token: constant("abcdef.0123456789abcdef")},
		{name: "opaque token", token: constant("s3cr3t")},
		{name: "empty", token: constant("")},
		{name: "payload is not JSON", token: constant(b64([]byte(`{"alg":"ES256"}`)) + "." + b64([]byte("hello")) + ".c2ln")},
		{name: "padded base64", token: func(t *testing.T) string { return issue(nil)(t) + "=" }},
		{
			name: "another issuer",
			token: func(t *testing.T) string {
				token, _, err := NewIssuer(newKey(t), "https://elsewhere", testAudiences).Issue(sa, nil, nil, time.Hour, t0)
				if err != nil {
					t.Fatal(err)
				}
				return token
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := world()
			if tc.change != nil {
				tc.change(g)
			}
			at := now
			if !tc.now.IsZero() {
				at = tc.now
			}
			a := NewAuthenticator(issuer, g, func() time.Time { return at })
			token := tc.token(t)

			got, ok, err := a.AuthenticateToken(t.Context(), token)

			if !errors.Is(err, tc.wantErr) || (err != nil && tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				t.Logf("error: %v", err)
				if tc.wantErr != authn.ErrInvalidCredentials && errors.Is(err, authn.ErrInvalidCredentials) {
					t.Errorf("a storage failure is reported as invalid credentials: %v", err)
				}
				assertNoTokenIn(t, err.Error(), token)
			}
			want := tc.want
			if want != nil {
				want.Extra[ExtraCredentialIDKey] = []string{"JTI=" + decodeClaims(t, token).ID}
			}
			if ok != (want != nil) {
				t.Errorf("ok = %v, want %v", ok, want != nil)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}
}

func constant(s string) func(*testing.T) string { return func(*testing.T) string { return s } }

// assertNoTokenIn fails if msg quotes any sizeable part of token.
func assertNoTokenIn(t testing.TB, msg, token string) {
	t.Helper()
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 16 && strings.Contains(msg, seg) {
			t.Errorf("message %q contains part of the token", msg)
		}
	}
}

func TestAuthenticateRequest(t *testing.T) {
	issuer := NewIssuer(newKey(t), testIssuer, testAudiences)
	token, _, err := issuer.Issue(makeSA("builder", "sa-1"), nil, nil, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuthenticator(issuer, world(), func() time.Time { return t0 })
	tests := []struct {
		name          string
		authorization string
		wantUser      string
	}{
		{name: "bearer token", authorization: "Bearer " + token, wantUser: "system:serviceaccount:default:builder"},
		{name: "lowercase scheme", authorization: "bearer " + token, wantUser: "system:serviceaccount:default:builder"},
		{name: "no credentials"},
		{name: "basic auth", authorization: "Basic YWRtaW46YWRtaW4="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/pods", nil)
			if tc.authorization != "" {
				r.Header.Set("Authorization", tc.authorization)
			}
			u, ok, err := a.Authenticate(r)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = u.Name
			}
			if got != tc.wantUser {
				t.Errorf("user = %q, want %q", got, tc.wantUser)
			}
		})
	}
}
