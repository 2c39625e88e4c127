package pods

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/agent/network"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/agent/runtime/fake"
	"skiff/pkg/api"
)

const (
	testNode   = "node-1"
	testNodeIP = "192.0.2.10"
	testImage  = "registry.local/busybox:1.36"
)

// epoch is where fake clocks start.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock only moves when Step is called.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
}

type clockWaiter struct {
	t  time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{t: t, ch: ch})
	return ch
}

// Step moves the clock forward by d and fires the waiters that are due.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.t.After(c.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = keep
}

// fakeNetwork hands out one IP and records calls.
type fakeNetwork struct {
	mu        sync.Mutex
	ip        string
	err       error
	setups    []network.PodRef
	ports     [][]network.PortMapping
	teardowns []network.PodRef
	netns     []string // of teardowns
}

var _ Network = (*fakeNetwork)(nil)

func (n *fakeNetwork) SetUp(ctx context.Context, pod network.PodRef, netnsPath string, ports []network.PortMapping) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return "", n.err
	}
	n.setups = append(n.setups, pod)
	n.ports = append(n.ports, ports)
	return n.ip, nil
}

func (n *fakeNetwork) TearDown(ctx context.Context, pod network.PodRef, netnsPath string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.teardowns = append(n.teardowns, pod)
	n.netns = append(n.netns, netnsPath)
	return nil
}

func (n *fakeNetwork) counts(uid string) (setups, teardowns int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.setups {
		if p.UID == uid {
			setups++
		}
	}
	for _, p := range n.teardowns {
		if p.UID == uid {
			teardowns++
		}
	}
	return setups, teardowns
}

// fakeStatus records what the workers write.
type fakeStatus struct {
	mu      sync.Mutex
	history map[string][]api.PodStatus
	deleted map[string]*api.Pod
}

var _ StatusWriter = (*fakeStatus)(nil)

func newFakeStatus() *fakeStatus {
	return &fakeStatus{history: map[string][]api.PodStatus{}, deleted: map[string]*api.Pod{}}
}

func (s *fakeStatus) SetPodStatus(ctx context.Context, pod *api.Pod, status api.PodStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.deleted[pod.UID]; ok {
		return ErrPodGone
	}
	s.history[pod.UID] = append(s.history[pod.UID], api.DeepCopy(status))
	return nil
}

func (s *fakeStatus) DeletePod(ctx context.Context, pod *api.Pod) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[pod.UID] = pod
	return nil
}

func (s *fakeStatus) last(uid string) (api.PodStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.history[uid]
	if len(h) == 0 {
		return api.PodStatus{}, false
	}
	return api.DeepCopy(h[len(h)-1]), true
}

func (s *fakeStatus) writes(uid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.history[uid])
}

func (s *fakeStatus) all(uid string) []api.PodStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return api.DeepCopy(s.history[uid])
}

func (s *fakeStatus) deletedPod(uid string) (*api.Pod, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.deleted[uid]
	return p, ok
}

// fakeObjects serves ConfigMaps, Secrets and tokens from memory.
type fakeObjects struct {
	mu         sync.Mutex
	configMaps map[string]*api.ConfigMap
	secrets    map[string]*api.Secret
	tokens     []*api.TokenRequest
	clock      *fakeClock
}

var (
	_ Objects        = (*fakeObjects)(nil)
	_ TokenRequester = (*fakeObjects)(nil)
)

func newFakeObjects(clock *fakeClock) *fakeObjects {
	return &fakeObjects{configMaps: map[string]*api.ConfigMap{}, secrets: map[string]*api.Secret{}, clock: clock}
}

func (o *fakeObjects) addConfigMap(name string, data map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.configMaps["default/"+name] = &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Data: data}
}

func (o *fakeObjects) addSecret(name string, data map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := &api.Secret{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	o.secrets["default/"+name] = s
}

func (o *fakeObjects) GetConfigMap(ctx context.Context, ns, name string) (*api.ConfigMap, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if cm, ok := o.configMaps[ns+"/"+name]; ok {
		return api.DeepCopy(cm), nil
	}
	return nil, api.NewNotFound(api.GroupResource{Resource: "configmaps"}, name)
}

func (o *fakeObjects) GetSecret(ctx context.Context, ns, name string) (*api.Secret, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.secrets[ns+"/"+name]; ok {
		return api.DeepCopy(s), nil
	}
	return nil, api.NewNotFound(api.GroupResource{Resource: "secrets"}, name)
}

func (o *fakeObjects) RequestToken(ctx context.Context, ns, sa string, req *api.TokenRequest) (*api.TokenRequest, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := api.DeepCopy(req)
	out.Status.Token = fmt.Sprintf("token-%s-%s-%d", sa, req.Spec.BoundObjectRef.Name, len(o.tokens)+1)
	out.Status.ExpirationTimestamp = api.NewTime(o.clock.Now().Add(time.Hour))
	o.tokens = append(o.tokens, out)
	return out, nil
}

func (o *fakeObjects) tokenCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.tokens)
}

