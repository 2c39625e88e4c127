package fields

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// valueEscaper puts a backslash before \ , and =, the characters a field selector
// string gives meaning to.
var valueEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`)

// EscapeValue escapes a value for use in a field selector string.
func EscapeValue(s string) string { return valueEscaper.Replace(s) }

// UnescapeValue undoes EscapeValue. It fails on an unescaped ',' or '=' and on a
// backslash not followed by \ , or =.
func UnescapeValue(s string) (string, error) {
	if !strings.ContainsAny(s, `\,=`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', '=':
			return "", fmt.Errorf("invalid field selector: unescaped character in value: %q", c)
		case '\\':
			if i+1 == len(s) {
				return "", errors.New(`invalid field selector: invalid escape sequence: \`)
			}
			switch n := s[i+1]; n {
			case '\\', ',', '=':
				b.WriteByte(n)
				i++
			default:
				_, size := utf8.DecodeRuneInString(s[i+1:])
				return "", fmt.Errorf("invalid field selector: invalid escape sequence: %s", s[i:i+1+size])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
