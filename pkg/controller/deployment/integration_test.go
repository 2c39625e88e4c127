package deployment

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// Integration tests: a real apiserver on a real etcd, this controller alone,
// and the test in the ReplicaSet controller's place (harness.settle).

func TestIntegrationCreate(t *testing.T) {
	h := startController(t)
	d := h.create(newDeployment("web", 3))
	hash := ComputeHash(&d.Spec.Template, nil) // the template as stored, defaults and all
	name := "web-" + hash

	var rs *api.ReplicaSet
	h.waitFor("the first replica set", func() (bool, string) {
		rss := h.replicaSets(d)
		if len(rss) != 1 || specReplicas(rss[0]) != 3 {
			return false, describe(rss)
		}
		rs = rss[0]
		return true, ""
	})
	if rs.Name != name {
		t.Errorf("replica set %s, want %s", rs.Name, name)
	}
	wantLabels := map[string]string{"app": "web", HashLabel: hash}
	if !maps.Equal(rs.Labels, wantLabels) || !maps.Equal(rs.Spec.Selector.MatchLabels, wantLabels) || !maps.Equal(rs.Spec.Template.Labels, wantLabels) {
		t.Errorf("labels %v, selector %v, template labels %v; want %v for each", rs.Labels, rs.Spec.Selector.MatchLabels, rs.Spec.Template.Labels, wantLabels)
	}
	if ref := controllerRefOf(&rs.ObjectMeta); ref == nil || ref.UID != d.UID || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
		t.Errorf("owner references %+v, want the deployment as controller", rs.OwnerReferences)
	}
	for k, want := range map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"} {
		if got := rs.Annotations[k]; got != want {
			t.Errorf("annotation %s = %q, want %q", k, got, want)
		}
	}

	// Nothing available yet: 25% of 3 rounds down to no unavailable pod.
	h.waitCondition("web", api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable)
	created := h.waitCondition("web", api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated)
	if want := fmt.Sprintf("Created new replica set %q", name); created.Message != want {
		t.Errorf("Progressing message %q, want %q", created.Message, want)
	}

	d, _ = h.rollOut("web", nil)
	if got := d.Annotations[RevisionAnnotation]; got != "1" {
		t.Errorf("deployment revision %q, want 1", got)
	}
	want := api.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}
	got := d.Status
	got.Conditions = nil
	if !statusEqual(want, got) {
		t.Errorf("status %+v, want %+v", got, want)
	}
	h.waitCondition("web", api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable)
	done := h.waitCondition("web", api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable)
	if want := fmt.Sprintf("ReplicaSet %q has successfully progressed.", name); done.Message != want {
		t.Errorf("Progressing message %q, want %q", done.Message, want)
	}
	h.waitEvents("web", "Scaled up replica set "+name+" to 3")
}

func TestIntegrationRollingUpdate(t *testing.T) {
	h := startController(t)
	tests := []struct {
		name               string
		replicas           int32
		surge, unavailable string
		wantSurge, wantU   int32
	}{
		{"defaults-of-4", 4, "25%", "25%", 1, 1},
		{"surge-only", 5, "1", "0", 1, 0},
		{"unavailable-only", 5, "0", "2", 0, 2},
		{"percentages", 10, "30%", "20%", 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			d := h.create(newDeployment(tt.name, tt.replicas, rolling(tt.surge, tt.unavailable)))
			d, rss := h.rollOut(tt.name, nil)
			if len(rss) != 1 {
				t.Fatalf("replica sets after the first rollout: %s", describe(rss))
			}
			old := rss[0]

			d = h.update(tt.name, image("nginx:2"))
			steps := 0
			last := ""
			d, rss = h.rollOut(tt.name, func(d *api.Deployment, rss []*api.ReplicaSet) {
				h.bounds(tt.replicas, tt.wantSurge, tt.wantU)(d, rss)
				if s := describe(rss); s != last {
					steps++
					last = s
				}
			})
			if len(rss) != 2 || rss[0].Name != old.Name {
				t.Fatalf("replica sets after the update: %s", describe(rss))
			}
			newRS := rss[1]
			if want := tt.name + "-" + ComputeHash(&d.Spec.Template, nil); newRS.Name != want {
				t.Errorf("new replica set %s, want %s", newRS.Name, want)
			}
			if specReplicas(newRS) != tt.replicas || specReplicas(rss[0]) != 0 {
				t.Errorf("replica sets %s, want the new one at %d and the old at 0", describe(rss), tt.replicas)
			}
			if newRS.Annotations[RevisionAnnotation] != "2" || rss[0].Annotations[RevisionAnnotation] != "1" || d.Annotations[RevisionAnnotation] != "2" {
				t.Errorf("revisions: new %q, old %q, deployment %q; want 2, 1, 2", newRS.Annotations[RevisionAnnotation],
					rss[0].Annotations[RevisionAnnotation], d.Annotations[RevisionAnnotation])
			}
			if steps < 3 {
				t.Errorf("the rollout took %d states; a rolling update should take several", steps)
			}
			h.waitCondition(tt.name, api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable)
			events := h.scalingEvents(tt.name)
			h.waitFor("the last scale-down event", func() (bool, string) {
				events = h.scalingEvents(tt.name)
				for _, e := range events {
					var to, from int
					if n, _ := fmt.Sscanf(e, "Scaled down replica set "+old.Name+" to %d from %d", &to, &from); n == 2 && to == 0 {
						return true, ""
					}
				}
				return false, fmt.Sprintf("%q", events)
			})
		})
	}
}

