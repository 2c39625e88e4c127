package fields

import (
	"maps"
	"slices"
	"strings"
)

// Operator is how a Requirement compares a field with its value.
type Operator string

// The operators of field selectors; `==` parses as Equals.
const (
	Equals    Operator = "="
	NotEquals Operator = "!="
)

// Requirement is one term of a selector, such as `spec.nodeName!=`.
type Requirement struct {
	Field    string
	Operator Operator
	Value    string
}

// Selector picks objects by their fields. Selectors are immutable and safe for
// concurrent use.
type Selector interface {
	// Matches reports whether the fields satisfy every term. An absent field has
	// the value "".
	Matches(Fields) bool
	// Empty reports whether the selector has no terms and so matches everything.
	Empty() bool
	// String returns the selector in the syntax ParseSelector reads, values escaped.
	String() string
	// Requirements returns the terms, in String's order.
	Requirements() []Requirement
	// RequiresExactMatch returns the value a field=value term demands of the field,
	// so a server can look objects up by it instead of scanning them all.
	RequiresExactMatch(field string) (value string, found bool)
}

// hasTerm matches when the field has the value.
type hasTerm struct{ field, value string }

// notHasTerm matches when the field does not have the value.
type notHasTerm struct{ field, value string }

// andTerm matches when all its selectors match; an empty one matches everything.
type andTerm []Selector

var (
	_ Selector = hasTerm{}
	_ Selector = notHasTerm{}
	_ Selector = andTerm(nil)
)

// Everything returns a selector that matches all objects.
func Everything() Selector { return andTerm(nil) }

// OneTermEqualSelector returns a selector that matches when field k equals v.
func OneTermEqualSelector(k, v string) Selector { return hasTerm{field: k, value: v} }

// AndSelectors returns a selector that matches when all the selectors match.
func AndSelectors(selectors ...Selector) Selector { return andTerm(slices.Clone(selectors)) }

// SelectorFromSet returns a selector that matches when every field of the set has its
// value; an empty set matches everything.
func SelectorFromSet(s Set) Selector {
	terms := make(andTerm, 0, len(s))
	for _, f := range slices.Sorted(maps.Keys(s)) {
		terms = append(terms, hasTerm{field: f, value: s[f]})
	}
	return terms
}

func (t hasTerm) Matches(fs Fields) bool { return fs.Get(t.field) == t.value }
func (t hasTerm) Empty() bool            { return false }
func (t hasTerm) String() string         { return t.field + "=" + EscapeValue(t.value) }

func (t hasTerm) Requirements() []Requirement {
	return []Requirement{{Field: t.field, Operator: Equals, Value: t.value}}
}

func (t hasTerm) RequiresExactMatch(field string) (string, bool) {
	if t.field == field {
		return t.value, true
	}
	return "", false
}

func (t notHasTerm) Matches(fs Fields) bool { return fs.Get(t.field) != t.value }
func (t notHasTerm) Empty() bool            { return false }
func (t notHasTerm) String() string         { return t.field + "!=" + EscapeValue(t.value) }

func (t notHasTerm) Requirements() []Requirement {
	return []Requirement{{Field: t.field, Operator: NotEquals, Value: t.value}}
}

func (t notHasTerm) RequiresExactMatch(string) (string, bool) { return "", false }

func (t andTerm) Matches(fs Fields) bool {
	for _, s := range t {
		if !s.Matches(fs) {
			return false
		}
	}
	return true
}

func (t andTerm) Empty() bool {
	for _, s := range t {
		if !s.Empty() {
			return false
		}
	}
	return true
}

func (t andTerm) String() string {
	parts := make([]string, 0, len(t))
	for _, s := range t {
		if !s.Empty() {
			parts = append(parts, s.String())
		}
	}
	return strings.Join(parts, ",")
}

func (t andTerm) Requirements() []Requirement {
	var reqs []Requirement
	for _, s := range t {
		reqs = append(reqs, s.Requirements()...)
	}
	return reqs
}

func (t andTerm) RequiresExactMatch(field string) (string, bool) {
	for _, s := range t {
		if v, ok := s.RequiresExactMatch(field); ok {
			return v, true
		}
	}
	return "", false
}
