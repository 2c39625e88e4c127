package replicaset

import (
	"encoding/json"

	"skiff/pkg/api"
	"skiff/pkg/api/labels"
)

// claim is what a ReplicaSet should do with the active pods of its namespace,
// as Kubernetes' PodControllerRefManager decides it.
type claim struct {
	// owned are controlled by the ReplicaSet and match its selector.
	owned []*api.Pod
	// adopt are orphans (no controller) that match the selector.
	adopt []*api.Pod
	// release are controlled by the ReplicaSet but no longer match.
	release []*api.Pod
}

// claimPods sorts pods into what rs owns, should adopt and should release.
// Pods controlled by another object are left alone. A ReplicaSet being
// deleted neither adopts nor releases: its pods stay its own until the garbage
// collector is done with them.
func claimPods(rs *api.ReplicaSet, sel labels.Selector, pods []*api.Pod) claim {
	var c claim
	deleting := rs.DeletionTimestamp != nil
	for _, p := range pods {
		matches := sel.Matches(labels.Set(p.Labels))
		ref := controllerOf(&p.ObjectMeta)
		switch {
		case ref != nil && ref.UID != rs.UID:
			// Someone else's.
		case ref != nil && matches:
			c.owned = append(c.owned, p)
		case ref != nil:
			if !deleting {
				c.release = append(c.release, p)
			}
		case matches && !deleting && p.DeletionTimestamp == nil:
			c.adopt = append(c.adopt, p)
		}
	}
	return c
}

// The strategic merge patches that adopt and release a pod. ownerReferences
// merge by uid, so they touch only rs's reference. The pod's own uid makes
// the patch fail (422, uid is immutable) if the pod was deleted and another
// one with its name created meanwhile.
type ownerPatch struct {
	Metadata ownerPatchMeta `json:"metadata"`
}

type ownerPatchMeta struct {
	OwnerReferences []any  `json:"ownerReferences"`
	UID             string `json:"uid"`
}

// adoptPatch makes rs the controller of pod.
func adoptPatch(rs *api.ReplicaSet, pod *api.Pod) []byte {
	data, _ := json.Marshal(ownerPatch{Metadata: ownerPatchMeta{
		OwnerReferences: []any{controllerRef(rs)}, UID: pod.UID}})
	return data
}

// releasePatch removes rs's ownerReference from pod.
func releasePatch(rs *api.ReplicaSet, pod *api.Pod) []byte {
	data, _ := json.Marshal(ownerPatch{Metadata: ownerPatchMeta{
		OwnerReferences: []any{map[string]string{"$patch": "delete", "uid": rs.UID}}, UID: pod.UID}})
	return data
}
