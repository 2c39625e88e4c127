package deployment

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/controller"
)

// harness runs a real apiserver and this controller alone. The test stands in
// for the ReplicaSet controller: settle sets a ReplicaSet's status to its spec,
// as if its pods had all been created and become available at once.
type harness struct {
	t          *testing.T
	ctx        context.Context
	kubeconfig string
	deploys    *client.Resource[*api.Deployment]
	rss        *client.Resource[*api.ReplicaSet]
	pods       *client.Resource[*api.Pod]
	events     *client.Resource[*api.Event]
	// informers are the controller's; tests wait on them to know what it sees.
	informers *controller.Informers
}

// waitTimeout bounds every wait of the integration tests.
const waitTimeout = 30 * time.Second

func startController(t *testing.T) *harness {
	t.Helper()
	s := apiservertest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testLog{t: t}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cc := &controller.Context{
		Client:    s.Client,
		Informers: controller.NewInformers(s.Client, log),
		Events:    record.New(s.Client, api.EventSource{Component: "controller-manager"}, log),
		Metrics:   controller.NewMetrics(),
		Log:       log,
	}
	ctl := New(cc)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); cc.Events.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		logs.close()
	})
	if !cc.Informers.Start(ctx) {
		t.Fatal("informers did not sync")
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ctl.Run(ctx); err != nil {
			t.Errorf("controller: %v", err)
		}
	}()
	ns := api.NamespaceDefault
	return &harness{
		t: t, ctx: ctx, kubeconfig: s.Kubeconfig,
		deploys: client.Deployments(s.Client, ns), rss: client.ReplicaSets(s.Client, ns),
		pods: client.Pods(s.Client, ns), events: client.Events(s.Client, ns),
		informers: cc.Informers,
	}
}

// testLog sends logs to t.Log until the test is over; the informers'
// goroutines are not waited for and may still log after that.
type testLog struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
}

// newDeployment is a Deployment of replicas nginx:1 pods labelled app=name.
func newDeployment(name string, replicas int32, mutate ...func(*api.Deployment)) *api.Deployment {
	d := &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: api.NamespaceDefault},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "nginx:1"}}},
			},
		},
	}
	for _, m := range mutate {
		m(d)
	}
	return d
}

func rolling(surge, unavailable string) func(*api.Deployment) {
	return func(d *api.Deployment) {
		d.Spec.Strategy = api.DeploymentStrategy{
			Type:          api.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: intOrPercent(surge), MaxUnavailable: intOrPercent(unavailable)},
		}
	}
}

func image(img string) func(*api.Deployment) {
	return func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = img }
}

func (h *harness) create(d *api.Deployment) *api.Deployment {
	h.t.Helper()
	out, err := h.deploys.Create(h.ctx, d)
	if err != nil {
		h.t.Fatalf("create deployment %s: %v", d.Name, err)
	}
	return out
}

func (h *harness) get(name string) *api.Deployment {
	h.t.Helper()
	d, err := h.deploys.Get(h.ctx, name)
	if err != nil {
		h.t.Fatalf("get deployment %s: %v", name, err)
	}
	return d
}

// update changes a Deployment, retrying when the controller's status writes
// get in the way.
func (h *harness) update(name string, mutate ...func(*api.Deployment)) *api.Deployment {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		d := h.get(name)
		for _, m := range mutate {
			m(d)
		}
		out, err := h.deploys.Update(h.ctx, d)
		if err == nil {
			return out
		}
		if !api.IsConflict(err) || time.Now().After(deadline) {
			h.t.Fatalf("update deployment %s: %v", name, err)
		}
	}
}

// replicaSets returns the ReplicaSets d controls, lowest revision first
// (creation times have only seconds, too coarse to order them).
func (h *harness) replicaSets(d *api.Deployment) []*api.ReplicaSet {
	h.t.Helper()
	list, err := h.rss.List(h.ctx, client.ListOptions{})
	if err != nil {
		h.t.Fatalf("list replica sets: %v", err)
	}
	var out []*api.ReplicaSet
	for _, rs := range list.Items {
		if ref := controllerRefOf(&rs.ObjectMeta); ref != nil && ref.UID == d.UID {
			out = append(out, rs)
		}
	}
	slices.SortStableFunc(out, func(a, b *api.ReplicaSet) int {
		ra, _ := revisionOf(a)
		rb, _ := revisionOf(b)
		return cmp.Compare(ra, rb)
	})
	return out
}

func (h *harness) replicaSet(name string) *api.ReplicaSet {
	h.t.Helper()
	rs, err := h.rss.Get(h.ctx, name)
	if err != nil {
		h.t.Fatalf("get replica set %s: %v", name, err)
	}
	return rs
}

// settle plays the ReplicaSet controller for rss: each status becomes its
// spec, every pod ready and available. A conflict (the controller scaled the
// ReplicaSet meanwhile) is left for the next round.
func (h *harness) settle(rss ...*api.ReplicaSet) {
	h.t.Helper()
	for _, rs := range rss {
		n := specReplicas(rs)
		s := rs.Status
		if s.Replicas == n && s.ReadyReplicas == n && s.AvailableReplicas == n && s.ObservedGeneration == rs.Generation {
			continue
		}
		cp := api.DeepCopy(rs)
		cp.Status = api.ReplicaSetStatus{Replicas: n, FullyLabeledReplicas: n, ReadyReplicas: n, AvailableReplicas: n, ObservedGeneration: rs.Generation}
		if _, err := h.rss.UpdateStatus(h.ctx, cp); err != nil && !api.IsConflict(err) && !api.IsNotFound(err) {
			h.t.Fatalf("set status of replica set %s: %v", rs.Name, err)
		}
	}
}

