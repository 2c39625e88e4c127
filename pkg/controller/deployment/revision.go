package deployment

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"skiff/pkg/api"
)

// The annotations the controller keeps, with Kubernetes' names, so kubectl's
// `rollout history` and `rollout undo` (which read them) work unchanged.
const (
	// RevisionAnnotation numbers a Deployment's templates in the order they were
	// rolled out, on each ReplicaSet and (the current one) on the Deployment.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the earlier revisions a ReplicaSet served,
	// when a rollback brought its template back under a new revision.
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is the Deployment's spec.replicas when the
	// ReplicaSet was last scaled; a difference means the Deployment was scaled.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is spec.replicas + maxSurge at that time, the base of
	// proportional scaling.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
)

const (
	lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
	deprecatedRollbackTo  = "deprecated.deployment.rollback.to"
	maxRevisionHistoryLen = 2000 // characters of RevisionHistoryAnnotation
)

// annotationsToSkip are a Deployment's annotations that are not copied to its
// ReplicaSets.
var annotationsToSkip = map[string]bool{
	lastAppliedAnnotation:     true,
	RevisionAnnotation:        true,
	RevisionHistoryAnnotation: true,
	DesiredReplicasAnnotation: true,
	MaxReplicasAnnotation:     true,
	deprecatedRollbackTo:      true,
}

// revisionOf parses rs's revision; no annotation is revision 0.
func revisionOf(rs *api.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// maxRevision is the highest revision among rss, skipping unparsable ones.
func maxRevision(rss []*api.ReplicaSet) int64 {
	var highest int64
	for _, rs := range rss {
		if v, err := revisionOf(rs); err == nil && v > highest {
			highest = v
		}
	}
	return highest
}

// setNewReplicaSetAnnotations brings the new ReplicaSet's annotations up to
// date and reports whether it changed anything: the Deployment's annotations
// (but annotationsToSkip) are copied; the revision becomes newRevision if that
// is higher (a template coming back is a new revision, and the one it had
// before goes into RevisionHistoryAnnotation); a ReplicaSet about to be
// created (exists false) gets the replica annotations.
func setNewReplicaSetAnnotations(d *api.Deployment, rs *api.ReplicaSet, newRevision string, exists bool) bool {
	changed := copyDeploymentAnnotations(d, rs)
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	oldRevision, had := rs.Annotations[RevisionAnnotation]
	oldInt, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			// Not ours to repair; leave the revision alone.
			return changed
		}
		oldInt = 0
	}
	newInt, err := strconv.ParseInt(newRevision, 10, 64)
	if err != nil {
		return changed
	}
	if oldInt < newInt {
		rs.Annotations[RevisionAnnotation] = newRevision
		changed = true
		if had {
			rs.Annotations[RevisionHistoryAnnotation] = appendRevisionHistory(rs.Annotations[RevisionHistoryAnnotation], oldRevision)
		}
	}
	if !exists && setReplicasAnnotations(rs, desiredReplicas(d), desiredReplicas(d)+maxSurge(d)) {
		changed = true
	}
	return changed
}

// appendRevisionHistory appends rev to a comma-separated history, dropping
// the oldest entries to stay within maxRevisionHistoryLen characters.
func appendRevisionHistory(history, rev string) string {
	if history == "" {
		return rev
	}
	revs := append(strings.Split(history, ","), rev)
	for len(revs) > 1 && len(strings.Join(revs, ",")) > maxRevisionHistoryLen {
		revs = revs[1:]
	}
	return strings.Join(revs, ",")
}

// copyDeploymentAnnotations copies d's annotations, but annotationsToSkip, to
// rs and reports whether any changed. kubectl's change-cause travels this way.
func copyDeploymentAnnotations(d *api.Deployment, rs *api.ReplicaSet) bool {
	changed := false
	for k, v := range d.Annotations {
		if annotationsToSkip[k] {
			continue
		}
		if cur, ok := rs.Annotations[k]; ok && cur == v {
			continue
		}
		if rs.Annotations == nil {
			rs.Annotations = map[string]string{}
		}
		rs.Annotations[k] = v
		changed = true
	}
	return changed
}

// setReplicasAnnotations records the Deployment's size and maximum size on rs
// and reports whether they changed.
func setReplicasAnnotations(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[DesiredReplicasAnnotation] = strconv.Itoa(int(desired))
	rs.Annotations[MaxReplicasAnnotation] = strconv.Itoa(int(maxReplicas))
	return true
}

func replicasAnnotationsNeedUpdate(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	return rs.Annotations[DesiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[MaxReplicasAnnotation] != strconv.Itoa(int(maxReplicas))
}

// intAnnotation reads an int32 annotation of rs.
func intAnnotation(rs *api.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// setDeploymentRevision sets d's revision annotation and reports a change.
func setDeploymentRevision(d *api.Deployment, revision string) bool {
	if d.Annotations[RevisionAnnotation] == revision {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[RevisionAnnotation] = revision
	return true
}

// historyToDelete picks the old ReplicaSets beyond d's revisionHistoryLimit,
// lowest revisions first, that may go: scaled to zero, with no pods left and a
// status that has caught up with their spec. Those still being deleted neither
// count nor are picked.
func historyToDelete(d *api.Deployment, oldRSs []*api.ReplicaSet) []*api.ReplicaSet {
	if d.Spec.RevisionHistoryLimit == nil || *d.Spec.RevisionHistoryLimit == math.MaxInt32 {
		return nil
	}
	var alive []*api.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	sort.SliceStable(alive, func(i, j int) bool {
		ri, erri := revisionOf(alive[i])
		rj, errj := revisionOf(alive[j])
		if erri != nil || errj != nil || ri == rj {
			return byCreation(alive[i], alive[j]) < 0
		}
		return ri < rj
	})
	var out []*api.ReplicaSet
	for _, rs := range alive[:diff] {
		if rs.Status.Replicas != 0 || specReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		out = append(out, rs)
	}
	return out
}