func TestIntegrationRecreate(t *testing.T) {
	h := startController(t)
	h.create(newDeployment("web", 3, func(d *api.Deployment) {
		d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
	}))
	d, rss := h.rollOut("web", nil)
	old := rss[0]

	// A pod of the old ReplicaSet, which Recreate must wait for.
	yes := true
	pod, err := h.pods.Create(h.ctx, &api.Pod{
		ObjectMeta: api.ObjectMeta{
			Name: old.Name + "-abcde", Namespace: old.Namespace, Labels: old.Spec.Template.Labels,
			OwnerReferences: []api.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: old.Name, UID: old.UID, Controller: &yes}},
		},
		Spec: old.Spec.Template.Spec,
	})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}

	d = h.update("web", image("nginx:2"))
	h.waitFor("the old replica set to be scaled to 0", func() (bool, string) {
		rss := h.replicaSets(d)
		return len(rss) == 1 && specReplicas(rss[0]) == 0, describe(rss)
	})
	// Its pods are gone as far as its status goes, but one is still there.
	h.settle(h.replicaSet(old.Name))
	h.waitFor("the deployment to count no pods", func() (bool, string) {
		d := h.get("web")
		return d.Status.ObservedGeneration == d.Generation && d.Status.Replicas == 0, fmt.Sprintf("%+v", d.Status)
	})
	if rss := h.replicaSets(d); len(rss) != 1 {
		t.Fatalf("a new replica set while an old pod runs: %s", describe(rss))
	}

	zero := int64(0)
	if err := h.pods.Delete(h.ctx, pod.Name, &api.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	d, rss = h.rollOut("web", h.bounds(3, 0, 3))
	if len(rss) != 2 || specReplicas(rss[1]) != 3 || rss[1].Annotations[RevisionAnnotation] != "2" || d.Annotations[RevisionAnnotation] != "2" {
		t.Fatalf("after the rollout: %s, deployment revision %q", describe(rss), d.Annotations[RevisionAnnotation])
	}
	h.waitEvents("web", "Scaled down replica set "+old.Name+" to 0 from 3", "Scaled up replica set "+rss[1].Name+" to 3")
}

func TestIntegrationRollback(t *testing.T) {
	h := startController(t)
	h.create(newDeployment("web", 3))
	_, rss := h.rollOut("web", nil)
	v1 := rss[0]
	h.update("web", image("nginx:2"))
	_, rss = h.rollOut("web", nil)
	v2 := rss[1]

	// What `kubectl rollout undo` sends: the old ReplicaSet's template, without
	// its hash label.
	tpl := api.DeepCopy(v1.Spec.Template)
	delete(tpl.Labels, HashLabel)
	patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/template", "value": tpl}})
	if _, err := h.deploys.Patch(h.ctx, "web", client.JSONPatch, patch, ""); err != nil {
		t.Fatalf("patch the template back: %v", err)
	}
	d, rss := h.rollOut("web", h.bounds(3, 1, 0))
	if len(rss) != 2 {
		t.Fatalf("rollback made a replica set: %s", describe(rss))
	}
	back := h.replicaSet(v1.Name)
	if back.UID != v1.UID || specReplicas(back) != 3 {
		t.Errorf("the first replica set is not the one running: %s", describe(rss))
	}
	if back.Annotations[RevisionAnnotation] != "3" || back.Annotations[RevisionHistoryAnnotation] != "1" {
		t.Errorf("reused replica set annotations %v, want revision 3 and history 1", back.Annotations)
	}
	if got := h.replicaSet(v2.Name).Annotations[RevisionAnnotation]; got != "2" || specReplicas(h.replicaSet(v2.Name)) != 0 {
		t.Errorf("second replica set: revision %q, %d replicas; want 2 and 0", got, specReplicas(h.replicaSet(v2.Name)))
	}
	if got := d.Annotations[RevisionAnnotation]; got != "3" {
		t.Errorf("deployment revision %q, want 3", got)
	}
}

