package replicaset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller/controllertest"
	"skiff/pkg/controller/replicaset"
)

// cluster is a real apiserver (no scheduler, no node agents) with the
// ReplicaSet controller running as the controller-manager's user.
type cluster struct {
	t   *testing.T
	ctx context.Context
	s   *apiservertest.Server
	c   *client.Client // admin, for the test's own reads and writes
}

func newCluster(t *testing.T) *cluster {
	return newClusterWith(t, nil)
}

// newClusterWith runs before (if not nil) against the apiserver before the
// controller starts, so what it creates is in the controller's first list.
func newClusterWith(t *testing.T, before func(c *client.Client)) *cluster {
	t.Parallel()
	s := apiservertest.Start(t)
	if before != nil {
		before(s.Client)
	}
	controllertest.RunController(t, s, replicaset.New)
	return &cluster{t: t, ctx: context.Background(), s: s, c: s.Client}
}

// makeReplicaSet returns a ReplicaSet selecting app=<name> whose pods carry
// that label.
func makeReplicaSet(ns, name string, replicas int32) *api.ReplicaSet {
	return &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns},
		Spec: api.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
			},
		},
	}
}

func (c *cluster) createRS(rs *api.ReplicaSet) *api.ReplicaSet {
	c.t.Helper()
	out, err := client.ReplicaSets(c.c, rs.Namespace).Create(c.ctx, rs)
	if err != nil {
		c.t.Fatalf("create replicaset %s: %v", rs.Name, err)
	}
	return out
}

func (c *cluster) getRS(ns, name string) *api.ReplicaSet {
	c.t.Helper()
	rs, err := client.ReplicaSets(c.c, ns).Get(c.ctx, name)
	if err != nil {
		c.t.Fatalf("get replicaset %s: %v", name, err)
	}
	return rs
}

func (c *cluster) activePods(ns, selector string) []*api.Pod {
	c.t.Helper()
	pods, err := controllertest.ActivePods(c.ctx, c.c, ns, selector)
	if err != nil {
		c.t.Fatalf("list pods: %v", err)
	}
	return pods
}

// waitPods waits until exactly n active pods match selector and are all
// controlled by rs, and returns them sorted by name.
func (c *cluster) waitPods(rs *api.ReplicaSet, selector string, n int) []*api.Pod {
	c.t.Helper()
	var pods []*api.Pod
	controllertest.WaitFor(c.t, fmt.Sprintf("%d active pods of %s", n, rs.Name), func() (bool, error) {
		var err error
		pods, err = controllertest.ActivePods(c.ctx, c.c, rs.Namespace, selector)
		if err != nil || len(pods) != n {
			return false, err
		}
		for _, p := range pods {
			if ref := controllerOf(p); ref == nil || ref.UID != rs.UID {
				return false, nil
			}
		}
		return true, nil
	})
	return pods
}

// waitStatus waits until the ReplicaSet's status satisfies ok and returns it.
func (c *cluster) waitStatus(ns, name, what string, ok func(rs *api.ReplicaSet) bool) *api.ReplicaSet {
	c.t.Helper()
	var rs *api.ReplicaSet
	controllertest.WaitFor(c.t, name+": "+what, func() (bool, error) {
		var err error
		rs, err = client.ReplicaSets(c.c, ns).Get(c.ctx, name)
		return err == nil && ok(rs), err
	})
	return rs
}

// counts is a status's replica counts, for comparisons.
type counts struct{ Replicas, FullyLabeled, Ready, Available int32 }

func countsOf(rs *api.ReplicaSet) counts {
	st := rs.Status
	return counts{st.Replicas, st.FullyLabeledReplicas, st.ReadyReplicas, st.AvailableReplicas}
}

// settled: the status reflects the current generation with these counts.
func settled(want counts) func(*api.ReplicaSet) bool {
	return func(rs *api.ReplicaSet) bool {
		return rs.Status.ObservedGeneration == rs.Generation && countsOf(rs) == want
	}
}

