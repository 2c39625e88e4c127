package fields

import (
	"fmt"
	"slices"
	"strings"
)

// ParseSelector reads a field selector: terms separated by commas, each
// `field=value`, `field==value` or `field!=value`. Values escape \ , and = with a
// backslash (see EscapeValue); fields are taken as written, up to the first operator.
// Empty terms are skipped, so "" selects everything. Terms are sorted so that String
// is canonical.
func ParseSelector(s string) (Selector, error) {
	var terms andTerm
	for _, part := range splitTerms(s) {
		if part == "" {
			continue
		}
		field, op, rawValue, ok := splitTerm(part)
		if !ok {
			return nil, fmt.Errorf("invalid selector: '%s'; can't understand '%s'", s, part)
		}
		value, err := UnescapeValue(rawValue)
		if err != nil {
			return nil, err
		}
		if op == "!=" {
			terms = append(terms, notHasTerm{field: field, value: value})
		} else {
			terms = append(terms, hasTerm{field: field, value: value})
		}
	}
	slices.SortStableFunc(terms, func(a, b Selector) int { return strings.Compare(a.String(), b.String()) })
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

// splitTerms splits a selector at the commas that are not escaped by a backslash.
// The terms keep their escapes.
func splitTerms(s string) []string {
	var terms []string
	start, escaped := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case escaped:
			escaped = false
		case s[i] == '\\':
			escaped = true
		case s[i] == ',':
			terms = append(terms, s[start:i])
			start = i + 1
		}
	}
	return append(terms, s[start:])
}

// splitTerm splits a term at its first operator. Fields have no escapes, so the
// first "!=", "==" or "=" is the operator ("==" is tried before "=" so the value
// does not start with '=').
func splitTerm(term string) (field, op, value string, ok bool) {
	for i := range len(term) {
		for _, op := range []string{"!=", "==", "="} {
			if strings.HasPrefix(term[i:], op) {
				return term[:i], op, term[i+len(op):], true
			}
		}
	}
	return "", "", "", false
}
