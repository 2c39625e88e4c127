package namespace

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"skiff/pkg/api"
)

// The conditions a namespace being deleted reports, as in Kubernetes.
const (
	ConditionDiscoveryFailure    = "NamespaceDeletionDiscoveryFailure"
	ConditionContentFailure      = "NamespaceDeletionContentFailure"
	ConditionContentRemaining    = "NamespaceContentRemaining"
	ConditionFinalizersRemaining = "NamespaceFinalizersRemaining"
)

// conditions reports one pass over a namespace's content.
func conditions(c content) []api.NamespaceCondition {
	cond := func(typ string, failed bool, reason, okReason, msg, okMsg string) api.NamespaceCondition {
		if failed {
			return api.NamespaceCondition{Type: typ, Status: api.ConditionTrue, Reason: reason, Message: msg}
		}
		return api.NamespaceCondition{Type: typ, Status: api.ConditionFalse, Reason: okReason, Message: okMsg}
	}
	var discovery, deletion string
	if c.discoveryErr != nil {
		discovery = "Discovery failed for some groups: " + c.discoveryErr.Error()
	}
	if len(c.deleteErrs) > 0 {
		msgs := make([]string, len(c.deleteErrs))
		for i, e := range c.deleteErrs {
			msgs[i] = e.Error()
		}
		deletion = fmt.Sprintf("Failed to delete all resource types, %d remaining: %s", len(msgs), strings.Join(msgs, ", "))
	}
	return []api.NamespaceCondition{
		cond(ConditionDiscoveryFailure, c.discoveryErr != nil, "DiscoveryFailed", "ResourcesDiscovered",
			discovery, "All resources successfully discovered"),
		cond(ConditionContentFailure, len(c.deleteErrs) > 0, "ContentDeletionFailed", "ContentDeleted",
			deletion, "All content successfully deleted, may be waiting on finalization"),
		cond(ConditionContentRemaining, len(c.remaining) > 0, "SomeResourcesRemain", "ContentRemoved",
			"Some resources are remaining: "+counts(c.remaining, "%s has %d resource instances"), "All content successfully removed"),
		cond(ConditionFinalizersRemaining, len(c.finalizers) > 0, "SomeFinalizersRemain", "ContentHasNoFinalizers",
			"Some content in the namespace has finalizers remaining: "+counts(c.finalizers, "%s in %d resource instances"), "All content-preserving finalizers finished"),
	}
}

// counts formats a count per name, sorted by name.
func counts(m map[string]int, format string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf(format, k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// mergeConditions sets conds in have, by type: a condition whose status
// changes gets lastTransitionTime now, one that keeps it keeps its time.
// Other types stay. changed reports whether anything but times differs.
func mergeConditions(have, conds []api.NamespaceCondition, now api.Time) (out []api.NamespaceCondition, changed bool) {
	out = slices.Clone(have)
	for _, c := range conds {
		i := slices.IndexFunc(out, func(h api.NamespaceCondition) bool { return h.Type == c.Type })
		switch {
		case i < 0:
			c.LastTransitionTime = now
			out = append(out, c)
			changed = true
		case out[i].Status != c.Status:
			c.LastTransitionTime = now
			out[i] = c
			changed = true
		case out[i].Reason != c.Reason || out[i].Message != c.Message:
			c.LastTransitionTime = out[i].LastTransitionTime
			out[i] = c
			changed = true
		}
	}
	return out, changed
}
