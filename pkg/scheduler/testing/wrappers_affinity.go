package testing

import "skiff/pkg/api"

// Builders for label selectors, topology spread constraints and pod
// (anti-)affinity terms, used by the PodTopologySpread and InterPodAffinity
// tests:
//
//	sel := st.MakeLabelSelector().Label("app", "web").Obj()
//	st.MakePod().Name("p").SpreadConstraint(1, "zone", api.DoNotSchedule, sel).Obj()
//	st.MakePod().Name("p").PodAntiAffinity("kubernetes.io/hostname", sel).Obj()

// LabelSelectorWrapper builds a LabelSelector.
type LabelSelectorWrapper struct{ api.LabelSelector }

// MakeLabelSelector starts an empty selector (which matches everything).
func MakeLabelSelector() *LabelSelectorWrapper { return &LabelSelectorWrapper{} }

// Obj returns the selector.
func (s *LabelSelectorWrapper) Obj() *api.LabelSelector { return &s.LabelSelector }

// Label requires key=value (matchLabels).
func (s *LabelSelectorWrapper) Label(key, value string) *LabelSelectorWrapper {
	if s.MatchLabels == nil {
		s.MatchLabels = map[string]string{}
	}
	s.MatchLabels[key] = value
	return s
}

// In requires the key's value to be one of values.
func (s *LabelSelectorWrapper) In(key string, values ...string) *LabelSelectorWrapper {
	return s.expr(key, api.LabelSelectorOpIn, values)
}

// NotIn requires the key to be absent or its value to be none of values.
func (s *LabelSelectorWrapper) NotIn(key string, values ...string) *LabelSelectorWrapper {
	return s.expr(key, api.LabelSelectorOpNotIn, values)
}

// Exists requires the key.
func (s *LabelSelectorWrapper) Exists(key string) *LabelSelectorWrapper {
	return s.expr(key, api.LabelSelectorOpExists, nil)
}

// NotExist requires the key to be absent.
func (s *LabelSelectorWrapper) NotExist(key string) *LabelSelectorWrapper {
	return s.expr(key, api.LabelSelectorOpDoesNotExist, nil)
}

func (s *LabelSelectorWrapper) expr(key, op string, values []string) *LabelSelectorWrapper {
	s.MatchExpressions = append(s.MatchExpressions, api.LabelSelectorRequirement{Key: key, Operator: op, Values: values})
	return s
}

// SpreadConstraint adds a topology spread constraint; whenUnsatisfiable is
// api.DoNotSchedule or api.ScheduleAnyway.
func (p *PodWrapper) SpreadConstraint(maxSkew int32, topologyKey, whenUnsatisfiable string, sel *api.LabelSelector) *PodWrapper {
	return p.TopologySpreadConstraint(api.TopologySpreadConstraint{
		MaxSkew:           maxSkew,
		TopologyKey:       topologyKey,
		WhenUnsatisfiable: whenUnsatisfiable,
		LabelSelector:     sel,
	})
}

// TopologySpreadConstraint adds a constraint given in full (minDomains,
// policies, matchLabelKeys).
func (p *PodWrapper) TopologySpreadConstraint(c api.TopologySpreadConstraint) *PodWrapper {
	p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, c)
	return p
}

// PodAffinity adds a required pod affinity term: the pod must run in a
// topologyKey domain with a pod matching sel in namespaces (the pod's own
// namespace when none are given).
func (p *PodWrapper) PodAffinity(topologyKey string, sel *api.LabelSelector, namespaces ...string) *PodWrapper {
	return p.PodAffinityTerm(api.PodAffinityTerm{TopologyKey: topologyKey, LabelSelector: sel, Namespaces: namespaces})
}

// PodAntiAffinity adds a required pod anti-affinity term: the pod must not run
// in a topologyKey domain with a pod matching sel in namespaces.
func (p *PodWrapper) PodAntiAffinity(topologyKey string, sel *api.LabelSelector, namespaces ...string) *PodWrapper {
	return p.PodAntiAffinityTerm(api.PodAffinityTerm{TopologyKey: topologyKey, LabelSelector: sel, Namespaces: namespaces})
}

// PodAffinityTerm adds a required pod affinity term given in full.
func (p *PodWrapper) PodAffinityTerm(t api.PodAffinityTerm) *PodWrapper {
	a := p.podAffinity()
	a.RequiredDuringSchedulingIgnoredDuringExecution = append(a.RequiredDuringSchedulingIgnoredDuringExecution, t)
	return p
}

// PodAntiAffinityTerm adds a required pod anti-affinity term given in full.
func (p *PodWrapper) PodAntiAffinityTerm(t api.PodAffinityTerm) *PodWrapper {
	a := p.podAntiAffinity()
	a.RequiredDuringSchedulingIgnoredDuringExecution = append(a.RequiredDuringSchedulingIgnoredDuringExecution, t)
	return p
}

// PreferredPodAffinity adds a preferred pod affinity term with a weight (1-100).
func (p *PodWrapper) PreferredPodAffinity(weight int32, topologyKey string, sel *api.LabelSelector) *PodWrapper {
	a := p.podAffinity()
	a.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PreferredDuringSchedulingIgnoredDuringExecution,
		api.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: api.PodAffinityTerm{TopologyKey: topologyKey, LabelSelector: sel}})
	return p
}

// PreferredPodAntiAffinity adds a preferred pod anti-affinity term with a weight (1-100).
func (p *PodWrapper) PreferredPodAntiAffinity(weight int32, topologyKey string, sel *api.LabelSelector) *PodWrapper {
	a := p.podAntiAffinity()
	a.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PreferredDuringSchedulingIgnoredDuringExecution,
		api.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: api.PodAffinityTerm{TopologyKey: topologyKey, LabelSelector: sel}})
	return p
}

func (p *PodWrapper) podAffinity() *api.PodAffinity {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &api.Affinity{}
	}
	if p.Spec.Affinity.PodAffinity == nil {
		p.Spec.Affinity.PodAffinity = &api.PodAffinity{}
	}
	return p.Spec.Affinity.PodAffinity
}

func (p *PodWrapper) podAntiAffinity() *api.PodAntiAffinity {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &api.Affinity{}
	}
	if p.Spec.Affinity.PodAntiAffinity == nil {
		p.Spec.Affinity.PodAntiAffinity = &api.PodAntiAffinity{}
	}
	return p.Spec.Affinity.PodAntiAffinity
}
