// Package fields implements Kubernetes field selectors, the `?fieldSelector=` query
// that picks objects by a few of their fields (`metadata.name=web,spec.nodeName!=`).
// A selector is a comma-separated list of field=value and field!=value terms, all of
// which must match; the server decides which fields an object exposes.
package fields

import (
	"maps"
	"slices"
	"strings"
)

// Fields is what a Selector matches against: an object's selectable fields.
type Fields interface {
	// Has reports whether the field is present.
	Has(field string) bool
	// Get returns the field's value, or "" when it is absent.
	Get(field string) string
}

// Set maps field paths to values. A nil Set has no fields.
type Set map[string]string

var _ Fields = Set(nil)

// Has reports whether the field is present.
func (s Set) Has(field string) bool {
	_, ok := s[field]
	return ok
}

// Get returns the field's value, or "" when it is absent.
func (s Set) Get(field string) string { return s[field] }

// String returns the fields as "f1=v1,f2=v2", sorted by field, values unescaped.
func (s Set) String() string {
	parts := make([]string, 0, len(s))
	for _, f := range slices.Sorted(maps.Keys(s)) {
		parts = append(parts, f+"="+s[f])
	}
	return strings.Join(parts, ",")
}
