package nodeaffinity

import (
	"skiff/pkg/api"
	"skiff/pkg/api/labels"
)

// RequiredNodeAffinity is a pod's hard constraints on nodes, parsed once: its
// spec.nodeSelector and the required terms of its node affinity. It is not
// changed after GetRequiredNodeAffinity, so it is safe for concurrent use.
type RequiredNodeAffinity struct {
	nodeSelector labels.Selector
	// hasTerms says the pod has required node affinity; then a node must
	// match one of terms (and with no valid term, no node does).
	hasTerms bool
	terms    []term
}

// GetRequiredNodeAffinity parses the pod's spec.nodeSelector and required node
// affinity.
func GetRequiredNodeAffinity(pod *api.Pod) *RequiredNodeAffinity {
	r := &RequiredNodeAffinity{nodeSelector: labels.SelectorFromSet(pod.Spec.NodeSelector)}
	if required := requiredSelector(pod); required != nil {
		r.hasTerms = true
		for _, t := range required.NodeSelectorTerms {
			if parsed, ok := parseTerm(t); ok {
				r.terms = append(r.terms, parsed)
			}
		}
	}
	return r
}

// Match reports whether the node has every label of the nodeSelector and
// matches at least one required term.
func (r *RequiredNodeAffinity) Match(node *api.Node) bool {
	if !r.nodeSelector.Matches(labels.Set(node.Labels)) {
		return false
	}
	if !r.hasTerms {
		return true
	}
	for _, t := range r.terms {
		if t.matches(node) {
			return true
		}
	}
	return false
}

// Matches reports whether the node satisfies the pod's spec.nodeSelector and
// required node affinity. To test many nodes, parse once with
// GetRequiredNodeAffinity instead.
func Matches(pod *api.Pod, node *api.Node) bool {
	return GetRequiredNodeAffinity(pod).Match(node)
}

// hasRequired reports whether the pod constrains its nodes at all.
func hasRequired(pod *api.Pod) bool {
	return len(pod.Spec.NodeSelector) > 0 || requiredSelector(pod) != nil
}

func requiredSelector(pod *api.Pod) *api.NodeSelector {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// term is a parsed NodeSelectorTerm: its matchExpressions as a label
// selector and its matchFields as tests of the node's name. All must hold.
type term struct {
	labels labels.Selector
	fields []api.NodeSelectorRequirement
}

// labelOperators translates node selector operators to label selector ones.
var labelOperators = map[string]labels.Operator{
	api.NodeSelectorOpIn:           labels.In,
	api.NodeSelectorOpNotIn:        labels.NotIn,
	api.NodeSelectorOpExists:       labels.Exists,
	api.NodeSelectorOpDoesNotExist: labels.DoesNotExist,
	api.NodeSelectorOpGt:           labels.GreaterThan,
	api.NodeSelectorOpLt:           labels.LessThan,
}

// parseTerm parses a term as Kubernetes does. It returns false for a term
// that matches no node: one with no requirements, or with an invalid one (an
// unknown operator, In without values, a Gt value that is not an integer, a
// field other than metadata.name, a field test without exactly one value).
func parseTerm(t api.NodeSelectorTerm) (term, bool) {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return term{}, false
	}
	reqs := make([]labels.Requirement, 0, len(t.MatchExpressions))
	for _, e := range t.MatchExpressions {
		op, ok := labelOperators[e.Operator]
		if !ok {
			return term{}, false
		}
		r, err := labels.NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return term{}, false
		}
		reqs = append(reqs, r)
	}
	for _, f := range t.MatchFields {
		validOp := f.Operator == api.NodeSelectorOpIn || f.Operator == api.NodeSelectorOpNotIn
		if f.Key != "metadata.name" || !validOp || len(f.Values) != 1 {
			return term{}, false
		}
	}
	return term{labels: labels.NewSelector(reqs...), fields: t.MatchFields}, true
}

func (t term) matches(node *api.Node) bool {
	if !t.labels.Matches(labels.Set(node.Labels)) {
		return false
	}
	for _, f := range t.fields {
		match := node.Name == f.Values[0]
		if f.Operator == api.NodeSelectorOpNotIn {
			match = !match
		}
		if !match {
			return false
		}
	}
	return true
}

// weightedTerm is a parsed preferred term.
type weightedTerm struct {
	term
	weight int64
}

// preferredTerms parses the pod's preferred node affinity terms, leaving out
// those with no weight and those that match no node.
func preferredTerms(pod *api.Pod) []weightedTerm {
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	var out []weightedTerm
	for _, p := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		if p.Weight == 0 {
			continue
		}
		if t, ok := parseTerm(p.Preference); ok {
			out = append(out, weightedTerm{term: t, weight: int64(p.Weight)})
		}
	}
	return out
}
