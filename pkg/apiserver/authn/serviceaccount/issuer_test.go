package serviceaccount

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

// TestIssueClaims pins the token's header and claims to the shape Kubernetes
// gives bound tokens, so tools that read them (and verifiers of other clusters)
// understand ours.
func TestIssueClaims(t *testing.T) {
	key := newKey(t)
	issuer := NewIssuer(key, testIssuer, testAudiences)
	tests := []struct {
		name      string
		bound     *Bound
		audiences []string
		lifetime  time.Duration
		wantK8s   map[string]any
		wantAud   []any
	}{
		{
			name:     "unbound, default audiences",
			lifetime: time.Hour,
			wantAud:  []any{"https://kubernetes.default.svc", "skiff"},
			wantK8s: map[string]any{
				"namespace":      "default",
				"serviceaccount": map[string]any{"name": "builder", "uid": "sa-1"},
			},
		},
		{
			name:      "pod, own audience, fractional lifetime",
			bound:     &Bound{Kind: KindPod, Name: "web", UID: "pod-1"},
			audiences: []string{"vault"},
			lifetime:  time.Hour + 500*time.Millisecond,
			wantAud:   []any{"vault"},
			wantK8s: map[string]any{
				"namespace":      "default",
				"serviceaccount": map[string]any{"name": "builder", "uid": "sa-1"},
				"pod":            map[string]any{"name": "web", "uid": "pod-1"},
			},
		},
		{
			name:     "secret",
			bound:    &Bound{Kind: KindSecret, Name: "creds", UID: "secret-1"},
			lifetime: time.Hour,
			wantAud:  []any{"https://kubernetes.default.svc", "skiff"},
			wantK8s: map[string]any{
				"namespace":      "default",
				"serviceaccount": map[string]any{"name": "builder", "uid": "sa-1"},
				"secret":         map[string]any{"name": "creds", "uid": "secret-1"},
			},
		},
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	wantHeader := map[string]any{"alg": "ES256", "kid": base64.RawURLEncoding.EncodeToString(sum[:])}
	now := t0.Add(300 * time.Millisecond)

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, exp, err := issuer.Issue(makeSA("builder", "sa-1"), tc.bound, tc.audiences, tc.lifetime, now)
			if err != nil {
				t.Fatal(err)
			}
			if want := t0.Add(time.Hour); !exp.Equal(want) {
				t.Errorf("expiry = %v, want %v", exp, want)
			}
			parts := strings.Split(token, ".")
			var gotHeader, gotClaims map[string]any
			decodeJSON(t, parts[0], &gotHeader)
			decodeJSON(t, parts[1], &gotClaims)
			if diff := cmp.Diff(wantHeader, gotHeader); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if jti, _ := gotClaims["jti"].(string); len(jti) < 16 {
				t.Errorf("jti = %q, want a random id", jti)
			}
			delete(gotClaims, "jti")
			wantClaims := map[string]any{
				"iss":           testIssuer,
				"sub":           "system:serviceaccount:default:builder",
				"aud":           tc.wantAud,
				"iat":           float64(t0.Unix()),
				"nbf":           float64(t0.Unix()),
				"exp":           float64(t0.Add(time.Hour).Unix()),
				"kubernetes.io": tc.wantK8s,
			}
			if diff := cmp.Diff(wantClaims, gotClaims); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func decodeJSON(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestIssueTokensDiffer(t *testing.T) {
	issuer := NewIssuer(newKey(t), testIssuer, testAudiences)
	sa := makeSA("builder", "sa-1")
	a, _, errA := issuer.Issue(sa, nil, nil, time.Hour, t0)
	b, _, errB := issuer.Issue(sa, nil, nil, time.Hour, t0)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if decodeClaims(t, a).ID == decodeClaims(t, b).ID {
		t.Error("two tokens share a jti")
	}
}

func TestIssueErrors(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		key       *ecdsa.PrivateKey // nil: a P-256 key
		apiAuds   []string
		sa        *api.ServiceAccount
		bound     *Bound
		audiences []string
		lifetime  time.Duration
	}{
		{name: "service account without uid", sa: makeSA("builder", "")},
		{name: "service account without namespace", sa: &api.ServiceAccount{ObjectMeta: api.ObjectMeta{Name: "builder", UID: "sa-1"}}},
		{name: "bound to a node", bound: &Bound{Kind: "Node", Name: "n", UID: "u"}},
		{name: "bound pod without uid", bound: &Bound{Kind: KindPod, Name: "web"}},
		{name: "lifetime under a second", lifetime: time.Millisecond},
		{name: "no audiences at all", apiAuds: []string{}},
		{name: "P-384 key", key: p384},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == nil {
				key = newKey(t)
			}
			auds := testAudiences
			if tc.apiAuds != nil {
				auds = tc.apiAuds
			}
			sa := tc.sa
			if sa == nil {
				sa = makeSA("builder", "sa-1")
			}
			lifetime := tc.lifetime
			if lifetime == 0 {
				lifetime = time.Hour
			}
			token, _, err := NewIssuer(key, testIssuer, auds).Issue(sa, tc.bound, tc.audiences, lifetime, t0)
			if err == nil {
				t.Fatalf("Issue succeeded with %q, want an error", token)
			}
			t.Log(err)
		})
	}
}
