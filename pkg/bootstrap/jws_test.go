package bootstrap

import (
	"strings"
	"testing"
	"time"

	"skiff/pkg/pki"
)

// The vectors of Kubernetes' cluster-bootstrap/token/jws tests: a signature
// made here must be byte for byte the one kubeadm join expects.
func TestDetachedHS256MatchesKubernetes(t *testing.T) {
	const content = "Hello from the other side. I must have called a thousand times."
	const secret = "my voice is my passcode. my voice is my passcode"
	tests := []struct{ content, want string }{
		{content, "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..SFoKn0-YxqnvpSExt4LuCZ_7pvIBdX3SoUO_NsTpkdg"},
		{"", "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..kzZha466Sbz_vFhUBjjYp2rl3F7yHgdDdUIBGxQg4js"},
	}
	for _, tc := range tests {
		if got := detachedHS256(tc.content, "joshua", secret); got != tc.want {
			t.Errorf("detachedHS256(%q) = %s, want %s", tc.content, got, tc.want)
		}
	}
}

func TestDetachedSignatureValid(t *testing.T) {
	const id, secret = "abcdef", "0123456789abcdef"
	content := ClusterInfoKubeconfig("https://10.0.0.1:6443", []byte("CA"))
	sig, err := ComputeDetachedSignature(content, id, secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sig, "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..") {
		t.Errorf("signature %s does not start with the header {\"alg\":\"HS256\",\"kid\":\"abcdef\"} and an empty payload", sig)
	}
	tests := []struct {
		name                     string
		sig, content, id, secret string
		want                     bool
	}{
		{"valid", sig, content, id, secret, true},
		{"other content", sig, content + " ", id, secret, false},
		{"other secret", sig, content, id, "0123456789abcdee", false},
		{"other id", sig, content, "abcdeg", secret, false},
		{"attached payload", strings.Replace(sig, "..", ".eA.", 1), content, id, secret, false},
		{"empty", "", content, id, secret, false},
		{"malformed token", sig, content, "ABC", secret, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetachedSignatureValid(tc.sig, tc.content, tc.id, tc.secret); got != tc.want {
				t.Errorf("DetachedSignatureValid = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := ComputeDetachedSignature(content, "short", secret); err == nil {
		t.Error("ComputeDetachedSignature accepted a malformed token id")
	}
}

func TestClusterInfoRoundTrip(t *testing.T) {
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	kc := ClusterInfoKubeconfig("https://10.0.0.1:6443", pki.EncodeCert(ca.Cert))
	server, caPEM, cert, err := ParseClusterInfo(kc)
	if err != nil {
		t.Fatal(err)
	}
	if server != "https://10.0.0.1:6443" || string(caPEM) != string(pki.EncodeCert(ca.Cert)) || !cert.Equal(ca.Cert) {
		t.Errorf("ParseClusterInfo = %s, %q; want the server and CA written", server, caPEM)
	}
	for _, bad := range []string{"", "clusters: []", "{", strings.Replace(kc, "https://", "http://", 1)} {
		if _, _, _, err := ParseClusterInfo(bad); err == nil {
			t.Errorf("ParseClusterInfo(%q) accepted it", bad)
		}
	}
}

func TestVerifyCACertHash(t *testing.T) {
	ca, _ := pki.NewCA("a")
	other, _ := pki.NewCA("b")
	hash := CACertHash(ca.Cert)
	if !strings.HasPrefix(hash, "sha256:") || len(hash) != len("sha256:")+64 {
		t.Fatalf("CACertHash = %q, want sha256:<64 hex digits>", hash)
	}
	if err := VerifyCACertHash(ca.Cert, hash); err != nil {
		t.Errorf("own hash: %v", err)
	}
	if err := VerifyCACertHash(ca.Cert, strings.ToUpper(hash[:7])+strings.ToUpper(hash[7:])); err == nil {
		t.Error("SHA256: prefix accepted; kubeadm wants lower-case sha256:")
	}
	if err := VerifyCACertHash(ca.Cert, "sha256:"+strings.ToUpper(hash[7:])); err != nil {
		t.Errorf("upper-case hex: %v", err)
	}
	if err := VerifyCACertHash(other.Cert, hash); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("another CA: %v, want a mismatch", err)
	}
	if err := VerifyCACertHash(ca.Cert, "md5:abc"); err == nil {
		t.Error("md5:abc accepted")
	}
}

func TestSecretRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, ok := NewSecret("abcdef.0123456789abcdef", "for n1", now.Add(time.Hour), []string{"authentication", "signing"}, []string{"system:bootstrappers:skiff:default-node-token"})
	if !ok {
		t.Fatal("NewSecret rejected a valid token")
	}
	if id, secret, ok := TokenOf(s); !ok || id != "abcdef" || secret != "0123456789abcdef" {
		t.Errorf("TokenOf = %q, %q, %v", id, secret, ok)
	}
	if string(s.Data[UsageAuthenticationKey]) != "true" || string(s.Data[UsageSigningKey]) != "true" {
		t.Errorf("usages: %v", s.Data)
	}
	if Expired(s, now) || !Expired(s, now.Add(time.Hour)) {
		t.Error("expiry not honoured")
	}
	s.Name = "bootstrap-token-zzzzzz"
	if _, _, ok := TokenOf(s); ok {
		t.Error("TokenOf accepted a Secret whose name does not match its token-id")
	}
}
