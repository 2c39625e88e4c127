package labels

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func req(key string, op Operator, vals ...string) Requirement {
	return Requirement{Key: key, Operator: op, Values: vals}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       []Requirement
		wantString string
	}{
		{name: "empty", in: "", wantString: ""},
		{name: "only whitespace", in: " \t\r\n ", wantString: ""},
		{name: "exists", in: "app", want: []Requirement{req("app", Exists)}, wantString: "app"},
		{name: "does not exist", in: "!app", want: []Requirement{req("app", DoesNotExist)}, wantString: "!app"},
		{name: "does not exist spaced", in: " ! app ", want: []Requirement{req("app", DoesNotExist)}, wantString: "!app"},
		{name: "equals", in: "app=web", want: []Requirement{req("app", Equals, "web")}, wantString: "app=web"},
		{name: "double equals", in: "app==web", want: []Requirement{req("app", DoubleEquals, "web")}, wantString: "app==web"},
		{name: "not equals", in: "app!=web", want: []Requirement{req("app", NotEquals, "web")}, wantString: "app!=web"},
		{name: "equals empty value", in: "app=", want: []Requirement{req("app", Equals, "")}, wantString: "app="},
		{name: "not equals empty value before comma", in: "app!=,b", want: []Requirement{req("app", NotEquals, ""), req("b", Exists)}, wantString: "app!=,b"},
		{name: "in", in: "tier in (front,back)", want: []Requirement{req("tier", In, "back", "front")}, wantString: "tier in (back,front)"},
		{name: "notin", in: "tier notin (front)", want: []Requirement{req("tier", NotIn, "front")}, wantString: "tier notin (front)"},
		{name: "in spaced", in: "  tier  in  (  a ,  b  )  ", want: []Requirement{req("tier", In, "a", "b")}, wantString: "tier in (a,b)"},
		{name: "in no space before paren", in: "tier in(a)", want: []Requirement{req("tier", In, "a")}, wantString: "tier in (a)"},
		{name: "in duplicates", in: "t in (b,a,b)", want: []Requirement{req("t", In, "a", "b")}, wantString: "t in (a,b)"},
		{name: "in empty list", in: "t in ()", want: []Requirement{req("t", In, "")}, wantString: "t in ()"},
		{name: "in empty elements", in: "t in (,a,,)", want: []Requirement{req("t", In, "", "a")}, wantString: "t in (,a)"},
		{name: "keywords as key and value", in: "in in (in,notin)", want: []Requirement{req("in", In, "in", "notin")}, wantString: "in in (in,notin)"},
		{name: "keyword as exact value", in: "notin=in", want: []Requirement{req("notin", Equals, "in")}, wantString: "notin=in"},
		{name: "greater than", in: "n>5", want: []Requirement{req("n", GreaterThan, "5")}, wantString: "n>5"},
		{name: "less than", in: "n < 05", want: []Requirement{req("n", LessThan, "05")}, wantString: "n<05"},
		{name: "prefixed key", in: "example.com/app=web", want: []Requirement{req("example.com/app", Equals, "web")}, wantString: "example.com/app=web"},
		{name: "spaces around operators", in: "a = b , c != d , e == f", want: []Requirement{req("a", Equals, "b"), req("c", NotEquals, "d"), req("e", DoubleEquals, "f")}, wantString: "a=b,c!=d,e==f"},
		{
			name:       "sorted by key, stable",
			in:         "z,b=2,!y,a in (x),b!=3",
			want:       []Requirement{req("a", In, "x"), req("b", Equals, "2"), req("b", NotEquals, "3"), req("y", DoesNotExist), req("z", Exists)},
			wantString: "a in (x),b=2,b!=3,!y,z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, sel.Requirements()); diff != "" {
				t.Errorf("Requirements() (-want +got):\n%s", diff)
			}
			if got := sel.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if sel.Empty() != (len(tt.want) == 0) {
				t.Errorf("Empty() = %v with %d requirements", sel.Empty(), len(tt.want))
			}
			again, err := Parse(sel.String())
			if err != nil {
				t.Fatalf("Parse(String()) error = %v", err)
			}
			if diff := cmp.Diff(sel.Requirements(), again.Requirements()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"leading comma", ",a", "found ',', expected: !, identifier, or 'end of string'"},
		{"trailing comma", "a,", "found '', expected: identifier after ','"},
		{"double comma", "a,,b", "found ',', expected: identifier after ','"},
		{"starts with operator", "=a", "found '=', expected: !, identifier, or 'end of string'"},
		{"bang then paren", "!(", "unable to parse requirement: found '(', expected: identifier"},
		{"lone bang", "!", "unable to parse requirement: found '', expected: identifier"},
		{"value is a paren", "a=(", "unable to parse requirement: found '(', expected: identifier"},
		{"two values", "a=b c", "found 'c', expected: ',' or 'end of string'"},
		{"chained equals", "a=b=c", "found '=', expected: ',' or 'end of string'"},
		{"triple equals", "a===b", "unable to parse requirement: found '=', expected: identifier"},
		{"not exists with value", "!a=b", "found '=', expected: ',' or 'end of string'"},
		{"two keys", "a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, >, <"},
		{"exists keyword", "a exists", "You may want to use the 'exists' keyword without 'in' / 'notin'"},
		{"in without paren", "a in b", "unable to parse requirement: found 'b', expected: '('"},
		{"in unclosed", "a in (b", "unable to parse requirement: found '', expected: ',' or ')'"},
		{"in unclosed after comma", "a in (b,", "unable to parse requirement: found '', expected: ',', ')' or identifier"},
		{"in missing comma", "a in (b c)", "found 'c', expected: ',' or ')'"},
		{"in nested paren", "a in ((b))", "found '(', expected: ',', ')' or identifier"},
		{"in at end", "a in", "found '', expected: '('"},
		{"bad key", "a/b/c=d", `unable to parse requirement: key: Invalid value: "a/b/c": a qualified name must consist of`},
		{"bad key with bang", "!-a", `key: Invalid value: "-a": name part must consist of`},
		{"bad value", "a=-b", `unable to parse requirement: values[0]: Invalid value: "-b": a valid label must be an empty string`},
		{"bad in value, index after sorting", "a in (ok,b@d)", `values[0]: Invalid value: "b@d"`},
		{"long value", "a=" + strings.Repeat("v", 64), "must be no more than 63 characters"},
		{"gt not integer", "a>b", "for 'Gt', 'Lt' operators, the value must be an integer"},
		{"gt missing value", "a>", "for 'Gt', 'Lt' operators, the value must be an integer"},
		{"gt as word", "a gt 5", "found 'gt', expected: in, notin, =, ==, !=, >, <"},
		{"nul byte", "a\x00=b", `key: Invalid value: "a\x00"`},
		{"unicode key", "ключ=b", "name part must consist of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error containing %q", tt.in, sel, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}