// testRuntime is the fake runtime that also records EnsureImage calls and
// may list containers that were not started by StartContainer.
type testRuntime struct {
	*fake.Runtime
	clock *fakeClock

	mu       sync.Mutex
	ensures  []ensureCall
	foreign  map[string]bool // IDs of containers with no pod
	removals []string
	stops    map[string][]time.Duration
}

func (r *testRuntime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	r.mu.Lock()
	if r.stops == nil {
		r.stops = map[string][]time.Duration{}
	}
	r.stops[id] = append(r.stops[id], grace)
	r.mu.Unlock()
	return r.Runtime.StopContainer(ctx, id, grace)
}

// StopGraces returns the grace periods of every StopContainer of id, also
// after the container was removed.
func (r *testRuntime) StopGraces(id string) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stops[id])
}

type ensureCall struct {
	ref    string
	policy runtime.PullPolicy
	auth   *runtime.Auth
	at     time.Time
	err    error
}

func (r *testRuntime) EnsureImage(ctx context.Context, ref string, policy runtime.PullPolicy, auth *runtime.Auth) (runtime.ImageInfo, error) {
	info, err := r.Runtime.EnsureImage(ctx, ref, policy, auth)
	r.mu.Lock()
	r.ensures = append(r.ensures, ensureCall{ref: ref, policy: policy, auth: auth, at: r.clock.Now(), err: err})
	r.mu.Unlock()
	return info, err
}

func (r *testRuntime) ListContainers(ctx context.Context) ([]runtime.Container, error) {
	out, err := r.Runtime.ListContainers(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(r.foreign)) {
		out = append(out, runtime.Container{ID: id})
	}
	return out, err
}

func (r *testRuntime) RemoveContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	delete(r.foreign, id)
	r.removals = append(r.removals, id)
	r.mu.Unlock()
	return r.Runtime.RemoveContainer(ctx, id)
}

func (r *testRuntime) ensureCalls() []ensureCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ensures)
}

// execRuntime adds exec (for exec probes) to testRuntime.
type execRuntime struct {
	*testRuntime
	exec func(id string, cmd []string) int32
}

var _ Execer = (*execRuntime)(nil)

func (r *execRuntime) ExecSync(ctx context.Context, id string, cmd []string, timeout time.Duration) (int32, []byte, error) {
	st, err := r.ContainerStatus(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	if st.State != runtime.StateRunning {
		return 0, nil, fmt.Errorf("container %s is not running", id)
	}
	return r.exec(id, cmd), nil, nil
}

// harness runs a Manager over fakes.
type harness struct {
	t      *testing.T
	clock  *fakeClock
	rt     *testRuntime
	deps   Deps
	net    *fakeNetwork
	status *fakeStatus
	objs   *fakeObjects
	events *fakeEvents
	root   string
	// step is how far eventually moves the clock per round.
	step time.Duration

	m      *Manager
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := newFakeClock()
	f := fake.New()
	f.SetClock(clock.Now)
	f.AddImage(testImage)
	h := &harness{
		t: t, clock: clock,
		rt:     &testRuntime{Runtime: f, clock: clock, foreign: map[string]bool{}},
		net:    &fakeNetwork{ip: "10.88.0.5"},
		status: newFakeStatus(),
		objs:   newFakeObjects(clock),
		root:   t.TempDir(),
		step:   100 * time.Millisecond,
	}
	h.events = &fakeEvents{}
	h.deps = Deps{
		Runtime: h.rt, Network: h.net, Status: h.status, Objects: h.objs, Events: h.events,
		NodeName: testNode, NodeIP: testNodeIP, RootDir: h.root, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return h
}

// start runs a new Manager with the initial pods; it stops when the test ends.
func (h *harness) start(initial ...*api.Pod) *Manager {
	h.t.Helper()
	m, err := New(h.deps)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, initial) }()
	h.m, h.cancel, h.done = m, cancel, done
	h.t.Cleanup(h.stop)
	return m
}

// stop stops the running Manager and waits for it.
func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		h.t.Errorf("Run did not return within 20s")
	}
	h.cancel = nil
}

// eventually polls cond, moving the fake clock by h.step between polls,
// until it holds or 20 s (real) pass.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s (fake time %s)", what, h.clock.Now().Sub(epoch))
		}
		h.clock.Step(h.step)
		time.Sleep(time.Millisecond)
	}
}