// waitFor polls cond until it holds, failing the test with cond's last word
// after waitTimeout.
func (h *harness) waitFor(what string, cond func() (bool, string)) {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("waited %v for %s: %s", waitTimeout, what, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rollOut plays the ReplicaSet controller until the Deployment's rollout is
// complete, calling check (if any) with every state of its ReplicaSets it sees.
// It returns the Deployment and its ReplicaSets at the end.
func (h *harness) rollOut(name string, check func(d *api.Deployment, rss []*api.ReplicaSet)) (*api.Deployment, []*api.ReplicaSet) {
	h.t.Helper()
	var d *api.Deployment
	var rss []*api.ReplicaSet
	h.waitFor("deployment "+name+" to roll out", func() (bool, string) {
		d = h.get(name)
		rss = h.replicaSets(d)
		if check != nil {
			check(d, rss)
		}
		if complete, why := rolledOut(d, rss); complete {
			return true, ""
		} else {
			h.settle(rss...)
			return false, why
		}
	})
	return d, rss
}

// rolledOut reports a Deployment whose status says its rollout is complete,
// matching its ReplicaSets: what `kubectl rollout status` waits for.
func rolledOut(d *api.Deployment, rss []*api.ReplicaSet) (bool, string) {
	want := *d.Spec.Replicas
	s := d.Status
	state := fmt.Sprintf("generation %d observed %d; replicas %d updated %d available %d (want %d); replica sets %s",
		d.Generation, s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas, want, describe(rss))
	if s.ObservedGeneration < d.Generation || s.UpdatedReplicas != want || s.Replicas != want || s.AvailableReplicas != want {
		return false, state
	}
	// The status may be behind the ReplicaSets (one was just released, say).
	if sumSpecReplicas(rss) != want {
		return false, state
	}
	for _, rs := range rss {
		if rs.Status.Replicas != specReplicas(rs) || rs.Status.AvailableReplicas != specReplicas(rs) {
			return false, state
		}
	}
	return true, state
}

func describe(rss []*api.ReplicaSet) string {
	var parts []string
	for _, rs := range rss {
		parts = append(parts, fmt.Sprintf("%s(rev %s: %d/%d available)", rs.Name, rs.Annotations[RevisionAnnotation],
			rs.Status.AvailableReplicas, specReplicas(rs)))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// waitCondition waits for the Deployment's condition of typ to have status and
// reason (and, when the generation changed, for it to be observed).
func (h *harness) waitCondition(name, typ, status, reason string) *api.DeploymentCondition {
	h.t.Helper()
	var got *api.DeploymentCondition
	h.waitFor(fmt.Sprintf("%s condition %s=%s (%s)", name, typ, status, reason), func() (bool, string) {
		d := h.get(name)
		got = getCondition(d.Status, typ)
		if d.Status.ObservedGeneration < d.Generation || got == nil || got.Status != status || got.Reason != reason {
			return false, fmt.Sprintf("conditions %+v, observed generation %d of %d", d.Status.Conditions, d.Status.ObservedGeneration, d.Generation)
		}
		return true, ""
	})
	return got
}

// scalingEvents returns the messages of the ScalingReplicaSet events about
// the Deployment.
func (h *harness) scalingEvents(name string) []string {
	h.t.Helper()
	list, err := h.events.List(h.ctx, client.ListOptions{})
	if err != nil {
		h.t.Fatalf("list events: %v", err)
	}
	var out []string
	for _, ev := range list.Items {
		if ev.InvolvedObject.Kind == kind && ev.InvolvedObject.Name == name && ev.Reason == "ScalingReplicaSet" {
			out = append(out, ev.Message)
		}
	}
	return out
}

// waitEvents waits until every message in want has been recorded.
func (h *harness) waitEvents(name string, want ...string) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("events %q", want), func() (bool, string) {
		got := h.scalingEvents(name)
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false, fmt.Sprintf("events so far: %q", got)
			}
		}
		return true, ""
	})
}

// bounds returns a check that no state of the rollout exceeds
// replicas+surge ReplicaSet replicas or drops below replicas-unavailable
// available pods. (Pods, as the ReplicaSets' status.replicas count them, may
// exceed replicas+surge for a while: as in Kubernetes, the surge bounds the
// ReplicaSets' spec, and the pods of a scaled-down one are still counted until
// they are gone.)
// A Deployment scaled up mid-rollout has fewer available pods than that to
// begin with: the floor holds from when it is first reached.
func (h *harness) bounds(replicas, surge, unavailable int32) func(*api.Deployment, []*api.ReplicaSet) {
	reached := false
	return func(d *api.Deployment, rss []*api.ReplicaSet) {
		h.t.Helper()
		if total := sumSpecReplicas(rss); total > replicas+surge {
			h.t.Fatalf("%d replicas in the replica sets, more than %d + maxSurge %d: %s", total, replicas, surge, describe(rss))
		}
		avail := sumAvailableReplicas(rss)
		if reached && avail < replicas-unavailable {
			h.t.Fatalf("%d pods available, fewer than %d - maxUnavailable %d: %s", avail, replicas, unavailable, describe(rss))
		}
		reached = reached || avail >= replicas-unavailable
	}
}
