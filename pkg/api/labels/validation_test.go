package labels

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	nameMsg      = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
	subdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	labelMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	valueMsg     = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

func TestIsQualifiedName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "app", nil},
		{"mixed", "My_app.v1-2", nil},
		{"single char", "a", nil},
		{"prefixed", "example.com/App", nil},
		{"63 chars", strings.Repeat("a", 63), nil},
		{"empty", "", []string{"name part must be non-empty", nameMsg}},
		{"leading dash", "-app", []string{nameMsg}},
		{"trailing dot", "app.", []string{nameMsg}},
		{"space", "a b", []string{nameMsg}},
		{"64 chars", strings.Repeat("a", 64), []string{"name part must be no more than 63 characters"}},
		{"empty prefix", "/app", []string{"prefix part must be non-empty"}},
		{"empty name", "example.com/", []string{"name part must be non-empty", nameMsg}},
		{"upper case prefix", "Example.com/app", []string{"prefix part " + subdomainMsg}},
		{"long prefix", strings.Repeat("a", 254) + "/app", []string{"prefix part must be no more than 253 characters"}},
		{"two slashes", "a/b/c", []string{"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, IsQualifiedName(tt.in)); diff != "" {
				t.Errorf("IsQualifiedName(%q) (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.want, ValidateLabelKey(tt.in)); diff != "" {
				t.Errorf("ValidateLabelKey(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestValidateLabelValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"simple", "web", nil},
		{"mixed", "My_value.1-2", nil},
		{"63 chars", strings.Repeat("a", 63), nil},
		{"64 chars", strings.Repeat("a", 64), []string{"must be no more than 63 characters"}},
		{"slash", "a/b", []string{valueMsg}},
		{"leading underscore", "_a", []string{valueMsg}},
		{"too long and bad", strings.Repeat("a", 64) + "!", []string{"must be no more than 63 characters", valueMsg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ValidateLabelValue(tt.in)); diff != "" {
				t.Errorf("ValidateLabelValue(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestIsDNS1123Label(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "my-name", nil},
		{"digits", "123", nil},
		{"63 chars", strings.Repeat("a", 63), nil},
		{"empty", "", []string{labelMsg}},
		{"upper case", "MyName", []string{labelMsg}},
		{"dots", "a.b", []string{"must not contain dots"}},
		{"trailing dash", "a-", []string{labelMsg}},
		{"64 chars", strings.Repeat("a", 64), []string{"must be no more than 63 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, IsDNS1123Label(tt.in)); diff != "" {
				t.Errorf("IsDNS1123Label(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestIsDNS1123Subdomain(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "example.com", nil},
		{"label", "my-name", nil},
		{"253 chars", strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61), nil},
		{"empty", "", []string{subdomainMsg}},
		{"upper case", "Example.com", []string{subdomainMsg}},
		{"empty label", "a..b", []string{subdomainMsg}},
		{"underscore", "a_b", []string{subdomainMsg}},
		{"254 chars", strings.Repeat("a.", 127), []string{"must be no more than 253 characters", subdomainMsg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, IsDNS1123Subdomain(tt.in)); diff != "" {
				t.Errorf("IsDNS1123Subdomain(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