// waitStatus waits until the last status written for the pod satisfies cond.
func (h *harness) waitStatus(pod *api.Pod, what string, cond func(st api.PodStatus) bool) api.PodStatus {
	h.t.Helper()
	var st api.PodStatus
	h.eventually(what, func() bool {
		var ok bool
		st, ok = h.status.last(pod.UID)
		return ok && cond(st)
	})
	return st
}

// idle moves the fake clock by d in steps, letting workers run.
func (h *harness) idle(d time.Duration) {
	for end := h.clock.Now().Add(d); h.clock.Now().Before(end); {
		h.clock.Step(h.step)
		time.Sleep(time.Millisecond)
	}
}

// started returns the configs of the containers started for a pod container.
func (h *harness) started(podUID, name string) []runtime.ContainerConfig {
	var out []runtime.ContainerConfig
	for _, c := range h.rt.Started() {
		if c.PodUID == podUID && c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// containerIDs returns the IDs of the pod's containers in the runtime.
func (h *harness) containers(podUID string) []runtime.Container {
	list, err := h.rt.Runtime.ListContainers(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	var out []runtime.Container
	for _, c := range list {
		if c.PodUID == podUID {
			out = append(out, c)
		}
	}
	return out
}

// current returns the ID of the latest run of a container.
func (h *harness) current(podUID, name string) (runtime.Container, bool) {
	var best runtime.Container
	found := false
	for _, c := range h.containers(podUID) {
		if c.Name == name && (!found || c.Attempt > best.Attempt) {
			best, found = c, true
		}
	}
	return best, found
}

// waitRunning waits for a run (attempt) of a container to be running and returns its ID.
func (h *harness) waitRunning(podUID, name string, attempt uint32) string {
	h.t.Helper()
	var id string
	h.eventually(fmt.Sprintf("%s attempt %d running", name, attempt), func() bool {
		c, ok := h.current(podUID, name)
		if !ok || c.Attempt != attempt {
			return false
		}
		st, err := h.rt.ContainerStatus(context.Background(), c.ID)
		id = c.ID
		return err == nil && st.State == runtime.StateRunning
	})
	return id
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// podBuilder makes test pods: makePod("a").container(...).obj().
type podBuilder struct{ p *api.Pod }

func makePod(name string) *podBuilder {
	return &podBuilder{p: &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name, ResourceVersion: "1", Labels: map[string]string{"app": name}},
		Spec:       api.PodSpec{NodeName: testNode},
	}}
}

// container adds a container running testImage unless c names an image.
func (b *podBuilder) container(c api.Container) *podBuilder {
	if c.Image == "" {
		c.Image = testImage
	}
	b.p.Spec.Containers = append(b.p.Spec.Containers, c)
	return b
}

func (b *podBuilder) initContainer(c api.Container) *podBuilder {
	if c.Image == "" {
		c.Image = testImage
	}
	b.p.Spec.InitContainers = append(b.p.Spec.InitContainers, c)
	return b
}

func (b *podBuilder) restart(policy string) *podBuilder {
	b.p.Spec.RestartPolicy = policy
	return b
}

func (b *podBuilder) volume(v api.Volume) *podBuilder {
	b.p.Spec.Volumes = append(b.p.Spec.Volumes, v)
	return b
}

func (b *podBuilder) edit(f func(p *api.Pod)) *podBuilder {
	f(b.p)
	return b
}

// obj returns the pod as the API stores it (defaults applied).
func (b *podBuilder) obj() *api.Pod {
	p := api.DeepCopy(b.p)
	api.SetDefaultsPod(p)
	return p
}

// deleting returns a copy of pod marked for deletion with grace seconds.
func deleting(pod *api.Pod, grace int64) *api.Pod {
	p := api.DeepCopy(pod)
	t := api.NewTime(epoch)
	p.DeletionTimestamp = &t
	p.DeletionGracePeriodSeconds = &grace
	p.ResourceVersion = "2"
	return p
}

func ptr[T any](v T) *T { return &v }

func findStatus(list []api.ContainerStatus, name string) api.ContainerStatus {
	for _, s := range list {
		if s.Name == name {
			return s
		}
	}
	return api.ContainerStatus{}
}

func condition(st api.PodStatus, typ string) api.PodCondition {
	if c := findCondition(st.Conditions, typ); c != nil {
		return *c
	}
	return api.PodCondition{}
}

// fakeEvents records "Type Reason: message" lines.
type fakeEvents struct {
	mu  sync.Mutex
	log []string
}

func (e *fakeEvents) Eventf(obj api.Object, kind, typ, reason, format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, fmt.Sprintf("%s %s %s: %s", obj.GetObjectMeta().Name, typ, reason, fmt.Sprintf(format, args...)))
}

// has reports whether an event line contains every part.
func (e *fakeEvents) has(parts ...string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.log {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

func (e *fakeEvents) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.log, "\n")
}
