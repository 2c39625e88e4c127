package bootstrap

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authn"
	"skiff/pkg/apiserver/request"
	bt "skiff/pkg/bootstrap"
)

const (
	testToken  = "abcdef.0123456789abcdef"
	testSecret = "0123456789abcdef"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeSecrets keeps Secrets keyed "namespace/name". If err is set, every lookup
// fails with it.
type fakeSecrets struct {
	secrets map[string]*api.Secret
	err     error
}

func (f *fakeSecrets) GetSecret(_ context.Context, ns, name string) (*api.Secret, error) {
	if f.err != nil {
		return nil, f.err
	}
	if s, ok := f.secrets[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, api.NewNotFound(api.GroupResource{Resource: "secrets"}, name)
}

// tokenSecret is the Secret kubeadm would create for testToken, expiring a day
// after t0.
func tokenSecret() *api.Secret {
	return &api.Secret{
		ObjectMeta: api.ObjectMeta{Namespace: api.NamespaceSystem, Name: "bootstrap-token-abcdef", UID: "u1"},
		Type:       bt.SecretType,
		Data: map[string][]byte{
			bt.TokenIDKey:             []byte("abcdef"),
			bt.TokenSecretKey:         []byte(testSecret),
			bt.ExpirationKey:          []byte(t0.Add(24 * time.Hour).Format(time.RFC3339)),
			bt.UsageAuthenticationKey: []byte("true"),
			bt.UsageSigningKey:        []byte("true"),
			bt.ExtraGroupsKey:         []byte("system:bootstrappers:kubeadm:default-node-token"),
		},
	}
}

var errStorage = errors.New("storage: unavailable")

func TestAuthenticateToken(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		change func(s *api.Secret) // applied to tokenSecret(); set s.Name = "" to remove it
		err    error               // the getter's error
		now    time.Time           // zero means t0
		want   *request.User
		// wantErr is nil for success or pass-through, else what the error wraps.
		wantErr error
	}{
		{
			name:  "valid",
			token: testToken,
			want:  &request.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"}},
		},
		{
			name:   "no expiration",
			token:  testToken,
			change: func(s *api.Secret) { delete(s.Data, bt.ExpirationKey) },
			now:    t0.AddDate(10, 0, 0),
			want:   &request.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"}},
		},
		{
			name:   "no extra groups",
			token:  testToken,
			change: func(s *api.Secret) { delete(s.Data, bt.ExtraGroupsKey) },
			want:   &request.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers"}},
		},
		{
			name:    "default group listed as an extra group",
			token:   testToken,
			change:  func(s *api.Secret) { s.Data[bt.ExtraGroupsKey] = []byte("system:bootstrappers:a,system:bootstrappers") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:  "extra groups sorted and deduplicated",
			token: testToken,
			change: func(s *api.Secret) {
				s.Data[bt.ExtraGroupsKey] = []byte("system:bootstrappers:z,system:bootstrappers:a,system:bootstrappers:z")
			},
			want: &request.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:a", "system:bootstrappers:z"}},
		},
		{
			name:    "extra group outside system:bootstrappers",
			token:   testToken,
			change:  func(s *api.Secret) { s.Data[bt.ExtraGroupsKey] = []byte("system:bootstrappers:ok,system:masters") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:  "extra group with a space",
			token: testToken,
			change: func(s *api.Secret) {
				s.Data[bt.ExtraGroupsKey] = []byte("system:bootstrappers:a, system:bootstrappers:b")
			},
			wantErr: authn.ErrInvalidCredentials,
		},
		{name: "wrong secret", token: "abcdef.fedcba9876543210", wantErr: authn.ErrInvalidCredentials},
		{name: "no such token", token: "zzzzzz.0123456789abcdef", wantErr: authn.ErrInvalidCredentials},
		{
			name:    "expired",
			token:   testToken,
			now:     t0.Add(24 * time.Hour),
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "unparseable expiration counts as expired",
			token:   testToken,
			change:  func(s *api.Secret) { s.Data[bt.ExpirationKey] = []byte("tomorrow") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "not for authentication",
			token:   testToken,
			change:  func(s *api.Secret) { delete(s.Data, bt.UsageAuthenticationKey) },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "usage not exactly true",
			token:   testToken,
			change:  func(s *api.Secret) { s.Data[bt.UsageAuthenticationKey] = []byte("yes") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "wrong secret type",
			token:   testToken,
			change:  func(s *api.Secret) { s.Type = api.SecretTypeOpaque },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "token-id does not match the name",
			token:   testToken,
			change:  func(s *api.Secret) { s.Data[bt.TokenIDKey] = []byte("zzzzzz") },
			wantErr: authn.ErrInvalidCredentials,
		},
		{
			name:    "being deleted",
			token:   testToken,
			change:  func(s *api.Secret) { s.DeletionTimestamp = &api.Time{Time: t0} },
			wantErr: authn.ErrInvalidCredentials,
		},
		{name: "storage unavailable", token: testToken, err: errStorage, wantErr: errStorage},
		// Tokens not in the bootstrap format pass through.
		{name: "empty", token: ""},
		{name: "JWT", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
		{name: "uppercase", token: "ABCDEF.0123456789ABCDEF"},
		{name: "short secret", token: "abcdef.0123456789abcde"},
		{name: "trailing newline", token: testToken + "\n"},
		{name: "colon instead of dot", token: "abcdef:0123456789abcdef"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSecret()
			if tc.change != nil {
				tc.change(s)
			}
			g := &fakeSecrets{secrets: map[string]*api.Secret{s.Namespace + "/" + s.Name: s}, err: tc.err}
			now := t0
			if !tc.now.IsZero() {
				now = tc.now
			}

			got, ok, err := NewAuthenticator(g, func() time.Time { return now }).AuthenticateToken(t.Context(), tc.token)

			if !errors.Is(err, tc.wantErr) || (err != nil && tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				t.Logf("error: %v", err)
				if tc.wantErr != authn.ErrInvalidCredentials && errors.Is(err, authn.ErrInvalidCredentials) {
					t.Errorf("a storage failure is reported as invalid credentials: %v", err)
				}
				if _, secret, _ := bt.ParseToken(tc.token); strings.Contains(err.Error(), secret) {
					t.Errorf("message %q contains the token secret", err)
				}
			}
			if ok != (tc.want != nil) {
				t.Errorf("ok = %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthenticateRequest(t *testing.T) {
	g := &fakeSecrets{secrets: map[string]*api.Secret{"kube-system/bootstrap-token-abcdef": tokenSecret()}}
	a := NewAuthenticator(g, func() time.Time { return t0 })
	tests := []struct {
		name          string
		authorization string
		wantUser      string
	}{
		{name: "bearer token", authorization: "Bearer " + testToken, wantUser: "system:bootstrap:abcdef"},
		{name: "no credentials"},
		{name: "basic auth", authorization: "Basic YWRtaW46YWRtaW4="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/nodes", nil)
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
