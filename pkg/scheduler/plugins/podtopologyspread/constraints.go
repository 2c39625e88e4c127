package podtopologyspread

import (
	"fmt"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
	"skiff/pkg/scheduler/plugins/nodeaffinity"
)

// Values of nodeAffinityPolicy and nodeTaintsPolicy.
const (
	policyHonor  = "Honor"
	policyIgnore = "Ignore"
)

// constraint is a TopologySpreadConstraint ready to use: its selector compiled
// (with matchLabelKeys merged in) and its defaults applied.
type constraint struct {
	maxSkew     int32
	topologyKey string
	// minDomains is 1 when unset: then the global minimum is simply the
	// smallest count.
	minDomains int32
	selector   labels.Selector
	// honorNodeAffinity and honorTaints say which nodes count towards the
	// domains: nodeAffinityPolicy defaults to Honor, nodeTaintsPolicy to Ignore.
	honorNodeAffinity bool
	honorTaints       bool
}

// constraintsOf returns the pod's constraints with the given whenUnsatisfiable
// (api.DoNotSchedule or api.ScheduleAnyway). Kubernetes also applies
// cluster-wide default constraints to pods that have none; Skiff does not.
func constraintsOf(pod *api.Pod, whenUnsatisfiable string) ([]constraint, error) {
	var out []constraint
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != whenUnsatisfiable {
			continue
		}
		sel, err := spreadSelector(pod, c)
		if err != nil {
			return nil, fmt.Errorf("topology spread constraint on %q: %w", c.TopologyKey, err)
		}
		out = append(out, constraint{
			maxSkew:           c.MaxSkew,
			topologyKey:       c.TopologyKey,
			minDomains:        deref(c.MinDomains, 1),
			selector:          sel,
			honorNodeAffinity: deref(c.NodeAffinityPolicy, policyHonor) == policyHonor,
			honorTaints:       deref(c.NodeTaintsPolicy, policyIgnore) == policyHonor,
		})
	}
	return out, nil
}

// spreadSelector compiles the constraint's labelSelector and adds, for each of
// its matchLabelKeys the pod has, a requirement key=(the pod's value): so a
// Deployment's pods spread by pod-template-hash count only their own revision.
// A missing labelSelector selects nothing.
func spreadSelector(pod *api.Pod, c api.TopologySpreadConstraint) (labels.Selector, error) {
	sel, err := api.LabelSelectorAsSelector(c.LabelSelector)
	if err != nil || c.LabelSelector == nil || len(c.MatchLabelKeys) == 0 {
		return sel, err
	}
	reqs := sel.Requirements()
	for _, key := range c.MatchLabelKeys {
		value, ok := pod.Labels[key]
		if !ok {
			continue
		}
		r, err := labels.NewRequirement(key, labels.In, []string{value})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return labels.NewSelector(reqs...), nil
}

// countMatching counts the pods that match c's selector in namespace ns,
// skipping pods being deleted (they are about to leave). As in kube-scheduler,
// an empty selector counts nothing.
func (c constraint) countMatching(pods []*api.Pod, ns string) int {
	if c.selector.Empty() {
		return 0
	}
	n := 0
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Namespace != ns {
			continue
		}
		if c.selector.Matches(labels.Set(p.Labels)) {
			n++
		}
	}
	return n
}

// includesNode reports whether node's pods count towards c's domains, by c's
// nodeAffinityPolicy and nodeTaintsPolicy.
func (c constraint) includesNode(pod *api.Pod, aff *nodeaffinity.RequiredNodeAffinity, node *api.Node) bool {
	if c.honorNodeAffinity && !aff.Match(node) {
		return false
	}
	if c.honorTaints && !toleratesNoScheduleTaints(pod.Spec.Tolerations, node.Spec.Taints) {
		return false
	}
	return true
}

// hasAllTopologyKeys reports whether the node has the label of every
// constraint's topologyKey; only such nodes count towards any domain.
func hasAllTopologyKeys(node *api.Node, cs []constraint) bool {
	for _, c := range cs {
		if _, ok := node.Labels[c.topologyKey]; !ok {
			return false
		}
	}
	return true
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