func TestIntegrationPauseResume(t *testing.T) {
	h := startController(t)
	h.create(newDeployment("web", 3))
	_, rss := h.rollOut("web", nil)
	old := rss[0]

	h.update("web", func(d *api.Deployment) { d.Spec.Paused = true })
	h.waitCondition("web", api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentPaused)

	// A new template while paused: no rollout.
	d := h.update("web", image("nginx:2"))
	h.waitFor("the paused template change to be observed", func() (bool, string) {
		got := h.get("web")
		return got.Status.ObservedGeneration == d.Generation, fmt.Sprintf("observed %d of %d", got.Status.ObservedGeneration, d.Generation)
	})
	// Scaling still applies, to the replica set there is.
	h.update("web", func(d *api.Deployment) { d.Spec.Replicas = ptr(int32(5)) })
	h.waitFor("the old replica set to be scaled to 5", func() (bool, string) {
		rs := h.replicaSet(old.Name)
		return specReplicas(rs) == 5 && rs.Annotations[DesiredReplicasAnnotation] == "5", describe([]*api.ReplicaSet{rs})
	})
	h.settle(h.replicaSet(old.Name))
	h.waitFor("the paused deployment to count 5 pods", func() (bool, string) {
		got := h.get("web")
		return got.Status.Replicas == 5 && got.Status.AvailableReplicas == 5, fmt.Sprintf("%+v", got.Status)
	})
	d = h.get("web")
	if rss := h.replicaSets(d); len(rss) != 1 {
		t.Fatalf("a paused deployment rolled out: %s", describe(rss))
	}
	if got := d.Annotations[RevisionAnnotation]; got != "1" {
		t.Errorf("paused deployment revision %q, want 1", got)
	}
	if p := getCondition(d.Status, api.DeploymentProgressing); p == nil || p.Reason != ReasonDeploymentPaused {
		t.Errorf("Progressing %+v, want DeploymentPaused", p)
	}

	h.update("web", func(d *api.Deployment) { d.Spec.Paused = false })
	d, rss = h.rollOut("web", h.bounds(5, 2, 1))
	if len(rss) != 2 || specReplicas(rss[1]) != 5 || d.Annotations[RevisionAnnotation] != "2" {
		t.Fatalf("after resuming: %s, revision %q", describe(rss), d.Annotations[RevisionAnnotation])
	}
	h.waitCondition("web", api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable)
}

func TestIntegrationRevisionHistoryLimit(t *testing.T) {
	h := startController(t)
	h.create(newDeployment("web", 2, func(d *api.Deployment) { d.Spec.RevisionHistoryLimit = ptr(int32(1)) }))
	h.rollOut("web", nil)
	for i := 2; i <= 4; i++ {
		h.update("web", image("nginx:"+strconv.Itoa(i)))
		h.rollOut("web", nil)
	}
	d := h.get("web")
	h.waitFor("history trimmed to one old replica set", func() (bool, string) {
		rss := h.replicaSets(d)
		if len(rss) != 2 {
			return false, describe(rss)
		}
		return rss[0].Annotations[RevisionAnnotation] == "3" && rss[1].Annotations[RevisionAnnotation] == "4", describe(rss)
	})
}

func TestIntegrationProgressDeadline(t *testing.T) {
	h := startController(t)
	d := h.create(newDeployment("web", 2, func(d *api.Deployment) { d.Spec.ProgressDeadlineSeconds = ptr(int32(2)) }))
	name := "web-" + ComputeHash(&d.Spec.Template, nil)

	// No ReplicaSet controller: the pods never come.
	timedOut := h.waitCondition("web", api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded)
	if want := fmt.Sprintf("ReplicaSet %q has timed out progressing.", name); timedOut.Message != want {
		t.Errorf("Progressing message %q, want %q", timedOut.Message, want)
	}
	h.waitCondition("web", api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable)

	// The pods come after all.
	h.rollOut("web", nil)
	h.waitCondition("web", api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable)
	h.waitCondition("web", api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable)
}

