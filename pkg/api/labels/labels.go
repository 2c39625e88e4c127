// Package labels implements Kubernetes label selectors: the Set of labels an object
// carries, the Selector that picks objects by them, and a parser for the selector
// syntax of `?labelSelector=` and `kubectl -l` (`app=web,tier in (front,back),!canary`).
// It also holds the validation rules for label keys and values and for DNS names.
package labels

import (
	"maps"
	"slices"
	"strings"
)

// Labels is what a Selector matches against.
type Labels interface {
	// Has reports whether the label is present, even with an empty value.
	Has(key string) bool
	// Get returns the label's value, or "" when it is absent.
	Get(key string) string
}

// Set maps label keys to values. A nil Set has no labels.
type Set map[string]string

var _ Labels = Set(nil)

// Has reports whether the label is present.
func (s Set) Has(key string) bool {
	_, ok := s[key]
	return ok
}

// Get returns the label's value, or "" when it is absent.
func (s Set) Get(key string) string { return s[key] }

// String returns the labels as "k1=v1,k2=v2", sorted by key.
func (s Set) String() string {
	parts := make([]string, 0, len(s))
	for _, k := range slices.Sorted(maps.Keys(s)) {
		parts = append(parts, k+"="+s[k])
	}
	return strings.Join(parts, ",")
}
