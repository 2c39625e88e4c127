package noderesources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"skiff/pkg/api"
)

// ErrInvalidArgs is wrapped by every error NewFit and NewBalancedAllocation
// return for arguments they cannot use.
var ErrInvalidArgs = errors.New("noderesources: invalid args")

// ScoringStrategyType names how NodeResourcesFit scores a node.
type ScoringStrategyType string

const (
	// LeastAllocated favours the node with the most room left once the pod is
	// on it, which spreads pods out. It is the default.
	LeastAllocated ScoringStrategyType = "LeastAllocated"
	// MostAllocated favours the node with the least room left once the pod is
	// on it, which packs pods onto few nodes.
	MostAllocated ScoringStrategyType = "MostAllocated"
)

// maxWeight is the largest weight of a resource in a scoring strategy, as in
// kube-scheduler; it also keeps score·weight sums far from overflowing.
const maxWeight int64 = 100

// ResourceSpec is one resource a score looks at and its weight in the weighted
// mean. In JSON an omitted weight is 1, as kube-scheduler defaults it.
type ResourceSpec struct {
	Name   string `json:"name"`
	Weight int64  `json:"weight"`
}

// UnmarshalJSON reads a ResourceSpec, defaulting an omitted weight to 1 (an
// explicit 0 stays 0, and is then rejected).
func (r *ResourceSpec) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name   string `json:"name"`
		Weight *int64 `json:"weight"`
	}
	if err := decodeStrict(b, &raw); err != nil {
		return err
	}
	r.Name, r.Weight = raw.Name, 1
	if raw.Weight != nil {
		r.Weight = *raw.Weight
	}
	return nil
}

// ScoringStrategy is how NodeResourcesFit scores: a type and the resources it
// weighs. An empty type is LeastAllocated; no resources is cpu and memory,
// each of weight 1.
type ScoringStrategy struct {
	Type      ScoringStrategyType `json:"type,omitempty"`
	Resources []ResourceSpec      `json:"resources,omitempty"`
}

// FitArgs are NodeResourcesFit's arguments in the scheduler config:
//
//	{"scoringStrategy": {"type": "MostAllocated",
//	  "resources": [{"name": "cpu", "weight": 2}, {"name": "memory", "weight": 1}]}}
type FitArgs struct {
	ScoringStrategy *ScoringStrategy `json:"scoringStrategy,omitempty"`
}

// BalancedAllocationArgs are NodeResourcesBalancedAllocation's arguments: the
// resources whose use it balances (default cpu and memory). Weights must be 1.
type BalancedAllocationArgs struct {
	Resources []ResourceSpec `json:"resources,omitempty"`
}

// defaultResources is what both plugins score on when the args name nothing.
func defaultResources() []ResourceSpec {
	return []ResourceSpec{{Name: api.ResourceCPU, Weight: 1}, {Name: api.ResourceMemory, Weight: 1}}
}

// parseFitArgs decodes, defaults and validates NodeResourcesFit's args.
func parseFitArgs(raw json.RawMessage) (ScoringStrategy, error) {
	var args FitArgs
	if err := decodeArgs(raw, &args); err != nil {
		return ScoringStrategy{}, err
	}
	var s ScoringStrategy
	if args.ScoringStrategy != nil {
		s = *args.ScoringStrategy
	}
	switch s.Type {
	case "":
		s.Type = LeastAllocated
	case LeastAllocated, MostAllocated:
	default:
		return ScoringStrategy{}, fmt.Errorf("%w: scoringStrategy.type %q is not supported (want %s or %s)",
			ErrInvalidArgs, s.Type, LeastAllocated, MostAllocated)
	}
	if len(s.Resources) == 0 {
		s.Resources = defaultResources()
	}
	if err := validateResources("scoringStrategy.resources", s.Resources, 1, maxWeight); err != nil {
		return ScoringStrategy{}, err
	}
	return s, nil
}

// parseBalancedAllocationArgs decodes, defaults and validates
// NodeResourcesBalancedAllocation's args into the resources to balance.
func parseBalancedAllocationArgs(raw json.RawMessage) ([]ResourceSpec, error) {
	var args BalancedAllocationArgs
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if len(args.Resources) == 0 {
		return defaultResources(), nil
	}
	if err := validateResources("resources", args.Resources, 1, 1); err != nil {
		return nil, err
	}
	return args.Resources, nil
}

// validateResources checks that every resource has a name, no name repeats,
// and every weight is in [minW, maxW].
func validateResources(field string, rs []ResourceSpec, minW, maxW int64) error {
	want := fmt.Sprintf("%d to %d", minW, maxW)
	if minW == maxW {
		want = fmt.Sprint(minW)
	}
	seen := make(map[string]bool, len(rs))
	for i, r := range rs {
		switch {
		case r.Name == "":
			return fmt.Errorf("%w: %s[%d].name is empty", ErrInvalidArgs, field, i)
		case seen[r.Name]:
			return fmt.Errorf("%w: %s[%d].name %q is repeated", ErrInvalidArgs, field, i, r.Name)
		case r.Weight < minW || r.Weight > maxW:
			return fmt.Errorf("%w: %s[%d].weight of %q is %d, want %s", ErrInvalidArgs, field, i, r.Name, r.Weight, want)
		}
		seen[r.Name] = true
	}
	return nil
}

// decodeArgs decodes raw into v; nil, empty and JSON null leave v as it is.
func decodeArgs(raw json.RawMessage, v any) error {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if err := decodeStrict(b, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidArgs, err)
	}
	return nil
}

// decodeStrict decodes one JSON value, refusing unknown fields (a misspelt
// option must not be silently ignored) and trailing data.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("unexpected data after the arguments")
	}
	return nil
}