func TestIntegrationProportionalScaling(t *testing.T) {
	h := startController(t)
	h.create(newDeployment("web", 10, rolling("3", "2")))
	_, rss := h.rollOut("web", nil)
	old := rss[0]

	// The first steps of the rollout, then no new pods come: the new replica
	// set at 3, the old one down to 8 (10 - maxUnavailable), the new one up to
	// 5 (10 + maxSurge - 8).
	d := h.update("web", image("nginx:2"))
	var newName string
	h.waitFor("the first rolling steps", func() (bool, string) {
		rss := h.replicaSets(d)
		if len(rss) != 2 || specReplicas(rss[0]) != 8 || specReplicas(rss[1]) != 5 {
			return false, describe(rss)
		}
		newName = rss[1].Name
		return true, ""
	})

	// Scaled to 20 mid-rollout: 23 replicas in all, shared in proportion
	// (8·23/13 ≈ 14, 5·23/13 ≈ 9).
	h.update("web", func(d *api.Deployment) { d.Spec.Replicas = ptr(int32(20)) })
	h.waitFor("proportional scaling", func() (bool, string) {
		o, n := h.replicaSet(old.Name), h.replicaSet(newName)
		ok := specReplicas(o) == 14 && specReplicas(n) == 9
		for _, rs := range []*api.ReplicaSet{o, n} {
			ok = ok && rs.Annotations[DesiredReplicasAnnotation] == "20" && rs.Annotations[MaxReplicasAnnotation] == "23"
		}
		return ok, describe([]*api.ReplicaSet{o, n})
	})
	h.waitEvents("web", "Scaled up replica set "+old.Name+" to 14 from 8", "Scaled up replica set "+newName+" to 9 from 5")

	d, rss = h.rollOut("web", h.bounds(20, 3, 2))
	if len(rss) != 2 || specReplicas(rss[1]) != 20 || specReplicas(rss[0]) != 0 {
		t.Fatalf("after the rollout: %s", describe(rss))
	}
}

func TestIntegrationAdoptAndRelease(t *testing.T) {
	h := startController(t)
	// An orphan of the Deployment's template, made before it.
	tmpl := newDeployment("web", 2).Spec.Template
	tmpl.Labels = withLabel(tmpl.Labels, HashLabel, "manual")
	orphan, err := h.rss.Create(h.ctx, &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: "web-manual", Namespace: api.NamespaceDefault, Labels: tmpl.Labels},
		Spec: api.ReplicaSetSpec{
			Replicas: ptr(int32(2)),
			Selector: &api.LabelSelector{MatchLabels: tmpl.Labels},
			Template: tmpl,
		},
	})
	if err != nil {
		t.Fatalf("create orphan: %v", err)
	}
	// The orphan must exist for the controller when the Deployment appears;
	// one it has not seen yet cannot be adopted (as in Kubernetes).
	h.waitFor("the orphan in the controller's cache", func() (bool, string) {
		_, ok := h.informers.ReplicaSets().Get(api.NamespaceDefault + "/web-manual")
		return ok, "not yet"
	})
	d := h.create(newDeployment("web", 2))
	d, rss := h.rollOut("web", nil)
	if len(rss) != 1 || rss[0].UID != orphan.UID {
		t.Fatalf("replica sets %s, want the adopted orphan alone", describe(rss))
	}
	if rss[0].Annotations[RevisionAnnotation] != "1" {
		t.Errorf("adopted replica set annotations %v, want revision 1", rss[0].Annotations)
	}

	// Its labels no longer match: released, and a replica set of the
	// Deployment's own made.
	rs := api.DeepCopy(rss[0])
	rs.Labels = map[string]string{"app": "other"}
	if _, err := h.rss.Update(h.ctx, rs); err != nil {
		t.Fatalf("relabel: %v", err)
	}
	h.waitFor("release", func() (bool, string) {
		rs := h.replicaSet("web-manual")
		return controllerRefOf(&rs.ObjectMeta) == nil, fmt.Sprintf("owner references %+v", rs.OwnerReferences)
	})
	_, rss = h.rollOut("web", nil)
	if want := "web-" + ComputeHash(&d.Spec.Template, nil); len(rss) != 1 || rss[0].Name != want {
		t.Fatalf("replica sets %s, want %s alone", describe(rss), want)
	}
}
