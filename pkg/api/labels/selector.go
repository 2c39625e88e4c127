package labels

import (
	"maps"
	"slices"
	"strings"
)

// Selector picks objects by their labels. Selectors are immutable and safe for
// concurrent use.
type Selector interface {
	// Matches reports whether the labels satisfy every requirement.
	Matches(Labels) bool
	// Empty reports whether the selector has no requirements and so matches
	// everything. Nothing() is not empty.
	Empty() bool
	// String returns the selector in the syntax Parse reads, requirements sorted by
	// key; Parse(s.String()) gives back an equal selector.
	String() string
	// Requirements returns a copy of the requirements, sorted by key. Nothing() has
	// none, like Everything(), so check Empty before translating a selector.
	Requirements() []Requirement
}

// internalSelector is a list of requirements sorted by key, all of which must match.
type internalSelector []Requirement

// nothingSelector matches no labels at all.
type nothingSelector struct{}

var (
	_ Selector = internalSelector(nil)
	_ Selector = nothingSelector{}
)

// Everything returns a selector that matches all labels.
func Everything() Selector { return internalSelector(nil) }

// Nothing returns a selector that matches no labels.
func Nothing() Selector { return nothingSelector{} }

// NewSelector returns a selector that matches labels satisfying all the requirements.
// It copies them and sorts them by key (keeping the given order among equal keys), so
// String is canonical. It does not validate them; use NewRequirement for that.
func NewSelector(reqs ...Requirement) Selector {
	s := internalSelector(clone(reqs))
	slices.SortStableFunc(s, func(a, b Requirement) int { return strings.Compare(a.Key, b.Key) })
	return s
}

// SelectorFromSet returns a selector that matches labels holding every key=value of
// the set; an empty set matches everything. Like Kubernetes it does not validate the
// set, so a key or value that is not a valid label gives a selector whose String
// does not parse back; use ValidatedSelectorFromSet for untrusted input.
func SelectorFromSet(ls Set) Selector { return SelectorFromValidatedSet(ls) }

// SelectorFromValidatedSet is SelectorFromSet for a set the caller has validated.
func SelectorFromValidatedSet(ls Set) Selector {
	reqs := make([]Requirement, 0, len(ls))
	for k, v := range ls {
		reqs = append(reqs, Requirement{Key: k, Operator: Equals, Values: []string{v}})
	}
	return NewSelector(reqs...)
}

// ValidatedSelectorFromSet is SelectorFromSet after checking every key and value; the
// error is NewRequirement's for the first invalid pair, by key order.
func ValidatedSelectorFromSet(ls Set) (Selector, error) {
	reqs := make([]Requirement, 0, len(ls))
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		r, err := NewRequirement(k, Equals, []string{ls[k]})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return NewSelector(reqs...), nil
}

func (s internalSelector) Matches(ls Labels) bool {
	for _, r := range s {
		if !r.Matches(ls) {
			return false
		}
	}
	return true
}

func (s internalSelector) Empty() bool { return len(s) == 0 }

func (s internalSelector) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

func (s internalSelector) Requirements() []Requirement {
	if len(s) == 0 {
		return nil
	}
	return clone(s)
}

// clone copies requirements deeply, so callers cannot change a selector's values.
func clone(reqs []Requirement) []Requirement {
	out := make([]Requirement, len(reqs))
	for i, r := range reqs {
		out[i] = Requirement{Key: r.Key, Operator: r.Operator, Values: slices.Clone(r.Values)}
	}
	return out
}

func (nothingSelector) Matches(Labels) bool         { return false }
func (nothingSelector) Empty() bool                 { return false }
func (nothingSelector) String() string              { return "" }
func (nothingSelector) Requirements() []Requirement { return nil }
