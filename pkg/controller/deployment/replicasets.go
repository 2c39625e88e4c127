package deployment

import (
	"cmp"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
)

// HashLabel is the label, on a ReplicaSet, its selector, its template and so
// its pods, that holds the pod-template-hash and keeps the ReplicaSets of one
// Deployment from selecting each other's pods.
const HashLabel = "pod-template-hash"

// controllerRefOf returns the owner reference with controller: true, or nil.
func controllerRefOf(m *api.ObjectMeta) *api.OwnerReference {
	for i := range m.OwnerReferences {
		if r := &m.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// newControllerRef is the owner reference a Deployment puts on its ReplicaSets.
func newControllerRef(d *api.Deployment) api.OwnerReference {
	yes := true
	return api.OwnerReference{
		APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID,
		Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

// claim is what a Deployment should do with the ReplicaSets of its namespace,
// as Kubernetes' ReplicaSetControllerRefManager decides it.
type claim struct {
	// owned are controlled by the Deployment and match its selector.
	owned []*api.ReplicaSet
	// adopt are orphans (no controller) that match the selector.
	adopt []*api.ReplicaSet
	// release are controlled by the Deployment but no longer match.
	release []*api.ReplicaSet
}

// claimReplicaSets sorts rsList into what d owns, should adopt and should
// release. ReplicaSets controlled by something else are left alone. A
// Deployment being deleted neither adopts nor releases: its ReplicaSets stay
// its own until the garbage collector is done with them; nor is a ReplicaSet
// being deleted adopted.
func claimReplicaSets(d *api.Deployment, sel labels.Selector, rsList []*api.ReplicaSet) claim {
	var c claim
	deleting := d.DeletionTimestamp != nil
	for _, rs := range rsList {
		if rs.Namespace != d.Namespace {
			continue
		}
		matches := sel.Matches(labels.Set(rs.Labels))
		ref := controllerRefOf(&rs.ObjectMeta)
		switch {
		case ref != nil && ref.UID != d.UID:
			// Someone else's.
		case ref != nil && matches:
			c.owned = append(c.owned, rs)
		case ref != nil:
			if !deleting {
				c.release = append(c.release, rs)
			}
		case matches && !deleting && rs.DeletionTimestamp == nil:
			c.adopt = append(c.adopt, rs)
		}
	}
	return c
}

// specReplicas is rs.spec.replicas; the apiserver always sets it, and a nil
// ReplicaSet (no new one yet) has none.
func specReplicas(rs *api.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

// availableEstimate is how many of rs's pods can be counted on as available
// when deciding how far to scale: status.availableReplicas, but never more than
// spec.replicas. A status may lag a scale-down, and the ReplicaSet controller
// removes unavailable pods first, so after it catches up no more than
// spec.replicas stay available. Kubernetes reads the status as is (and gives up
// on the step when the two disagree); this is the same when they agree.
func availableEstimate(rs *api.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return min(rs.Status.AvailableReplicas, specReplicas(rs))
}

// Sums over ReplicaSets; nil entries (no new ReplicaSet yet) count nothing.
func sumSpecReplicas(rss []*api.ReplicaSet) int32 {
	return sumOf(rss, specReplicas)
}

func sumStatusReplicas(rss []*api.ReplicaSet) int32 {
	return sumOf(rss, func(rs *api.ReplicaSet) int32 { return rs.Status.Replicas })
}

func sumReadyReplicas(rss []*api.ReplicaSet) int32 {
	return sumOf(rss, func(rs *api.ReplicaSet) int32 { return rs.Status.ReadyReplicas })
}

func sumAvailableReplicas(rss []*api.ReplicaSet) int32 {
	return sumOf(rss, func(rs *api.ReplicaSet) int32 { return rs.Status.AvailableReplicas })
}

func sumOf(rss []*api.ReplicaSet, f func(*api.ReplicaSet) int32) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += f(rs)
		}
	}
	return n
}

// activeReplicaSets are the non-nil ReplicaSets with spec.replicas > 0.
func activeReplicaSets(rss []*api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range rss {
		if specReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// withNew returns olds followed by newRS (if any) in a fresh slice.
func withNew(olds []*api.ReplicaSet, newRS *api.ReplicaSet) []*api.ReplicaSet {
	out := make([]*api.ReplicaSet, 0, len(olds)+1)
	out = append(out, olds...)
	if newRS != nil {
		out = append(out, newRS)
	}
	return out
}

// byCreation orders oldest first, names breaking ties.
func byCreation(a, b *api.ReplicaSet) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// sortedByCreation returns a sorted copy.
func sortedByCreation(rss []*api.ReplicaSet) []*api.ReplicaSet {
	out := slices.Clone(rss)
	slices.SortStableFunc(out, byCreation)
	return out
}

// findNewReplicaSet returns the ReplicaSet whose template is d's: the oldest,
// should there (after an upgrade, say) be more than one.
func findNewReplicaSet(d *api.Deployment, rsList []*api.ReplicaSet) *api.ReplicaSet {
	for _, rs := range sortedByCreation(rsList) {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// oldReplicaSets returns every ReplicaSet in rsList but newRS.
func oldReplicaSets(rsList []*api.ReplicaSet, newRS *api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range rsList {
		if newRS != nil && rs.Name == newRS.Name {
			continue
		}
		out = append(out, rs)
	}
	return out
}
