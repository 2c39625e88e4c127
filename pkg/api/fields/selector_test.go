package fields

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectorMatches(t *testing.T) {
	fs := Set{"metadata.name": "web", "spec.nodeName": "", "status.phase": "Running"}
	tests := []struct {
		name string
		sel  Selector
		want bool
	}{
		{"everything", Everything(), true},
		{"equal", OneTermEqualSelector("metadata.name", "web"), true},
		{"equal other value", OneTermEqualSelector("metadata.name", "db"), false},
		{"equal empty value", OneTermEqualSelector("spec.nodeName", ""), true},
		{"absent field is empty", OneTermEqualSelector("spec.missing", ""), true},
		{"not equal", notHasTerm{"status.phase", "Pending"}, true},
		{"not equal same value", notHasTerm{"status.phase", "Running"}, false},
		{"and all match", AndSelectors(OneTermEqualSelector("metadata.name", "web"), notHasTerm{"spec.nodeName", "n1"}), true},
		{"and one fails", AndSelectors(OneTermEqualSelector("metadata.name", "web"), OneTermEqualSelector("spec.nodeName", "n1")), false},
		{"from set", SelectorFromSet(Set{"metadata.name": "web", "status.phase": "Running"}), true},
		{"from set fails", SelectorFromSet(Set{"metadata.name": "web", "status.phase": "Pending"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sel.Matches(fs); got != tt.want {
				t.Errorf("%q.Matches(%v) = %v, want %v", tt.sel, fs, got, tt.want)
			}
		})
	}
}

func TestSelectorAccessors(t *testing.T) {
	tests := []struct {
		name       string
		sel        Selector
		wantEmpty  bool
		wantString string
		wantReqs   []Requirement
	}{
		{name: "everything", sel: Everything(), wantEmpty: true},
		{name: "and of nothing", sel: AndSelectors(), wantEmpty: true},
		{name: "and of everything", sel: AndSelectors(Everything(), Everything()), wantEmpty: true},
		{name: "empty set", sel: SelectorFromSet(nil), wantEmpty: true},
		{
			name: "one term escapes", sel: OneTermEqualSelector("a", "x,y"),
			wantString: `a=x\,y`, wantReqs: []Requirement{{Field: "a", Operator: Equals, Value: "x,y"}},
		},
		{
			name: "and skips empty parts", sel: AndSelectors(Everything(), OneTermEqualSelector("a", "1"), notHasTerm{"b", ""}),
			wantString: "a=1,b!=",
			wantReqs:   []Requirement{{Field: "a", Operator: Equals, Value: "1"}, {Field: "b", Operator: NotEquals, Value: ""}},
		},
		{
			name: "set sorted by field", sel: SelectorFromSet(Set{"b": "2", "a": "1"}),
			wantString: "a=1,b=2",
			wantReqs:   []Requirement{{Field: "a", Operator: Equals, Value: "1"}, {Field: "b", Operator: Equals, Value: "2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sel.Empty(); got != tt.wantEmpty {
				t.Errorf("Empty() = %v, want %v", got, tt.wantEmpty)
			}
			if got := tt.sel.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if diff := cmp.Diff(tt.wantReqs, tt.sel.Requirements()); diff != "" {
				t.Errorf("Requirements() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequiresExactMatch(t *testing.T) {
	sel, err := ParseSelector("spec.nodeName=n1,metadata.name!=web,status.phase==Running")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field     string
		wantValue string
		wantFound bool
	}{
		{"spec.nodeName", "n1", true},
		{"status.phase", "Running", true},
		{"metadata.name", "", false},
		{"metadata.namespace", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			v, found := sel.RequiresExactMatch(tt.field)
			if v != tt.wantValue || found != tt.wantFound {
				t.Errorf("RequiresExactMatch(%q) = %q, %v, want %q, %v", tt.field, v, found, tt.wantValue, tt.wantFound)
			}
		})
	}
	if _, found := Everything().RequiresExactMatch("a"); found {
		t.Errorf("Everything().RequiresExactMatch found a value")
	}
}
