package deployment

import (
	"context"
	"log/slog"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller"
)

// Tests of syncs whose caches are behind the apiserver, as a loaded
// controller-manager's are: the watch of one resource can lag the other's, and
// the controller's own writes, by seconds. The rollout bounds must hold
// whatever the caches show.

// feed is a ListWatcher whose one watch the test feeds by hand, so that an
// informer's cache shows exactly what the test has shown it.
type feed[T api.Object] struct {
	ch  chan client.Event[T]
	inf *client.Informer[T]
}

var _ client.ListWatcher[*api.ReplicaSet] = (*feed[*api.ReplicaSet])(nil)

func newFeed[T api.Object](ctx context.Context, t *testing.T, log *slog.Logger) *feed[T] {
	t.Helper()
	f := &feed[T]{ch: make(chan client.Event[T])}
	f.inf = client.NewInformer[T](f, client.ListOptions{}, log)
	f.inf.AddIndex(namespaceIndex, byNamespace[T])
	go f.inf.Run(ctx)
	if !f.inf.WaitForSync(ctx) {
		t.Fatal("informer did not sync")
	}
	return f
}

func (f *feed[T]) List(context.Context, client.ListOptions) (*api.List[T], error) {
	return &api.List[T]{ListMeta: api.ListMeta{ResourceVersion: "1"}}, nil
}

func (f *feed[T]) Watch(context.Context, client.ListOptions) (<-chan client.Event[T], error) {
	return f.ch, nil
}

// show puts objs in the cache. The informer takes one event at a time, so once
// the trailing bookmark is taken the objects are in.
func (f *feed[T]) show(objs ...T) {
	for _, o := range objs {
		f.ch <- client.Event[T]{Type: api.Modified, Object: o}
	}
	if len(objs) > 0 {
		f.ch <- client.Event[T]{Type: api.Bookmark, Object: objs[len(objs)-1]}
	}
}

// lagging is the controller with caches that show only what the test feeds
// them; the test calls sync itself and checks the bounds after every call.
type lagging struct {
	t        *testing.T
	ctx      context.Context
	ctl      *Controller
	deploys  *client.Resource[*api.Deployment]
	rss      *client.Resource[*api.ReplicaSet]
	dCache   *feed[*api.Deployment]
	rsCache  *feed[*api.ReplicaSet]
	name     string
	reached  bool // the floor of available pods was reached
	replicas int32
	surge    int32
	unavail  int32
}

func newLagging(t *testing.T) *lagging {
	t.Helper()
	s := apiservertest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testLog{t: t}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctl := New(&controller.Context{Client: s.Client, Informers: controller.NewInformers(s.Client, log), Metrics: controller.NewMetrics(), Log: log})
	l := &lagging{
		t: t, ctx: ctx, ctl: ctl,
		deploys: client.Deployments(s.Client, api.NamespaceDefault), rss: client.ReplicaSets(s.Client, api.NamespaceDefault),
		dCache: newFeed[*api.Deployment](ctx, t, log), rsCache: newFeed[*api.ReplicaSet](ctx, t, log),
	}
	ctl.deployments, ctl.replicaSets = l.dCache.inf, l.rsCache.inf
	t.Cleanup(func() {
		cancel()
		ctl.queue.ShutDown()
		logs.close()
	})
	return l
}

// create creates d in the apiserver and shows it in the Deployment cache.
func (l *lagging) create(d *api.Deployment) {
	l.t.Helper()
	out, err := l.deploys.Create(l.ctx, d)
	if err != nil {
		l.t.Fatalf("create deployment: %v", err)
	}
	l.name = out.Name
	l.setBounds(out)
	l.dCache.show(out)
}

// setBounds takes the bounds from d. Scaled up, a Deployment has fewer
// available pods than the new floor: it holds from when it is first reached.
func (l *lagging) setBounds(d *api.Deployment) {
	if desiredReplicas(d) > l.replicas {
		l.reached = false
	}
	l.replicas, l.surge, l.unavail = desiredReplicas(d), maxSurge(d), maxUnavailable(d)
}

