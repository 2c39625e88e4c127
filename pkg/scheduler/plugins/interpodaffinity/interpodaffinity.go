// Package interpodaffinity implements the InterPodAffinity scheduler plugin:
// pod affinity and anti-affinity (spec.affinity.podAffinity and
// podAntiAffinity), as kube-scheduler does.
//
// A term names a topology key (a node label such as
// topology.kubernetes.io/zone or kubernetes.io/hostname) and selects pods by
// label in some namespaces. A topology domain is one value of that key: the
// nodes labelled zone=a form one domain. Then:
//
//   - a required affinity term holds on a node whose domain runs a matching
//     pod ("run in the same zone as the cache");
//   - a required anti-affinity term holds on a node whose domain runs no
//     matching pod ("never two replicas on one host");
//   - anti-affinity is symmetric: a node is also ruled out when an existing
//     pod's required anti-affinity term matches the incoming pod and the node
//     is in that existing pod's domain.
//
// So that a group of pods with affinity to each other can start, the first
// of them may go to any node with the terms' topology keys: when no pod
// anywhere matches the pod's affinity terms but the pod matches them itself.
//
// PreFilter finds the domains that matter, once per cycle; Filter only looks
// the node's labels up in them. Preferred terms score nodes: each matching pod
// in the node's domain adds (affinity) or subtracts (anti-affinity) the term's
// weight, and existing pods' preferred terms (and required affinity terms, with
// HardPodAffinityWeight) count the same way towards the incoming pod.
//
// A term's namespaces are its namespaces list, or the pod's own namespace
// when the list and the namespaceSelector are both empty; an empty
// namespaceSelector ({}) selects every namespace. A non-empty
// namespaceSelector would need the namespaces' labels, which the scheduler
// does not have: it selects no namespace (the listed namespaces still count).
package interpodaffinity

import (
	"bytes"
	"encoding/json"
	"fmt"

	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "InterPodAffinity"

// Reasons Filter gives, in kube-scheduler's words.
const (
	// ErrReasonAffinityRulesNotMatch: no pod the incoming pod's required
	// affinity asks for runs in the node's domain.
	ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules"
	// ErrReasonAntiAffinityRulesNotMatch: a pod the incoming pod's required
	// anti-affinity rules out runs in the node's domain.
	ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules"
	// ErrReasonExistingAntiAffinityRulesNotMatch: an existing pod's required
	// anti-affinity rules the incoming pod out of the node's domain.
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// DefaultHardPodAffinityWeight is Args.HardPodAffinityWeight when unset.
const DefaultHardPodAffinityWeight = 1

// Args are the plugin's arguments in the scheduler config, for example
// {"hardPodAffinityWeight": 5}.
type Args struct {
	// HardPodAffinityWeight is the score an existing pod's required affinity
	// term gives the nodes in its domain when the incoming pod matches it, so
	// pods that others must run near are placed near them. 0 to 100.
	HardPodAffinityWeight int32 `json:"hardPodAffinityWeight"`
}

// InterPodAffinity is the plugin. It keeps no state between cycles.
type InterPodAffinity struct {
	args Args
}

var (
	_ framework.PreFilterPlugin = (*InterPodAffinity)(nil)
	_ framework.FilterPlugin    = (*InterPodAffinity)(nil)
	_ framework.PreScorePlugin  = (*InterPodAffinity)(nil)
	_ framework.ScorePlugin     = (*InterPodAffinity)(nil)
	_ framework.ScoreNormalizer = (*InterPodAffinity)(nil)
)

// New builds the plugin from Args in JSON (empty or null for the defaults).
func New(raw json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	args := Args{HardPodAffinityWeight: DefaultHardPodAffinityWeight}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&args); err != nil {
			return nil, fmt.Errorf("%s: args: %w", Name, err)
		}
	}
	if w := args.HardPodAffinityWeight; w < 0 || w > 100 {
		return nil, fmt.Errorf("%s: args: hardPodAffinityWeight %d is not in [0, 100]", Name, w)
	}
	return &InterPodAffinity{args: args}, nil
}

// Name returns Name.
func (*InterPodAffinity) Name() string { return Name }
