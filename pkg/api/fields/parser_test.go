package fields

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       []Requirement
		wantString string
	}{
		{name: "empty", in: ""},
		{name: "only commas", in: ",,"},
		{name: "equals", in: "metadata.name=web", want: []Requirement{{"metadata.name", Equals, "web"}}, wantString: "metadata.name=web"},
		{name: "double equals", in: "a==b", want: []Requirement{{"a", Equals, "b"}}, wantString: "a=b"},
		{name: "not equals", in: "a!=b", want: []Requirement{{"a", NotEquals, "b"}}, wantString: "a!=b"},
		{name: "empty value", in: "spec.nodeName=", want: []Requirement{{"spec.nodeName", Equals, ""}}, wantString: "spec.nodeName="},
		{name: "empty field", in: "=x", want: []Requirement{{"", Equals, "x"}}, wantString: "=x"},
		{name: "escaped value", in: `a=x\,y\=z\\`, want: []Requirement{{"a", Equals, `x,y=z\`}}, wantString: `a=x\,y\=z\\`},
		{name: "whitespace is kept", in: " a = b ", want: []Requirement{{" a ", Equals, " b "}}, wantString: " a = b "},
		{name: "bang in field", in: "a!b=c", want: []Requirement{{"a!b", Equals, "c"}}, wantString: "a!b=c"},
		{name: "empty terms skipped", in: ",a=1,,b=2,", want: []Requirement{{"a", Equals, "1"}, {"b", Equals, "2"}}, wantString: "a=1,b=2"},
		{
			name: "sorted by canonical term", in: "c=3,a==z,a=b,b!=2",
			want:       []Requirement{{"a", Equals, "b"}, {"a", Equals, "z"}, {"b", NotEquals, "2"}, {"c", Equals, "3"}},
			wantString: "a=b,a=z,b!=2,c=3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := ParseSelector(tt.in)
			if err != nil {
				t.Fatalf("ParseSelector(%q) error = %v", tt.in, err)
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
			again, err := ParseSelector(sel.String())
			if err != nil {
				t.Fatalf("ParseSelector(String()) error = %v", err)
			}
			if diff := cmp.Diff(sel.Requirements(), again.Requirements()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"no operator", "a", "invalid selector: 'a'; can't understand 'a'"},
		{"second term has no operator", "a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"},
		{"set-based syntax", "a in (b)", "can't understand 'a in (b)'"},
		{"less than", "a<5", "can't understand 'a<5'"},
		{"unescaped equals in value", "a=b=c", "unescaped character in value: '='"},
		{"triple equals", "a===b", "unescaped character in value: '='"},
		{"bad escape", `a=\n`, `invalid escape sequence: \n`},
		{"trailing backslash", `a=b\`, `invalid escape sequence: \`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := ParseSelector(tt.in)
			if err == nil {
				t.Fatalf("ParseSelector(%q) = %q, want error containing %q", tt.in, sel, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSelector(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}