// update changes the Deployment in the apiserver and shows it in the
// Deployment cache; the ReplicaSet cache stays where it is. Only scaling up
// is supported: the bounds checked are the new ones.
func (l *lagging) update(mutate func(*api.Deployment)) {
	l.t.Helper()
	d, err := l.deploys.Get(l.ctx, l.name)
	if err != nil {
		l.t.Fatalf("get deployment: %v", err)
	}
	mutate(d)
	out, err := l.deploys.Update(l.ctx, d)
	if err != nil {
		l.t.Fatalf("update deployment: %v", err)
	}
	if desiredReplicas(out) < l.replicas {
		l.t.Fatalf("scaled down to %d: the bounds of %d replicas no longer apply", desiredReplicas(out), l.replicas)
	}
	l.setBounds(out)
	l.dCache.show(out)
}

// replicaSets lists the ReplicaSets in the apiserver.
func (l *lagging) replicaSets() []*api.ReplicaSet {
	l.t.Helper()
	list, err := l.rss.List(l.ctx, client.ListOptions{})
	if err != nil {
		l.t.Fatalf("list replica sets: %v", err)
	}
	return list.Items
}

// catchUp shows both caches what the apiserver has.
func (l *lagging) catchUp() {
	l.t.Helper()
	d, err := l.deploys.Get(l.ctx, l.name)
	if err != nil {
		l.t.Fatalf("get deployment: %v", err)
	}
	l.dCache.show(d)
	l.rsCache.show(l.replicaSets()...)
}

// settle plays the ReplicaSet controller: every ReplicaSet's pods are there
// and available. The caches are not told.
func (l *lagging) settle() {
	l.t.Helper()
	for _, rs := range l.replicaSets() {
		n := specReplicas(rs)
		rs.Status = api.ReplicaSetStatus{Replicas: n, FullyLabeledReplicas: n, ReadyReplicas: n, AvailableReplicas: n, ObservedGeneration: rs.Generation}
		if _, err := l.rss.UpdateStatus(l.ctx, rs); err != nil {
			l.t.Fatalf("set status of replica set %s: %v", rs.Name, err)
		}
	}
}

// sync runs one sync (an error is what the worker would retry) and checks
// the bounds on what the apiserver holds afterwards.
func (l *lagging) sync() {
	l.t.Helper()
	if err := l.ctl.sync(l.ctx, api.NamespaceDefault+"/"+l.name); err != nil {
		l.t.Logf("sync: %v", err)
	}
	rss := l.replicaSets()
	if total := sumSpecReplicas(rss); total > l.replicas+l.surge {
		l.t.Fatalf("%d replicas in the replica sets, more than %d + maxSurge %d: %s", total, l.replicas, l.surge, describe(rss))
	}
	avail := int32(0)
	for _, rs := range rss {
		avail += availableEstimate(rs)
	}
	if l.reached && avail < l.replicas-l.unavail {
		l.t.Fatalf("%d pods available, fewer than %d - maxUnavailable %d: %s", avail, l.replicas, l.unavail, describe(rss))
	}
	l.reached = l.reached || avail >= l.replicas-l.unavail
}

// rollOut syncs with caches that keep up, settling the ReplicaSets, until the
// sizes stop changing; it returns the ReplicaSets then.
func (l *lagging) rollOut() []*api.ReplicaSet {
	l.t.Helper()
	last := ""
	for range 50 {
		l.catchUp()
		l.sync()
		l.settle()
		rss := l.replicaSets()
		s := describe(rss)
		if s == last {
			return rss
		}
		last = s
	}
	l.t.Fatalf("the rollout did not settle: %s", last)
	return nil
}

func sizes(rss []*api.ReplicaSet) map[string]int32 {
	out := map[string]int32{}
	for _, rs := range rss {
		out[rs.Spec.Template.Spec.Containers[0].Image] = specReplicas(rs)
	}
	return out
}

