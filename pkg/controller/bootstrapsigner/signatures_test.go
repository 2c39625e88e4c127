package bootstrapsigner

import (
	"testing"
	"time"

	"skiff/pkg/api"
	bt "skiff/pkg/bootstrap"
)

func TestSignatures(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	secret := func(token string, exp time.Time, usages ...string) *api.Secret {
		s, ok := bt.NewSecret(token, "", exp, usages, nil)
		if !ok {
			t.Fatalf("bad token %s", token)
		}
		return s
	}
	notSigning := secret("bbbbbb.0123456789abcdef", time.Time{}, "authentication")
	expired := secret("cccccc.0123456789abcdef", now.Add(-time.Second), "signing")
	wrongNS := secret("dddddd.0123456789abcdef", time.Time{}, "signing")
	wrongNS.Namespace = "default"
	mismatched := secret("eeeeee.0123456789abcdef", time.Time{}, "signing")
	mismatched.Name = "bootstrap-token-ffffff"
	got, next := Signatures("kc", []*api.Secret{
		secret("aaaaaa.0123456789abcdef", now.Add(time.Hour), "authentication", "signing"),
		secret("gggggg.0123456789abcdef", now.Add(30*time.Minute), "signing"),
		notSigning, expired, wrongNS, mismatched,
	}, now)
	if len(got) != 2 || got["jws-kubeconfig-aaaaaa"] == "" || got["jws-kubeconfig-gggggg"] == "" {
		t.Fatalf("signatures for %v; want exactly aaaaaa and gggggg", got)
	}
	if !bt.DetachedSignatureValid(got["jws-kubeconfig-aaaaaa"], "kc", "aaaaaa", "0123456789abcdef") {
		t.Error("signature does not verify")
	}
	if next != 30*time.Minute {
		t.Errorf("next expiry in %v, want 30m", next)
	}
}
