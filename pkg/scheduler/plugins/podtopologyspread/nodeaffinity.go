package podtopologyspread

import (
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
)

// nodeAffinity is a pod's hard node constraints, compiled once per cycle:
// spec.nodeSelector and the required terms of spec.affinity.nodeAffinity. It
// decides which nodes count towards a spread constraint's domains (a node the
// pod could never run on should not hold a domain at its minimum). The
// NodeAffinity plugin filters by the same rules; this is a private copy so the
// two plugins stay independent.
type nodeAffinity struct {
	nodeSelector labels.Selector
	// terms are ORed; nil means the pod has no required node affinity. A term
	// that does not compile (a bad operator or value) matches no node.
	terms []*nodeSelectorTerm
}

// nodeSelectorTerm is one NodeSelectorTerm: every label requirement and every
// field requirement must hold.
type nodeSelectorTerm struct {
	labels labels.Selector
	fields []api.NodeSelectorRequirement
}

func newNodeAffinity(pod *api.Pod) nodeAffinity {
	aff := nodeAffinity{nodeSelector: labels.SelectorFromSet(pod.Spec.NodeSelector)}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return aff
	}
	// A required node selector with no terms matches no node.
	aff.terms = []*nodeSelectorTerm{}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		aff.terms = append(aff.terms, compileTerm(t))
	}
	return aff
}

// compileTerm returns nil for a term that matches nothing: an empty one, or
// one with an invalid requirement.
func compileTerm(t api.NodeSelectorTerm) *nodeSelectorTerm {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return nil
	}
	var reqs []labels.Requirement
	for _, e := range t.MatchExpressions {
		op, ok := nodeSelectorOps[e.Operator]
		if !ok {
			return nil
		}
		r, err := labels.NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return nil
		}
		reqs = append(reqs, r)
	}
	return &nodeSelectorTerm{labels: labels.NewSelector(reqs...), fields: t.MatchFields}
}

// nodeSelectorOps maps node selector operators to label selector ones; Gt and
// Lt compare the label's value as an integer.
var nodeSelectorOps = map[string]labels.Operator{
	api.NodeSelectorOpIn:           labels.In,
	api.NodeSelectorOpNotIn:        labels.NotIn,
	api.NodeSelectorOpExists:       labels.Exists,
	api.NodeSelectorOpDoesNotExist: labels.DoesNotExist,
	api.NodeSelectorOpGt:           labels.GreaterThan,
	api.NodeSelectorOpLt:           labels.LessThan,
}

// matches reports whether the pod may run on node by its nodeSelector and
// required node affinity.
func (a nodeAffinity) matches(node *api.Node) bool {
	if !a.nodeSelector.Matches(labels.Set(node.Labels)) {
		return false
	}
	if a.terms == nil {
		return true
	}
	for _, t := range a.terms {
		if t != nil && t.matches(node) {
			return true
		}
	}
	return false
}

func (t *nodeSelectorTerm) matches(node *api.Node) bool {
	if !t.labels.Matches(labels.Set(node.Labels)) {
		return false
	}
	for _, f := range t.fields {
		if !fieldMatches(f, node) {
			return false
		}
	}
	return true
}

// fieldMatches checks a matchFields requirement; as in Kubernetes, the only
// field is metadata.name, with In or NotIn and exactly one value.
func fieldMatches(f api.NodeSelectorRequirement, node *api.Node) bool {
	if f.Key != "metadata.name" || len(f.Values) != 1 {
		return false
	}
	switch f.Operator {
	case api.NodeSelectorOpIn:
		return f.Values[0] == node.Name
	case api.NodeSelectorOpNotIn:
		return f.Values[0] != node.Name
	}
	return false
}

// toleratesNoScheduleTaints reports whether the tolerations tolerate every
// NoSchedule and NoExecute taint (PreferNoSchedule does not keep pods away).
func toleratesNoScheduleTaints(tolerations []api.Toleration, taints []api.Taint) bool {
	for _, taint := range taints {
		if taint.Effect != api.TaintEffectNoSchedule && taint.Effect != api.TaintEffectNoExecute {
			continue
		}
		if !slices.ContainsFunc(tolerations, func(t api.Toleration) bool { return tolerates(t, taint) }) {
			return false
		}
	}
	return true
}

// tolerates reports whether one toleration tolerates a taint: an empty key
// with Exists tolerates every taint, an empty effect every effect.
func tolerates(t api.Toleration, taint api.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case api.TolerationOpExists:
		return true
	case "", api.TolerationOpEqual:
		return t.Value == taint.Value
	}
	return false
}
