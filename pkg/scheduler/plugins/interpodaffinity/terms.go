package interpodaffinity

import (
	"errors"
	"fmt"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
)

// term is a PodAffinityTerm ready to match pods: its label selector compiled
// (with matchLabelKeys and mismatchLabelKeys merged in) and its namespaces
// worked out from the pod that owns it.
type term struct {
	topologyKey string
	selector    labels.Selector
	// namespaces the matched pods must be in, unless allNamespaces.
	namespaces    []string
	allNamespaces bool
	// weight is a preferred term's weight; 0 for required terms.
	weight int32
}

// matches reports whether pod is one the term selects.
func (t term) matches(pod *api.Pod) bool {
	if !t.allNamespaces && !slices.Contains(t.namespaces, pod.Namespace) {
		return false
	}
	return t.selector.Matches(labels.Set(pod.Labels))
}

// matchesAll reports whether pod matches every term, and there is at least one.
func matchesAll(terms []term, pod *api.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for _, t := range terms {
		if !t.matches(pod) {
			return false
		}
	}
	return true
}

// podTerms are one pod's affinity and anti-affinity terms.
type podTerms struct {
	affinity, antiAffinity                   []term // required
	preferredAffinity, preferredAntiAffinity []term
}

// termsOf compiles a pod's terms. A term that does not compile is left out
// and reported in the error; callers judging existing pods may ignore it
// (a broken term matches nothing), the incoming pod is rejected.
func termsOf(pod *api.Pod) (podTerms, error) {
	var out podTerms
	a := pod.Spec.Affinity
	if a == nil {
		return out, nil
	}
	var errs []error
	add := func(dst *[]term, t api.PodAffinityTerm, weight int32) {
		c, err := compile(pod, t, weight)
		if err != nil {
			errs = append(errs, err)
			return
		}
		*dst = append(*dst, c)
	}
	if pa := a.PodAffinity; pa != nil {
		for _, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			add(&out.affinity, t, 0)
		}
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			add(&out.preferredAffinity, w.PodAffinityTerm, w.Weight)
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		for _, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			add(&out.antiAffinity, t, 0)
		}
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			add(&out.preferredAntiAffinity, w.PodAffinityTerm, w.Weight)
		}
	}
	return out, errors.Join(errs...)
}

// hasPodAffinity reports whether the pod has any pod (anti-)affinity terms.
func hasPodAffinity(pod *api.Pod) bool {
	a := pod.Spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}

// compile readies one term of owner's.
func compile(owner *api.Pod, t api.PodAffinityTerm, weight int32) (term, error) {
	sel, err := termSelector(owner, t)
	if err != nil {
		return term{}, fmt.Errorf("pod affinity term on %q: %w", t.TopologyKey, err)
	}
	out := term{topologyKey: t.TopologyKey, selector: sel, weight: weight}
	if len(t.Namespaces) == 0 && t.NamespaceSelector == nil {
		out.namespaces = []string{owner.Namespace}
	} else {
		out.namespaces = t.Namespaces
		out.allNamespaces = t.NamespaceSelector != nil &&
			len(t.NamespaceSelector.MatchLabels) == 0 && len(t.NamespaceSelector.MatchExpressions) == 0
	}
	return out, nil
}

// termSelector compiles the term's labelSelector and adds key=(owner's value)
// for each matchLabelKeys key, and key!=(owner's value) for each
// mismatchLabelKeys key, the owner has. A missing labelSelector selects nothing.
func termSelector(owner *api.Pod, t api.PodAffinityTerm) (labels.Selector, error) {
	sel, err := api.LabelSelectorAsSelector(t.LabelSelector)
	if err != nil || t.LabelSelector == nil || len(t.MatchLabelKeys)+len(t.MismatchLabelKeys) == 0 {
		return sel, err
	}
	matching, err := ownerRequirements(owner, t.MatchLabelKeys, labels.In)
	if err != nil {
		return nil, err
	}
	mismatching, err := ownerRequirements(owner, t.MismatchLabelKeys, labels.NotIn)
	if err != nil {
		return nil, err
	}
	return labels.NewSelector(slices.Concat(sel.Requirements(), matching, mismatching)...), nil
}

// ownerRequirements returns "key op (owner's value)" for each key the owner
// has a label for.
func ownerRequirements(owner *api.Pod, keys []string, op labels.Operator) ([]labels.Requirement, error) {
	var out []labels.Requirement
	for _, key := range keys {
		value, ok := owner.Labels[key]
		if !ok {
			continue
		}
		r, err := labels.NewRequirement(key, op, []string{value})
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// topologyPair is one topology domain: a node label key and value.
type topologyPair struct {
	key, value string
}

// topologyCounts counts matches per topology domain.
type topologyCounts map[topologyPair]int

// add counts one match in node's domain of key; nodes without the key are in
// no domain of it.
func (m topologyCounts) add(node *api.Node, key string) {
	if value, ok := node.Labels[key]; ok {
		m[topologyPair{key, value}]++
	}
}