func controllerOf(p *api.Pod) *api.OwnerReference {
	for i := range p.OwnerReferences {
		if r := &p.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// eventMessages waits until n events with reason are recorded about the
// object, and returns their messages sorted.
func (c *cluster) eventMessages(ns, name, reason string, n int) []string {
	c.t.Helper()
	var msgs []string
	controllertest.WaitFor(c.t, fmt.Sprintf("%d %s events about %s", n, reason, name), func() (bool, error) {
		evs, err := controllertest.EventsAbout(c.ctx, c.c, ns, name, reason)
		msgs = nil
		for _, ev := range evs {
			msgs = append(msgs, ev.Message)
		}
		return len(evs) >= n, err
	})
	slices.Sort(msgs)
	return msgs
}

func (c *cluster) patchPod(ns, name, patch string) {
	c.t.Helper()
	if _, err := client.Pods(c.c, ns).Patch(c.ctx, name, client.MergePatch, []byte(patch), ""); err != nil {
		c.t.Fatalf("patch pod %s: %v", name, err)
	}
}

func podNames(pods []*api.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

func createdMessages(pods []*api.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, "Created pod: "+p.Name)
	}
	slices.Sort(out)
	return out
}

// TestCreatesExactlyReplicas: a 3-replica ReplicaSet gets exactly 3 pods from
// its template, owned by it, with an event each, and no more while it and its
// pods keep changing (every change is another reconcile).
func TestCreatesExactlyReplicas(t *testing.T) {
	c := newCluster(t)
	rs := c.createRS(makeReplicaSet("default", "web", 3))
	pods := c.waitPods(rs, "app=web", 3)
	for _, p := range pods {
		ref := controllerOf(p)
		if p.GenerateName != "web-" || !strings.HasPrefix(p.Name, "web-") || p.Labels["app"] != "web" ||
			ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || ref.Name != "web" ||
			ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
			t.Errorf("pod %s: generateName %q, labels %v, controller %+v", p.Name, p.GenerateName, p.Labels, ref)
		}
	}

	// Churn: ReplicaSet and pod updates, each of which enqueues the ReplicaSet.
	for i := range 10 {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"churn":"%d"}}}`, i)
		if _, err := client.ReplicaSets(c.c, "default").Patch(c.ctx, "web", client.MergePatch, []byte(patch), ""); err != nil {
			t.Fatal(err)
		}
		c.patchPod("default", pods[i%3].Name, patch)
	}
	if err := controllertest.MarkPodsReady(c.ctx, c.c, "default", "app=web"); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("default", "web", "3 ready", settled(counts{3, 3, 3, 3}))

	all, err := client.Pods(c.c, "default").List(c.ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 3 {
		t.Errorf("%d pods exist, want 3: %v", len(all.Items), podNames(all.Items))
	}
	if diff := cmp.Diff(createdMessages(pods), c.eventMessages("default", "web", replicaset.ReasonSuccessfulCreate, 3)); diff != "" {
		t.Errorf("SuccessfulCreate events (-want +got):\n%s", diff)
	}
}

// TestAdoptsOrphan: a pod that matches the selector and has no controller is
// adopted, so only two more are created.
func TestAdoptsOrphan(t *testing.T) {
	// The orphan exists before the controller starts: one it has not seen yet
	// cannot be adopted (as in Kubernetes), and the test would race its cache.
	orphan := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "orphan", Namespace: "default", Labels: map[string]string{"app": "web", "extra": "yes"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
	}
	c := newClusterWith(t, func(cl *client.Client) {
		if _, err := client.Pods(cl, "default").Create(context.Background(), orphan); err != nil {
			t.Fatal(err)
		}
	})
	rs := c.createRS(makeReplicaSet("default", "web", 3))
	pods := c.waitPods(rs, "app=web", 3)
	if !slices.Contains(podNames(pods), "orphan") {
		t.Fatalf("the orphan is not among the pods: %v", podNames(pods))
	}
	ref := controllerOf(pods[slices.Index(podNames(pods), "orphan")])
	if ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("adopted pod's controller reference: %+v", ref)
	}
	c.waitStatus("default", "web", "3 replicas", settled(counts{Replicas: 3, FullyLabeled: 3}))
	created := slices.DeleteFunc(pods, func(p *api.Pod) bool { return p.Name == "orphan" })
	if diff := cmp.Diff(createdMessages(created), c.eventMessages("default", "web", replicaset.ReasonSuccessfulCreate, 2)); diff != "" {
		t.Errorf("SuccessfulCreate events (-want +got):\n%s", diff)
	}
}

// TestReleasesRelabeledPod: a pod whose labels no longer match loses its
// controller reference (and lives on), and a new pod takes its place.
func TestReleasesRelabeledPod(t *testing.T) {
	c := newCluster(t)
	rs := c.createRS(makeReplicaSet("default", "web", 3))
	pods := c.waitPods(rs, "app=web", 3)
	moved := pods[0].Name
	c.patchPod("default", moved, `{"metadata":{"labels":{"app":"debug"}}}`)

	now := c.waitPods(rs, "app=web", 3)
	if slices.Contains(podNames(now), moved) {
		t.Fatalf("the relabelled pod is still counted: %v", podNames(now))
	}
	controllertest.WaitFor(t, "the relabelled pod to be released", func() (bool, error) {
		p, err := client.Pods(c.c, "default").Get(c.ctx, moved)
		return err == nil && len(p.OwnerReferences) == 0 && p.DeletionTimestamp == nil, err
	})
	c.waitStatus("default", "web", "3 replicas", settled(counts{Replicas: 3, FullyLabeled: 3}))
}

// TestScaleSubresource: kubectl scale (the scale subresource) up, then down,
// deleting pods in Kubernetes' order: unscheduled, then not ready, keeping
// the ready ones.
func TestScaleSubresource(t *testing.T) {
	c := newCluster(t)
	rs := c.createRS(makeReplicaSet("default", "web", 3))
	c.waitPods(rs, "app=web", 3)
	scalePath := client.ReplicaSetsGVR.Path("default", "web", "scale")

	// Up to 5 with a PUT of the Scale, as client-go's scale client does.
	// The status changes under it, so a PUT may conflict: read and try again.
	var scale api.Scale
	controllertest.WaitFor(t, "a PUT of the scale to succeed", func() (bool, error) {
		if err := c.c.Do(c.ctx, client.Request{Method: "GET", Path: scalePath, Out: &scale}); err != nil {
			return false, err
		}
		scale.Spec.Replicas = 5
		err := c.c.Do(c.ctx, client.Request{Method: "PUT", Path: scalePath, Body: &scale})
		if err != nil && !api.IsConflict(err) {
			t.Fatal(err)
		}
		return err == nil, err
	})
	pods := c.waitPods(rs, "app=web", 5)
	c.waitStatus("default", "web", "5 replicas", settled(counts{Replicas: 5, FullyLabeled: 5}))
	if err := c.c.Do(c.ctx, client.Request{Method: "GET", Path: scalePath, Out: &scale}); err != nil || scale.Status.Replicas != 5 {
		t.Fatalf("scale after scaling up: %+v, %v", scale, err)
	}

	// Two ready pods on a node, one pending pod on a node, two unscheduled.
	keep, bound, unscheduled := pods[:2], pods[2], pods[3:]
	for _, p := range append(slices.Clone(keep), bound) {
		if err := client.Bind(c.ctx, c.c, &api.Binding{ObjectMeta: api.ObjectMeta{Name: p.Name, Namespace: "default"},
			Target: api.ObjectReference{Kind: "Node", Name: "node-1"}}); err != nil {
			t.Fatalf("bind %s: %v", p.Name, err)
		}
	}
	for _, p := range keep {
		c.patchPod("default", p.Name, `{"metadata":{"labels":{"keep":"yes"}}}`)
	}
	if err := controllertest.MarkPodsReady(c.ctx, c.c, "default", "app=web,keep=yes"); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("default", "web", "2 of 5 ready", settled(counts{5, 5, 2, 2}))

	// Down to 2 with a merge patch of the Scale, as kubectl scale does.
	if err := c.c.Do(c.ctx, client.Request{Method: "PATCH", Path: scalePath, Body: []byte(`{"spec":{"replicas":2}}`),
		ContentType: client.MergePatch}); err != nil {
		t.Fatal(err)
	}
	remaining := c.waitPods(rs, "app=web", 2)
	if diff := cmp.Diff(podNames(keep), podNames(remaining)); diff != "" {
		t.Errorf("pods left after scaling down (-want +got):\n%s", diff)
	}
	c.waitStatus("default", "web", "2 ready replicas", settled(counts{2, 2, 2, 2}))
	// The unscheduled pods are gone; the bound one waits for its node agent.
	for _, p := range unscheduled {
		if _, err := client.Pods(c.c, "default").Get(c.ctx, p.Name); !api.IsNotFound(err) {
			t.Errorf("unscheduled pod %s: got %v, want NotFound", p.Name, err)
		}
	}
	if p, err := client.Pods(c.c, "default").Get(c.ctx, bound.Name); err != nil || p.DeletionTimestamp == nil {
		t.Errorf("bound pod %s: want it marked for deletion (err %v)", bound.Name, err)
	}
	var want []string
	for _, p := range append([]*api.Pod{bound}, unscheduled...) {
		want = append(want, "Deleted pod: "+p.Name)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, c.eventMessages("default", "web", replicaset.ReasonSuccessfulDelete, 3)); diff != "" {
		t.Errorf("SuccessfulDelete events (-want +got):\n%s", diff)
	}
}

// TestReplacesDeletedAndFinishedPods: a deleted pod and a failed one are
// replaced; the failed one is left for the pod garbage collector.
func TestReplacesDeletedAndFinishedPods(t *testing.T) {
	c := newCluster(t)
	rs := c.createRS(makeReplicaSet("default", "web", 3))
	pods := c.waitPods(rs, "app=web", 3)

	deleted := pods[0].Name
	if err := client.Pods(c.c, "default").Delete(c.ctx, deleted, nil); err != nil {
		t.Fatal(err)
	}
	pods = c.waitPods(rs, "app=web", 3)
	if slices.Contains(podNames(pods), deleted) {
		t.Fatalf("deleted pod %s still listed: %v", deleted, podNames(pods))
	}

	failed := pods[0].Name
	c.patchPod("default", failed, `{"metadata":{"labels":{"doomed":"yes"}}}`)
	if err := controllertest.SetPodsPhase(c.ctx, c.c, "default", "doomed=yes", api.PodFailed); err != nil {
		t.Fatal(err)
	}
	pods = c.waitPods(rs, "app=web", 3)
	if slices.Contains(podNames(pods), failed) {
		t.Fatalf("failed pod %s still counted: %v", failed, podNames(pods))
	}
	if p, err := client.Pods(c.c, "default").Get(c.ctx, failed); err != nil || p.Status.Phase != api.PodFailed {
		t.Errorf("failed pod: %v (err %v), want it kept", p, err)
	}
	c.waitStatus("default", "web", "3 replicas", settled(counts{Replicas: 3, FullyLabeled: 3}))
}

// TestReadyAndAvailable: readyReplicas follows the pods' Ready condition and
// availableReplicas follows it minReadySeconds later, with no other event to
// wake the controller.
func TestReadyAndAvailable(t *testing.T) {
	c := newCluster(t)
	const minReady = 2
	rsObj := makeReplicaSet("default", "web", 3)
	rsObj.Spec.MinReadySeconds = minReady
	rs := c.createRS(rsObj)
	c.waitPods(rs, "app=web", 3)
	c.waitStatus("default", "web", "3 replicas", settled(counts{Replicas: 3, FullyLabeled: 3}))

	if err := controllertest.MarkPodsReady(c.ctx, c.c, "default", "app=web"); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("default", "web", "3 ready", func(rs *api.ReplicaSet) bool { return rs.Status.ReadyReplicas == 3 })
	c.waitStatus("default", "web", "3 available", settled(counts{3, 3, 3, 3}))
	// Not before minReadySeconds after the pods turned ready.
	for _, p := range c.activePods("default", "app=web") {
		var since time.Time
		for _, cond := range p.Status.Conditions {
			if cond.Type == api.PodReady {
				since = cond.LastTransitionTime.Time
			}
		}
		if wait := time.Until(since.Add(minReady * time.Second)); wait > 0 {
			t.Errorf("pod %s counted available %v before minReadySeconds passed", p.Name, wait)
		}
	}

	if err := controllertest.MarkPodsNotReady(c.ctx, c.c, "default", "app=web"); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("default", "web", "none ready", settled(counts{Replicas: 3, FullyLabeled: 3}))

	if err := controllertest.MarkPodsReadySince(c.ctx, c.c, "default", "app=web", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("default", "web", "ready a minute ago: available at once", settled(counts{3, 3, 3, 3}))
}

// TestQuotaReplicaFailure: creates refused by a ResourceQuota give a
// FailedCreate event and the ReplicaFailure condition, which clears once the
// quota allows the pods.
func TestQuotaReplicaFailure(t *testing.T) {
	c := newCluster(t)
	if _, err := client.Namespaces(c.c).Create(c.ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "quota"}}); err != nil {
		t.Fatal(err)
	}
	quotas := client.NewResource(c.c, client.GVR{Version: "v1", Resource: "resourcequotas", Namespaced: true}, "quota",
		func() *api.ResourceQuota { return &api.ResourceQuota{} })
	q := &api.ResourceQuota{ObjectMeta: api.ObjectMeta{Name: "pods", Namespace: "quota"},
		Spec: api.ResourceQuotaSpec{Hard: api.ResourceList{api.ResourcePods: resource.MustParse("2")}}}
	if _, err := quotas.Create(c.ctx, q); err != nil {
		t.Fatal(err)
	}
	controllertest.WaitFor(t, "the quota's status", func() (bool, error) {
		q, err := quotas.Get(c.ctx, "pods")
		return err == nil && q.Status.Hard != nil, err
	})

	rs := c.createRS(makeReplicaSet("quota", "web", 3))
	c.waitPods(rs, "app=web", 2)
	failed := c.waitStatus("quota", "web", "2 replicas and the ReplicaFailure condition", func(rs *api.ReplicaSet) bool {
		return failure(rs) != nil && rs.Status.Replicas == 2
	})
	cond := failure(failed)
	if cond.Status != api.ConditionTrue || cond.Reason != replicaset.ReasonFailedCreate ||
		!strings.Contains(cond.Message, "exceeded quota") || cond.LastTransitionTime.IsZero() {
		t.Errorf("condition: %+v", cond)
	}
	msgs := c.eventMessages("quota", "web", replicaset.ReasonFailedCreate, 1)
	if !strings.HasPrefix(msgs[0], "Error creating: ") || !strings.Contains(msgs[0], "exceeded quota") {
		t.Errorf("FailedCreate event: %q", msgs[0])
	}
	evs, err := controllertest.EventsAbout(c.ctx, c.c, "quota", "web", replicaset.ReasonFailedCreate)
	if err != nil || len(evs) == 0 || evs[0].Type != api.EventTypeWarning || evs[0].Source.Component != replicaset.Component {
		t.Errorf("FailedCreate event: %+v, %v", evs, err)
	}

	// Room for the third pod: it is created (on a retry with back-off) and the
	// condition goes away.
	controllertest.WaitFor(t, "the quota raised", func() (bool, error) {
		q, err := quotas.Get(c.ctx, "pods")
		if err != nil {
			return false, err
		}
		q.Spec.Hard[api.ResourcePods] = resource.MustParse("3")
		_, err = quotas.Update(c.ctx, q)
		return err == nil, err
	})
	c.waitPods(rs, "app=web", 3)
	c.waitStatus("quota", "web", "no ReplicaFailure", func(rs *api.ReplicaSet) bool {
		return failure(rs) == nil && settled(counts{Replicas: 3, FullyLabeled: 3})(rs)
	})
}

func failure(rs *api.ReplicaSet) *api.ReplicaSetCondition {
	for i := range rs.Status.Conditions {
		if rs.Status.Conditions[i].Type == replicaset.ReplicaFailure {
			return &rs.Status.Conditions[i]
		}
	}
	return nil
}
