package bootstrap

import "testing"

func TestParseToken(t *testing.T) {
	tests := []struct {
		in         string
		id, secret string
		ok         bool
	}{
		{in: "abcdef.0123456789abcdef", id: "abcdef", secret: "0123456789abcdef", ok: true},
		{in: "07401b.f395accd246ae52d", id: "07401b", secret: "f395accd246ae52d", ok: true},
		{in: "abcdef.0123456789abcdeF"},
		{in: "abcde.0123456789abcdef"},
		{in: "abcdef.0123456789abcdef0"},
		{in: " abcdef.0123456789abcdef"},
		{in: "abcdef.0123456789abcdef\n"},
		{in: "abcdef-0123456789abcdef"},
		{in: ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			id, secret, ok := ParseToken(tc.in)
			if id != tc.id || secret != tc.secret || ok != tc.ok {
				t.Errorf("ParseToken(%q) = %q, %q, %v; want %q, %q, %v", tc.in, id, secret, ok, tc.id, tc.secret, tc.ok)
			}
		})
	}
}

func TestGenerateToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		token, err := GenerateToken()
		if err != nil {
			t.Fatal(err)
		}
		id, _, ok := ParseToken(token)
		if !ok {
			t.Fatalf("GenerateToken() = %q, which ParseToken rejects", token)
		}
		if seen[id] {
			t.Fatalf("GenerateToken repeated id %q", id)
		}
		seen[id] = true
	}
	if got := SecretName("abcdef"); got != "bootstrap-token-abcdef" {
		t.Errorf("SecretName = %q", got)
	}
}
