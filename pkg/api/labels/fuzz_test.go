package labels

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParseLabelSelector(f *testing.F) {
	for _, s := range []string{
		"", "a", "!a", "a=b", "a==b", "a!=b", "a in (b,c)", "a notin ()", "a>5", "a<-1",
		"x/y=z", "example.com/app in (,a,,b)", "a,b,!c", "in in (in)", " a = b ,\tc\n", "a===b", "a in ((b))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			return
		}
		str := sel.String()
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) gave %q, which does not parse: %v", s, str, err)
		}
		if got := again.String(); got != str {
			t.Fatalf("Parse(%q) gave %q, which parses to %q", s, str, got)
		}
		if diff := cmp.Diff(sel.Requirements(), again.Requirements()); diff != "" {
			t.Fatalf("Parse(%q) round trip changed the requirements (-want +got):\n%s", s, diff)
		}
	})
}
