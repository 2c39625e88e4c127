package fields

import (
	"strings"
	"testing"
)

func TestEscapeValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "abc", "abc"},
		{"empty", "", ""},
		{"comma", "a,b", `a\,b`},
		{"equals", "a=b", `a\=b`},
		{"backslash", `a\b`, `a\\b`},
		{"all", `\,=`, `\\\,\=`},
		{"unicode", "ключ", "ключ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EscapeValue(tt.in)
			if got != tt.want {
				t.Errorf("EscapeValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := UnescapeValue(got)
			if err != nil || back != tt.in {
				t.Errorf("UnescapeValue(%q) = %q, %v, want %q", got, back, err, tt.in)
			}
		})
	}
}

func TestUnescapeValueErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"unescaped comma", "a,b", "invalid field selector: unescaped character in value: ','"},
		{"unescaped equals", "a=b", "invalid field selector: unescaped character in value: '='"},
		{"unknown escape", `a\b`, `invalid field selector: invalid escape sequence: \b`},
		{"unknown unicode escape", `a\ж`, `invalid field selector: invalid escape sequence: \ж`},
		{"trailing backslash", `a\`, `invalid field selector: invalid escape sequence: \`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := UnescapeValue(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("UnescapeValue(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestUnescapeValueKeepsInvalidUTF8(t *testing.T) {
	in := "\xff\\,"
	got, err := UnescapeValue(in)
	if err != nil || got != "\xff," {
		t.Errorf("UnescapeValue(%q) = %q, %v, want %q", in, got, err, "\xff,")
	}
}
