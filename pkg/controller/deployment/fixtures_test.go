package deployment

import (
	"strconv"
	"strings"
	"time"

	"skiff/pkg/api"
)

// Fixture builders for the unit tests: makeDeployment("web").Replicas(10).Obj().

// t0 is the creation time of fixtures; later ones are t0 plus some seconds.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// intOrPercent reads "25%" or "2".
func intOrPercent(s string) *api.IntOrString {
	if strings.HasSuffix(s, "%") {
		v := api.FromString(s)
		return &v
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	v := api.FromInt(int32(n))
	return &v
}

type deploymentBuilder struct{ d *api.Deployment }

func makeDeployment(name string) *deploymentBuilder {
	d := &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name, Generation: 1},
		Spec: api.DeploymentSpec{
			Replicas: ptr(int32(3)),
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "nginx:1"}}},
			},
			Strategy: api.DeploymentStrategy{
				Type:          api.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: intOrPercent("25%"), MaxUnavailable: intOrPercent("25%")},
			},
			RevisionHistoryLimit:    ptr(int32(10)),
			ProgressDeadlineSeconds: ptr(int32(600)),
		},
	}
	return &deploymentBuilder{d: d}
}

func (b *deploymentBuilder) Replicas(n int32) *deploymentBuilder { b.d.Spec.Replicas = &n; return b }
func (b *deploymentBuilder) Image(img string) *deploymentBuilder {
	b.d.Spec.Template.Spec.Containers[0].Image = img
	return b
}
func (b *deploymentBuilder) Surge(s string) *deploymentBuilder {
	b.d.Spec.Strategy.RollingUpdate.MaxSurge = intOrPercent(s)
	return b
}
func (b *deploymentBuilder) Unavailable(s string) *deploymentBuilder {
	b.d.Spec.Strategy.RollingUpdate.MaxUnavailable = intOrPercent(s)
	return b
}
func (b *deploymentBuilder) Recreate() *deploymentBuilder {
	b.d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
	return b
}
func (b *deploymentBuilder) Paused() *deploymentBuilder { b.d.Spec.Paused = true; return b }
func (b *deploymentBuilder) History(n int32) *deploymentBuilder {
	b.d.Spec.RevisionHistoryLimit = &n
	return b
}
func (b *deploymentBuilder) Deadline(s *int32) *deploymentBuilder {
	b.d.Spec.ProgressDeadlineSeconds = s
	return b
}
func (b *deploymentBuilder) Annotation(k, v string) *deploymentBuilder {
	if b.d.Annotations == nil {
		b.d.Annotations = map[string]string{}
	}
	b.d.Annotations[k] = v
	return b
}
func (b *deploymentBuilder) Status(s api.DeploymentStatus) *deploymentBuilder {
	b.d.Status = s
	return b
}
func (b *deploymentBuilder) Obj() *api.Deployment { return b.d }

type rsBuilder struct{ rs *api.ReplicaSet }

// makeRS returns a ReplicaSet of d's template (with image overriding it, if
// given), controlled by d, created at t0 + age seconds.
func makeRS(d *api.Deployment, image string, age int) *rsBuilder {
	tpl := api.DeepCopy(d.Spec.Template)
	if image != "" {
		tpl.Spec.Containers[0].Image = image
	}
	hash := ComputeHash(&tpl, nil)
	tpl.Labels = withLabel(tpl.Labels, HashLabel, hash)
	rs := &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, UID: "uid-" + d.Name + "-" + hash,
			Labels:            withLabel(tpl.Labels, HashLabel, hash),
			CreationTimestamp: api.NewTime(t0.Add(time.Duration(age) * time.Second)),
			OwnerReferences:   []api.OwnerReference{newControllerRef(d)},
			Generation:        1,
		},
		Spec: api.ReplicaSetSpec{
			Replicas: ptr(int32(0)),
			Selector: &api.LabelSelector{MatchLabels: withLabel(d.Spec.Selector.MatchLabels, HashLabel, hash)},
			Template: tpl,
		},
		Status: api.ReplicaSetStatus{ObservedGeneration: 1},
	}
	return &rsBuilder{rs: rs}
}

// Replicas sets spec.replicas and a status that has caught up with it.
func (b *rsBuilder) Replicas(n int32) *rsBuilder {
	b.rs.Spec.Replicas = &n
	b.rs.Status.Replicas, b.rs.Status.ReadyReplicas, b.rs.Status.AvailableReplicas = n, n, n
	return b
}

// Available overrides status.availableReplicas (and ready).
func (b *rsBuilder) Available(n int32) *rsBuilder {
	b.rs.Status.AvailableReplicas, b.rs.Status.ReadyReplicas = n, n
	return b
}
func (b *rsBuilder) StatusReplicas(n int32) *rsBuilder { b.rs.Status.Replicas = n; return b }
func (b *rsBuilder) Name(n string) *rsBuilder          { b.rs.Name = n; return b }
func (b *rsBuilder) Revision(r string) *rsBuilder {
	return b.Annotation(RevisionAnnotation, r)
}
func (b *rsBuilder) Annotation(k, v string) *rsBuilder {
	if b.rs.Annotations == nil {
		b.rs.Annotations = map[string]string{}
	}
	b.rs.Annotations[k] = v
	return b
}
func (b *rsBuilder) ScaledFor(desired, maxReplicas int32) *rsBuilder {
	b.Annotation(DesiredReplicasAnnotation, strconv.Itoa(int(desired)))
	return b.Annotation(MaxReplicasAnnotation, strconv.Itoa(int(maxReplicas)))
}
func (b *rsBuilder) Orphan() *rsBuilder { b.rs.OwnerReferences = nil; return b }
func (b *rsBuilder) OwnedBy(uid string) *rsBuilder {
	b.rs.OwnerReferences[0].UID = uid
	return b
}
func (b *rsBuilder) Labels(l map[string]string) *rsBuilder { b.rs.Labels = l; return b }
func (b *rsBuilder) Deleting() *rsBuilder {
	t := api.NewTime(t0)
	b.rs.DeletionTimestamp = &t
	return b
}
func (b *rsBuilder) Generation(g int64) *rsBuilder { b.rs.Generation = g; return b }
func (b *rsBuilder) Obj() *api.ReplicaSet          { return b.rs }

func names(rss []*api.ReplicaSet) []string {
	var out []string
	for _, rs := range rss {
		out = append(out, rs.Name)
	}
	return out
}
