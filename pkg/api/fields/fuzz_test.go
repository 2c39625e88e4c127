package fields

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParseFieldSelector(f *testing.F) {
	for _, s := range []string{
		"", ",", "a=b", "a==b", "a!=b", "a=", "=b", `a=x\,y\=z\\`, "a=b,c!=d", "a==z,a=b",
		`a\=b`, `a\!=b`, "a!!=b", "a=b=c", `a=\`, " a = b ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		str := sel.String()
		again, err := ParseSelector(str)
		if err != nil {
			t.Fatalf("ParseSelector(%q) gave %q, which does not parse: %v", s, str, err)
		}
		if got := again.String(); got != str {
			t.Fatalf("ParseSelector(%q) gave %q, which parses to %q", s, str, got)
		}
		if diff := cmp.Diff(sel.Requirements(), again.Requirements()); diff != "" {
			t.Fatalf("ParseSelector(%q) round trip changed the requirements (-want +got):\n%s", s, diff)
		}
	})
}
