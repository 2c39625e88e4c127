package garbagecollector

import (
	"slices"

	"skiff/pkg/api"
)

// ownerState is what the apiserver said about one owner of a dependent.
type ownerState int

const (
	// ownerPresent: the owner exists and is not waiting for its dependents.
	// An owner that cannot be looked up (a cluster-scoped dependent naming a
	// namespaced kind) counts as present: such a dependent is never collected.
	ownerPresent ownerState = iota
	// ownerAbsent: no object has the owner's name, or one with another UID.
	ownerAbsent
	// ownerDeletingDependents: the owner is being deleted in the foreground,
	// so its dependents go first.
	ownerDeletingDependents
)

// verdict is one ownerReference and what was found at its end.
type verdict struct {
	ref   api.OwnerReference
	state ownerState
}

// op is what the collector does to a dependent.
type op int

const (
	opNone op = iota
	// opDelete deletes the dependent with plan.policy.
	opDelete
	// opRemoveOwnerRefs removes the ownerReferences to plan.owners.
	opRemoveOwnerRefs
)

// plan is the decision about one dependent.
type plan struct {
	op     op
	policy string   // opDelete
	owners []string // opRemoveOwnerRefs: owner UIDs
}

// planDependent decides about an object that is not being deleted, from what
// was found at the end of each of its ownerReferences (Kubernetes'
// attemptToDeleteItem):
//   - an owner still present keeps it; references to owners that are gone or
//     deleting their dependents are removed from it;
//   - with no owner present, it is deleted: in the foreground if an owner is
//     waiting for it and it has dependents of its own (they go first, before
//     it, before the owner); otherwise with the policy its own finalizers
//     ask for (an earlier delete may have recorded one), else in the background.
func planDependent(verdicts []verdict, hasDependents bool, finalizers []string) plan {
	if len(verdicts) == 0 {
		return plan{}
	}
	present, waiting := false, false
	var stale []string
	for _, v := range verdicts {
		switch v.state {
		case ownerPresent:
			present = true
		case ownerDeletingDependents:
			waiting = true
			stale = append(stale, v.ref.UID)
		default:
			stale = append(stale, v.ref.UID)
		}
	}
	switch {
	case present && len(stale) == 0:
		return plan{}
	case present:
		return plan{op: opRemoveOwnerRefs, owners: stale}
	case waiting && hasDependents:
		return plan{op: opDelete, policy: api.DeletePropagationForeground}
	case slices.Contains(finalizers, api.FinalizerOrphanDependents):
		return plan{op: opDelete, policy: api.DeletePropagationOrphan}
	case slices.Contains(finalizers, api.FinalizerDeleteDependents):
		return plan{op: opDelete, policy: api.DeletePropagationForeground}
	}
	return plan{op: opDelete, policy: api.DeletePropagationBackground}
}

// blockingDependents are the dependents an owner deleted in the foreground
// waits for: those whose ownerReference to it has blockOwnerDeletion.
func blockingDependents(n nodeView) []dependentView {
	var out []dependentView
	for _, d := range n.dependents {
		if d.blocking {
			out = append(out, d)
		}
	}
	return out
}

// withoutOwners returns refs less those to the owners with the given UIDs, and
// whether any was removed.
func withoutOwners(refs []api.OwnerReference, uids ...string) ([]api.OwnerReference, bool) {
	out := slices.DeleteFunc(slices.Clone(refs), func(o api.OwnerReference) bool { return slices.Contains(uids, o.UID) })
	return out, len(out) != len(refs)
}

// without returns list less s, and whether s was there.
func without(list []string, s string) ([]string, bool) {
	out := slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == s })
	return out, len(out) != len(list)
}
