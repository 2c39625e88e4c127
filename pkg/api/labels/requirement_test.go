package labels

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewRequirement(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		op      Operator
		vals    []string
		wantErr string // fragment; "" means valid
	}{
		{name: "equals", key: "app", op: Equals, vals: []string{"web"}},
		{name: "double equals", key: "app", op: DoubleEquals, vals: []string{"web"}},
		{name: "not equals empty value", key: "app", op: NotEquals, vals: []string{""}},
		{name: "in", key: "example.com/tier", op: In, vals: []string{"a", "b"}},
		{name: "notin", key: "tier", op: NotIn, vals: []string{"a"}},
		{name: "exists", key: "tier", op: Exists},
		{name: "does not exist", key: "tier", op: DoesNotExist, vals: []string{}},
		{name: "gt", key: "n", op: GreaterThan, vals: []string{"5"}},
		{name: "lt", key: "n", op: LessThan, vals: []string{"05"}},

		{name: "bad key", key: "a b", op: Exists, wantErr: `key: Invalid value: "a b": name part must consist of`},
		{name: "empty key", key: "", op: Exists, wantErr: "name part must be non-empty"},
		{name: "in without values", key: "a", op: In, wantErr: "for 'in', 'notin' operators, values set can't be empty"},
		{name: "notin without values", key: "a", op: NotIn, vals: []string{}, wantErr: "values set can't be empty"},
		{name: "equals two values", key: "a", op: Equals, vals: []string{"x", "y"}, wantErr: "exact-match compatibility requires one single value"},
		{name: "not equals no value", key: "a", op: NotEquals, wantErr: "exact-match compatibility requires one single value"},
		{name: "exists with value", key: "a", op: Exists, vals: []string{"x"}, wantErr: "values set must be empty for exists and does not exist"},
		{name: "gt two values", key: "a", op: GreaterThan, vals: []string{"1", "2"}, wantErr: "for 'Gt', 'Lt' operators, exactly one value is required"},
		{name: "lt not integer", key: "a", op: LessThan, vals: []string{"x"}, wantErr: `values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`},
		{name: "gt negative is not a label value", key: "a", op: GreaterThan, vals: []string{"-1"}, wantErr: `values[0]: Invalid value: "-1": a valid label must be an empty string`},
		{name: "bad value", key: "a", op: In, vals: []string{"ok", "no!"}, wantErr: `values[1]: Invalid value: "no!"`},
		{name: "unknown operator", key: "a", op: "~", wantErr: `operator: Unsupported value: "~": supported values: "in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt"`},
		{name: "several problems", key: "-", op: In, wantErr: "[key: Invalid value: \"-\": name part must consist of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequirement(tt.key, tt.op, tt.vals)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewRequirement() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewRequirement() error = %v", err)
			}
			want := Requirement{Key: tt.key, Operator: tt.op, Values: tt.vals}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("NewRequirement() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRequirementCopiesValues(t *testing.T) {
	vals := []string{"a"}
	r, err := NewRequirement("k", In, vals)
	if err != nil {
		t.Fatal(err)
	}
	vals[0] = "changed"
	if r.Values[0] != "a" {
		t.Errorf("requirement shares the caller's slice: Values = %v", r.Values)
	}
}

func TestRequirementMatches(t *testing.T) {
	labels := Set{"app": "web", "n": "10", "empty": "", "word": "ten"}
	tests := []struct {
		name string
		req  Requirement
		want bool
	}{
		{"equals match", Requirement{"app", Equals, []string{"web"}}, true},
		{"equals other value", Requirement{"app", Equals, []string{"db"}}, false},
		{"equals absent", Requirement{"tier", Equals, []string{"web"}}, false},
		{"equals empty value present", Requirement{"empty", Equals, []string{""}}, true},
		{"equals empty value absent", Requirement{"tier", Equals, []string{""}}, false},
		{"double equals", Requirement{"app", DoubleEquals, []string{"web"}}, true},
		{"not equals other value", Requirement{"app", NotEquals, []string{"db"}}, true},
		{"not equals same value", Requirement{"app", NotEquals, []string{"web"}}, false},
		{"not equals absent", Requirement{"tier", NotEquals, []string{"web"}}, true},
		{"in match", Requirement{"app", In, []string{"db", "web"}}, true},
		{"in no match", Requirement{"app", In, []string{"db"}}, false},
		{"in absent", Requirement{"tier", In, []string{"web"}}, false},
		{"notin match", Requirement{"app", NotIn, []string{"db"}}, true},
		{"notin no match", Requirement{"app", NotIn, []string{"db", "web"}}, false},
		{"notin absent", Requirement{"tier", NotIn, []string{"web"}}, true},
		{"exists", Requirement{"empty", Exists, nil}, true},
		{"exists absent", Requirement{"tier", Exists, nil}, false},
		{"does not exist", Requirement{"tier", DoesNotExist, nil}, true},
		{"does not exist present", Requirement{"app", DoesNotExist, nil}, false},
		{"gt true", Requirement{"n", GreaterThan, []string{"9"}}, true},
		{"gt equal", Requirement{"n", GreaterThan, []string{"10"}}, false},
		{"lt true", Requirement{"n", LessThan, []string{"11"}}, true},
		{"lt false", Requirement{"n", LessThan, []string{"3"}}, false},
		{"gt label not integer", Requirement{"word", GreaterThan, []string{"1"}}, false},
		{"gt absent", Requirement{"tier", GreaterThan, []string{"1"}}, false},
		{"gt value not integer", Requirement{"n", GreaterThan, []string{"x"}}, false},
		{"gt without values", Requirement{"n", GreaterThan, nil}, false},
		{"unknown operator", Requirement{"app", "~", []string{"web"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.req.Matches(labels); got != tt.want {
				t.Errorf("%v.Matches(%v) = %v, want %v", tt.req, labels, got, tt.want)
			}
		})
	}
}

func TestRequirementString(t *testing.T) {
	tests := []struct {
		name string
		req  Requirement
		want string
	}{
		{"equals", Requirement{"a", Equals, []string{"b"}}, "a=b"},
		{"double equals", Requirement{"a", DoubleEquals, []string{"b"}}, "a==b"},
		{"not equals", Requirement{"a", NotEquals, []string{""}}, "a!="},
		{"in sorts values", Requirement{"a", In, []string{"c", "b"}}, "a in (b,c)"},
		{"notin", Requirement{"a", NotIn, []string{"b"}}, "a notin (b)"},
		{"in empty value", Requirement{"a", In, []string{""}}, "a in ()"},
		{"exists", Requirement{"a", Exists, nil}, "a"},
		{"does not exist", Requirement{"a", DoesNotExist, nil}, "!a"},
		{"gt", Requirement{"a", GreaterThan, []string{"5"}}, "a>5"},
		{"lt", Requirement{"a", LessThan, []string{"5"}}, "a<5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.req.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
