package labels

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEverythingAndNothing(t *testing.T) {
	for _, ls := range []Set{nil, {}, {"a": "b"}} {
		if !Everything().Matches(ls) {
			t.Errorf("Everything().Matches(%v) = false", ls)
		}
		if Nothing().Matches(ls) {
			t.Errorf("Nothing().Matches(%v) = true", ls)
		}
	}
	if !Everything().Empty() || Everything().String() != "" || Everything().Requirements() != nil {
		t.Errorf("Everything() should be empty with no string and no requirements")
	}
	if Nothing().Empty() {
		t.Errorf("Nothing().Empty() = true, want false: it must not be mistaken for Everything")
	}
}

func TestNewSelectorSortsAndCopies(t *testing.T) {
	reqs := []Requirement{
		{Key: "b", Operator: Exists},
		{Key: "a", Operator: NotEquals, Values: []string{"2"}},
		{Key: "a", Operator: Equals, Values: []string{"1"}},
	}
	sel := NewSelector(reqs...)
	reqs[1].Values[0] = "changed"

	want := []Requirement{
		{Key: "a", Operator: NotEquals, Values: []string{"2"}},
		{Key: "a", Operator: Equals, Values: []string{"1"}},
		{Key: "b", Operator: Exists},
	}
	if diff := cmp.Diff(want, sel.Requirements()); diff != "" {
		t.Errorf("Requirements() (-want +got):\n%s", diff)
	}
	if got := sel.String(); got != "a!=2,a=1,b" {
		t.Errorf("String() = %q", got)
	}
	sel.Requirements()[0].Values[0] = "changed"
	if got := sel.String(); got != "a!=2,a=1,b" {
		t.Errorf("Requirements() shares the selector's values: String() = %q", got)
	}
}

func TestSelectorMatches(t *testing.T) {
	sel, err := Parse("app=web,tier in (front,back),!canary,n>2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		labels Set
		want   bool
	}{
		{"all satisfied", Set{"app": "web", "tier": "front", "n": "3"}, true},
		{"one fails", Set{"app": "web", "tier": "middle", "n": "3"}, false},
		{"forbidden label present", Set{"app": "web", "tier": "back", "n": "3", "canary": ""}, false},
		{"no labels", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sel.Matches(tt.labels); got != tt.want {
				t.Errorf("%q.Matches(%v) = %v, want %v", sel, tt.labels, got, tt.want)
			}
		})
	}
}

func TestSelectorFromSet(t *testing.T) {
	tests := []struct {
		name string
		set  Set
		want string
	}{
		{"nil", nil, ""},
		{"empty", Set{}, ""},
		{"sorted by key", Set{"b": "2", "a.b": "3", "a": "1"}, "a=1,a.b=3,b=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := SelectorFromSet(tt.set)
			if got := sel.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if !sel.Matches(tt.set) {
				t.Errorf("selector does not match its own set")
			}
			if got := SelectorFromValidatedSet(tt.set).String(); got != tt.want {
				t.Errorf("SelectorFromValidatedSet String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidatedSelectorFromSet(t *testing.T) {
	sel, err := ValidatedSelectorFromSet(Set{"b": "2", "a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sel.String(); got != "a=1,b=2" {
		t.Errorf("String() = %q", got)
	}
	_, err = ValidatedSelectorFromSet(Set{"ok": "1", "bad key": "1", "z": "bad value!"})
	if err == nil || !strings.Contains(err.Error(), `key: Invalid value: "bad key"`) {
		t.Errorf("error = %v, want the first invalid key by order", err)
	}
}