// TestLaggingCacheOwnReplicaSet: the ReplicaSet cache shows nothing of a
// whole first rollout (the ReplicaSet's watch is that far behind), then the
// template changes. What TestIntegrationProportionalScaling once met under
// load: the new ReplicaSet created at 10 beside the old one's 10 (and the old
// one then scaled to 8), 20 replicas where maxSurge allows 13.
func TestLaggingCacheOwnReplicaSet(t *testing.T) {
	l := newLagging(t)
	l.create(newDeployment("web", 10, rolling("3", "2")))
	l.sync() // creates the first ReplicaSet, at 10
	l.settle()
	for range 3 {
		l.sync()
	}
	l.update(func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	for range 3 {
		l.sync()
	}

	// Once the cache catches up: the first steps of the rollout, as
	// TestIntegrationProportionalScaling expects them.
	l.catchUp()
	l.sync() // the new ReplicaSet at 3, the old one down to 8
	l.catchUp()
	l.sync() // the new one up to 5
	got := sizes(l.replicaSets())
	if got["nginx:1"] != 8 || got["nginx:2"] != 5 {
		t.Fatalf("replica sets %v, want nginx:1 at 8 and nginx:2 at 5", got)
	}
	if rss := l.rollOut(); sizes(rss)["nginx:2"] != 10 || sizes(rss)["nginx:1"] != 0 {
		t.Fatalf("after the rollout: %s", describe(rss))
	}
}

// TestLaggingCacheOwnScaleUp: the cache has not seen the controller scale the
// new ReplicaSet up when the template changes again.
func TestLaggingCacheOwnScaleUp(t *testing.T) {
	l := newLagging(t)
	l.create(newDeployment("web", 10, rolling("3", "2")))
	l.rollOut()
	l.update(func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	l.catchUp()
	l.sync() // nginx:2 at 3, nginx:1 down to 8
	l.catchUp()
	l.sync() // nginx:2 up to 5; the cache still has it at 3
	l.update(func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:3" })
	for range 3 {
		l.sync()
	}
	if rss := l.rollOut(); sizes(rss)["nginx:3"] != 10 || sumSpecReplicas(rss) != 10 {
		t.Fatalf("after the rollout: %s", describe(rss))
	}
}

// TestLaggingCacheProportionalScaling: the cache has not seen the controller
// scale the new ReplicaSet up (from 1 to 6) when the Deployment is scaled up.
// Shared out in proportion to the sizes the cache shows, the new one would get
// 2 and the old one the rest, 19; the old one's copy is current, so its write
// would succeed (the new one's would conflict): 25 replicas where maxSurge
// allows 21.
func TestLaggingCacheProportionalScaling(t *testing.T) {
	l := newLagging(t)
	l.create(newDeployment("web", 10, rolling("1", "5")))
	l.rollOut()
	l.update(func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	l.catchUp()
	l.sync() // nginx:2 at 1, nginx:1 down to 5
	l.catchUp()
	l.sync() // nginx:2 up to 6; the cache still has it at 1
	if got := sizes(l.replicaSets()); got["nginx:1"] != 5 || got["nginx:2"] != 6 {
		t.Fatalf("replica sets %v, want nginx:1 at 5 and nginx:2 at 6", got)
	}
	l.update(func(d *api.Deployment) { d.Spec.Replicas = ptr(int32(20)) })
	for range 3 {
		l.sync()
	}

	// Once the cache catches up: 21 in proportion (6·21/11 ≈ 11, 5·21/11 ≈ 10).
	l.catchUp()
	l.sync()
	if got := sizes(l.replicaSets()); got["nginx:1"] != 10 || got["nginx:2"] != 11 {
		t.Fatalf("replica sets %v, want nginx:1 at 10 and nginx:2 at 11", got)
	}
	if rss := l.rollOut(); sizes(rss)["nginx:2"] != 20 || sumSpecReplicas(rss) != 20 {
		t.Fatalf("after the rollout: %s", describe(rss))
	}
}

// TestLaggingCacheOrphan: a ReplicaSet the Deployment would adopt exists, but
// the cache has not shown it yet (what TestIntegrationAdoptAndRelease meets
// under load).
func TestLaggingCacheOrphan(t *testing.T) {
	l := newLagging(t)
	tmpl := newDeployment("web", 2).Spec.Template
	tmpl.Labels = withLabel(tmpl.Labels, HashLabel, "manual")
	orphan, err := l.rss.Create(l.ctx, &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: "web-manual", Namespace: api.NamespaceDefault, Labels: tmpl.Labels},
		Spec:       api.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: &api.LabelSelector{MatchLabels: tmpl.Labels}, Template: tmpl},
	})
	if err != nil {
		t.Fatalf("create orphan: %v", err)
	}
	l.create(newDeployment("web", 2))
	for range 3 {
		l.sync()
	}
	rss := l.rollOut()
	if len(rss) != 1 || rss[0].UID != orphan.UID || specReplicas(rss[0]) != 2 {
		t.Fatalf("replica sets %s, want the adopted orphan alone", describe(rss))
	}
	if ref := controllerRefOf(&rss[0].ObjectMeta); ref == nil || ref.Name != "web" {
		t.Errorf("the orphan was not adopted: owner references %+v", rss[0].OwnerReferences)
	}
}
