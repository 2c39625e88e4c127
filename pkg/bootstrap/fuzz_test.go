package bootstrap

import (
	"regexp"
	"testing"
)

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{
		"", ".", "abcdef.0123456789abcdef", "ABCDEF.0123456789ABCDEF", "abcdef.0123456789abcdef\n",
		"abcdef..0123456789abcdef", "abcdef.0123456789abcdefabcdef.0123456789abcdef", "ąbcdef.0123456789abcdef",
	} {
		f.Add(s)
	}
	// Checked by hand rather than with the regexp under test.
	isTokenChar := func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
	allTokenChars := func(s string) bool {
		for i := range len(s) {
			if !isTokenChar(s[i]) {
				return false
			}
		}
		return true
	}
	valid := regexp.MustCompile(`\A[a-z0-9]{6}\.[a-z0-9]{16}\z`)
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := ParseToken(s)
		byHand := len(s) == 23 && s[6] == '.' && allTokenChars(s[:6]) && allTokenChars(s[7:])
		if ok != byHand || ok != valid.MatchString(s) {
			t.Fatalf("ParseToken(%q) ok = %v, want %v", s, ok, byHand)
		}
		if ok && (id+"."+secret != s || len(id) != 6) {
			t.Fatalf("ParseToken(%q) = %q, %q", s, id, secret)
		}
		if !ok && (id != "" || secret != "") {
			t.Fatalf("ParseToken(%q) failed but returned %q, %q", s, id, secret)
		}
	})
}
