package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
)

const (
	testIssuer = "https://skiff.test"
	testNS     = "default"
)

var (
	testAudiences = []string{"https://kubernetes.default.svc", "skiff"}
	t0            = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// fakeGetter keeps objects in maps keyed "namespace/name". If err is set, every
// lookup fails with it.
type fakeGetter struct {
	sas     map[string]*api.ServiceAccount
	pods    map[string]*api.Pod
	secrets map[string]*api.Secret
	err     error
}

var _ Getter = (*fakeGetter)(nil)

func get[T any](g *fakeGetter, m map[string]*T, resource, ns, name string) (*T, error) {
	if g.err != nil {
		return nil, g.err
	}
	if obj, ok := m[ns+"/"+name]; ok {
		return obj, nil
	}
	return nil, api.NewNotFound(api.GroupResource{Resource: resource}, name)
}

func (g *fakeGetter) GetServiceAccount(_ context.Context, ns, name string) (*api.ServiceAccount, error) {
	return get(g, g.sas, "serviceaccounts", ns, name)
}

func (g *fakeGetter) GetPod(_ context.Context, ns, name string) (*api.Pod, error) {
	return get(g, g.pods, "pods", ns, name)
}

func (g *fakeGetter) GetSecret(_ context.Context, ns, name string) (*api.Secret, error) {
	return get(g, g.secrets, "secrets", ns, name)
}

// world is the fixture every authenticator test starts from: service account
// "builder" (uid sa-1), pod "web" (uid pod-1) and secret "creds" (uid secret-1).
func world() *fakeGetter {
	return &fakeGetter{
		sas:     map[string]*api.ServiceAccount{testNS + "/builder": makeSA("builder", "sa-1")},
		pods:    map[string]*api.Pod{testNS + "/web": {ObjectMeta: api.ObjectMeta{Namespace: testNS, Name: "web", UID: "pod-1"}}},
		secrets: map[string]*api.Secret{testNS + "/creds": {ObjectMeta: api.ObjectMeta{Namespace: testNS, Name: "creds", UID: "secret-1"}}},
	}
}

func makeSA(name, uid string) *api.ServiceAccount {
	return &api.ServiceAccount{ObjectMeta: api.ObjectMeta{Namespace: testNS, Name: name, UID: uid}}
}

func deletedAt(t time.Time) *api.Time { return &api.Time{Time: t} }

// decodeClaims reads a token's payload without verifying it.
func decodeClaims(t testing.TB, token string) claims {
	t.Helper()
	jt, ok := parseJWT(token)
	if !ok {
		t.Fatalf("not a JWT")
	}
	var c claims
	if err := json.Unmarshal(jt.payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// resign replaces a token's header and payload segments, keeping its signature.
func resign(token string, header, payload any) string {
	parts := strings.Split(token, ".")
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	return b64(h) + "." + b64(p) + "." + parts[2]
}
