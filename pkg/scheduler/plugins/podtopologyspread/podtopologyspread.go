// Package podtopologyspread implements the PodTopologySpread scheduler plugin:
// it spreads pods that match a label selector evenly across topology domains
// (zones, hosts, racks: the values of a node label), following the pod's
// spec.topologySpreadConstraints as kube-scheduler does.
//
// A constraint with whenUnsatisfiable: DoNotSchedule is a filter. PreFilter
// counts the matching pods in every domain of the constraint's topologyKey;
// Filter rejects a node when putting the pod there would make its domain hold
// more than maxSkew pods above the emptiest domain:
//
//	zone a: 2 pods   zone b: 1 pod   zone c: 1 pod     (maxSkew 1, minimum 1)
//	node in a → 2+1−1 = 2 > 1: rejected
//	node in b → 1+1−1 = 1:     fits
//
// A constraint with whenUnsatisfiable: ScheduleAnyway is a preference: Score
// favours nodes whose domains hold fewer matching pods.
//
// Only nodes the pod could run on count towards the domains: nodes with every
// constraint's topologyKey label and, by default (nodeAffinityPolicy: Honor),
// matching the pod's nodeSelector and required node affinity; with
// nodeTaintsPolicy: Honor, also nodes whose NoSchedule/NoExecute taints the pod
// tolerates. Pods being deleted, and pods in other namespaces, are not counted.
package podtopologyspread

import (
	"bytes"
	"encoding/json"
	"fmt"

	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "PodTopologySpread"

// Reasons Filter gives, in kube-scheduler's words.
const (
	// ErrReasonConstraintsNotMatch: placing the pod on the node would exceed a
	// constraint's maxSkew.
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	// ErrReasonNodeLabelNotMatch: the node lacks a constraint's topologyKey label.
	ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)"
)

// PodTopologySpread is the plugin. It keeps no state between cycles.
type PodTopologySpread struct{}

var (
	_ framework.PreFilterPlugin = (*PodTopologySpread)(nil)
	_ framework.FilterPlugin    = (*PodTopologySpread)(nil)
	_ framework.PreScorePlugin  = (*PodTopologySpread)(nil)
	_ framework.ScorePlugin     = (*PodTopologySpread)(nil)
	_ framework.ScoreNormalizer = (*PodTopologySpread)(nil)
)

// New builds the plugin. It takes no arguments: args must be empty, null or {}.
func New(args json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	if len(bytes.TrimSpace(args)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(args))
		dec.DisallowUnknownFields()
		var none struct{}
		if err := dec.Decode(&none); err != nil {
			return nil, fmt.Errorf("%s: args: %w", Name, err)
		}
	}
	return &PodTopologySpread{}, nil
}

// Name returns Name.
func (*PodTopologySpread) Name() string { return Name }
