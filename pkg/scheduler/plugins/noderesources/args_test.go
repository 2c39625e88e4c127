package noderesources

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewFitArgs(t *testing.T) {
	defaults := ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{"cpu", 1}, {"memory", 1}}}
	tests := []struct {
		name string
		args string // "" is nil
		want ScoringStrategy
		// wantErr is the exact error; "?" is any error wrapping ErrInvalidArgs
		// (for decoding errors, whose text is encoding/json's).
		wantErr string
	}{
		{name: "nil", want: defaults},
		{name: "null", args: "null", want: defaults},
		{name: "empty object", args: " {} ", want: defaults},
		{name: "empty strategy", args: `{"scoringStrategy": {}}`, want: defaults},
		{
			name: "most allocated with default resources",
			args: `{"scoringStrategy": {"type": "MostAllocated"}}`,
			want: ScoringStrategy{Type: MostAllocated, Resources: defaults.Resources},
		},
		{
			name: "resources without a type are least allocated; an omitted weight is 1",
			args: `{"scoringStrategy": {"resources": [{"name": "cpu", "weight": 100}, {"name": "example.com/gpu"}]}}`,
			want: ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{"cpu", 100}, {"example.com/gpu", 1}}},
		},
		{
			name:    "unknown strategy",
			args:    `{"scoringStrategy": {"type": "RequestedToCapacityRatio"}}`,
			wantErr: `noderesources: invalid args: scoringStrategy.type "RequestedToCapacityRatio" is not supported (want LeastAllocated or MostAllocated)`,
		},
		{
			name:    "zero weight",
			args:    `{"scoringStrategy": {"resources": [{"name": "cpu", "weight": 0}]}}`,
			wantErr: `noderesources: invalid args: scoringStrategy.resources[0].weight of "cpu" is 0, want 1 to 100`,
		},
		{
			name:    "negative weight",
			args:    `{"scoringStrategy": {"resources": [{"name": "cpu"}, {"name": "memory", "weight": -1}]}}`,
			wantErr: `noderesources: invalid args: scoringStrategy.resources[1].weight of "memory" is -1, want 1 to 100`,
		},
		{
			name:    "weight above 100",
			args:    `{"scoringStrategy": {"resources": [{"name": "cpu", "weight": 101}]}}`,
			wantErr: `noderesources: invalid args: scoringStrategy.resources[0].weight of "cpu" is 101, want 1 to 100`,
		},
		{
			name:    "resource without a name",
			args:    `{"scoringStrategy": {"resources": [{"weight": 1}]}}`,
			wantErr: `noderesources: invalid args: scoringStrategy.resources[0].name is empty`,
		},
		{
			name:    "repeated resource",
			args:    `{"scoringStrategy": {"resources": [{"name": "cpu"}, {"name": "cpu"}]}}`,
			wantErr: `noderesources: invalid args: scoringStrategy.resources[1].name "cpu" is repeated`,
		},
		{name: "unknown field", args: `{"scoringStrategy": {"typ": "MostAllocated"}}`, wantErr: "?"},
		{name: "unknown field in a resource", args: `{"scoringStrategy": {"resources": [{"name": "cpu", "wieght": 2}]}}`, wantErr: "?"},
		{name: "unsupported kube-scheduler field", args: `{"ignoredResources": ["example.com/gpu"]}`, wantErr: "?"},
		{name: "weight of the wrong type", args: `{"scoringStrategy": {"resources": [{"name": "cpu", "weight": "2"}]}}`, wantErr: "?"},
		{name: "not JSON", args: `{"scoringStrategy":`, wantErr: "?"},
		{
			name:    "trailing data",
			args:    `{} {}`,
			wantErr: "noderesources: invalid args: unexpected data after the arguments",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw json.RawMessage
			if tt.args != "" {
				raw = json.RawMessage(tt.args)
			}
			p, err := NewFit(raw, nil)
			if tt.wantErr != "" {
				checkArgsErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("NewFit: %v", err)
			}
			if diff := cmp.Diff(tt.want, p.(*Fit).strategy); diff != "" {
				t.Errorf("strategy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewBalancedAllocationArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    string // "" is nil
		want    []ResourceSpec
		wantErr string // as in TestNewFitArgs
	}{
		{name: "nil", want: []ResourceSpec{{"cpu", 1}, {"memory", 1}}},
		{name: "empty object", args: `{}`, want: []ResourceSpec{{"cpu", 1}, {"memory", 1}}},
		{
			name: "three resources",
			args: `{"resources": [{"name": "cpu"}, {"name": "memory", "weight": 1}, {"name": "example.com/gpu"}]}`,
			want: []ResourceSpec{{"cpu", 1}, {"memory", 1}, {"example.com/gpu", 1}},
		},
		{
			name:    "weight other than 1",
			args:    `{"resources": [{"name": "cpu", "weight": 2}]}`,
			wantErr: `noderesources: invalid args: resources[0].weight of "cpu" is 2, want 1`,
		},
		{
			name:    "repeated resource",
			args:    `{"resources": [{"name": "memory"}, {"name": "memory"}]}`,
			wantErr: `noderesources: invalid args: resources[1].name "memory" is repeated`,
		},
		{name: "fit args", args: `{"scoringStrategy": {"type": "MostAllocated"}}`, wantErr: "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw json.RawMessage
			if tt.args != "" {
				raw = json.RawMessage(tt.args)
			}
			p, err := NewBalancedAllocation(raw, nil)
			if tt.wantErr != "" {
				checkArgsErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("NewBalancedAllocation: %v", err)
			}
			if diff := cmp.Diff(tt.want, p.(*BalancedAllocation).resources); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

// checkArgsErr checks that err wraps ErrInvalidArgs and, unless want is "?",
// reads exactly want.
func checkArgsErr(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrInvalidArgs) {
		t.Fatalf("error %v, want one wrapping ErrInvalidArgs", err)
	}
	t.Log(err)
	if want == "?" {
		return
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}
