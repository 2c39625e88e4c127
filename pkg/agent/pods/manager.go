package pods

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"skiff/pkg/agent/network"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
	"skiff/pkg/client"
)

// housekeepingInterval is how often the manager looks for containers,
// sandboxes and pod directories that belong to no pod.
const housekeepingInterval = time.Minute

// finishedMemory is how long the manager remembers pods it cleaned up, so a
// late update of one does not start it again.
const finishedMemory = 10 * time.Minute

// Manager runs the pods bound to this node: one worker goroutine per pod
// UID reconciles the pod's spec with the runtime and reports its status.
// Feed it the pods of an informer (Handler) and call Run once the informer
// has synced. Its methods are safe for concurrent use.
type Manager struct {
	deps         Deps
	log          *slog.Logger
	prober       *prober
	noTokensOnce sync.Once

	mu          sync.Mutex
	ctx         context.Context // Run's; nil before Run
	started     bool
	pending     map[string]*api.Pod // pods handed over before Run, by UID
	pendingGone map[string]bool
	workers     map[string]*worker
	finished    map[string]time.Time
	cleaning    map[string]bool // UIDs whose leftovers are being removed
	runtimeName string
	images      map[string]runtime.ImageInfo // present at Run, by ref
	wg          sync.WaitGroup
}

// New returns a Manager over deps; it starts nothing until Run.
func New(deps Deps) (*Manager, error) {
	if err := deps.validate(); err != nil {
		return nil, err
	}
	log := deps.Logger.With("component", "pods")
	return &Manager{
		deps:        deps,
		log:         log,
		prober:      newProber(deps.Runtime),
		pending:     map[string]*api.Pod{},
		pendingGone: map[string]bool{},
		workers:     map[string]*worker{},
		finished:    map[string]time.Time{},
		cleaning:    map[string]bool{},
		runtimeName: "containerd",
		images:      map[string]runtime.ImageInfo{},
	}, nil
}

// Handler returns informer handlers that feed the manager.
func (m *Manager) Handler() client.Handler[*api.Pod] {
	return client.Handler[*api.Pod]{
		OnAdd:    m.UpdatePod,
		OnUpdate: func(_, pod *api.Pod) { m.UpdatePod(pod) },
		OnDelete: m.DeletePod,
	}
}

// UpdatePod hands the manager the current version of a pod bound to this
// node (added or changed). The object is not modified and may be the
// informer's own.
func (m *Manager) UpdatePod(pod *api.Pod) {
	if pod == nil || pod.Spec.NodeName != m.deps.NodeName {
		return
	}
	if !uidPattern.MatchString(pod.UID) {
		m.log.Warn("ignoring a pod with an unusable UID", "pod", pod.Namespace+"/"+pod.Name, "uid", pod.UID)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		m.pending[pod.UID] = pod
		delete(m.pendingGone, pod.UID)
		return
	}
	if w := m.workers[pod.UID]; w != nil {
		w.update(pod)
		return
	}
	if _, ok := m.finished[pod.UID]; ok {
		return
	}
	m.startWorkerLocked(pod, nil)
}

// DeletePod tells the manager that a pod was deleted from the API: its
// containers are stopped and everything of it is removed.
func (m *Manager) DeletePod(pod *api.Pod) {
	if pod == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		delete(m.pending, pod.UID)
		m.pendingGone[pod.UID] = true
		return
	}
	if w := m.workers[pod.UID]; w != nil {
		w.markGone(pod)
	}
}

// Run starts a worker for each pod in initial (the informer's pods once it
// has synced) and for pods handed over before, re-adopting the containers
// and sandboxes the runtime holds for them. What the runtime holds for any
// other pod is stopped and removed: those pods were deleted while the agent
// was down. Run then keeps running workers as pods come and go, until ctx
// ends; containers keep running after that. It returns an error only if the
// runtime cannot be listed at start.
func (m *Manager) Run(ctx context.Context, initial []*api.Pod) error {
	m.mu.Lock()
	if m.ctx != nil {
		m.mu.Unlock()
		return errors.New("pods: Run was called twice")
	}
	m.ctx = ctx
	m.mu.Unlock()

	rt := m.deps.Runtime
	if v, err := rt.Version(ctx); err == nil {
		if name, _, ok := strings.Cut(v, "://"); ok && name != "" {
			m.runtimeName = name
		}
	}
	containers, err := rt.ListContainers(ctx)
	if err != nil {
		return fmt.Errorf("pods: listing containers: %w", err)
	}
	sandboxes, err := rt.ListSandboxes(ctx)
	if err != nil {
		return fmt.Errorf("pods: listing sandboxes: %w", err)
	}
	if images, err := rt.ListImages(ctx); err != nil {
		m.log.Warn("listing images", "err", err)
	} else {
		for _, img := range images {
			m.images[img.Ref] = img
		}
	}

	m.mu.Lock()
	known := map[string]*api.Pod{}
	for _, p := range initial {
		if p != nil && p.Spec.NodeName == m.deps.NodeName && uidPattern.MatchString(p.UID) && !m.pendingGone[p.UID] {
			known[p.UID] = p
		}
	}
	for uid, p := range m.pending {
		known[uid] = p
	}
	adoptions := map[string]*adoption{}
	for uid := range known {
		adoptions[uid] = &adoption{}
	}
	for _, c := range containers {
		if a := adoptions[c.PodUID]; a != nil && c.PodUID != "" {
			a.containers = append(a.containers, c)
		}
	}
	for _, sb := range sandboxes {
		if a := adoptions[sb.ID]; a != nil {
			s := sb
			a.sandbox = &s
		}
	}
	for uid, p := range known {
		m.startWorkerLocked(p, adoptions[uid])
	}
	m.started, m.pending, m.pendingGone = true, nil, nil
	m.mu.Unlock()
	m.log.Info("pod manager started", "node", m.deps.NodeName, "rootDir", m.deps.RootDir,
		"pods", len(known), "containers", len(containers), "sandboxes", len(sandboxes), "runtime", m.runtimeName)

	m.housekeeping(ctx, containers, sandboxes)
	for {
		select {
		case <-ctx.Done():
			m.wg.Wait()
			return nil
		case <-m.deps.Clock.At(m.deps.Clock.Now().Add(housekeepingInterval)):
		}
		containers, err := rt.ListContainers(ctx)
		if err != nil {
			continue
		}
		sandboxes, err := rt.ListSandboxes(ctx)
		if err != nil {
			continue
		}
		m.housekeeping(ctx, containers, sandboxes)
	}
}

func (m *Manager) startWorkerLocked(pod *api.Pod, adopt *adoption) {
	w := newWorker(m, m.ctx, pod, adopt)
	m.workers[pod.UID] = w
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		w.run()
	}()
}

func (m *Manager) workerDone(w *worker) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.workers[w.uid] != w {
		return
	}
	delete(m.workers, w.uid)
	if w.done {
		now := m.deps.Clock.Now()
		m.finished[w.uid] = now
		for uid, t := range m.finished {
			if now.Sub(t) > finishedMemory {
				delete(m.finished, uid)
			}
		}
	}
}

// containerID is a container's ID as containerStatuses show it: "containerd://<id>".
func (m *Manager) containerID(id string) string { return m.runtimeName + "://" + id }

func (m *Manager) image(ref string) (runtime.ImageInfo, bool) {
	info, ok := m.images[ref]
	return info, ok
}

// leftovers is what the runtime holds for a pod that has no worker.
type leftovers struct {
	containers []runtime.Container
	sandbox    *runtime.Sandbox
}

// housekeeping removes containers, sandboxes and pod directories that belong
// to no pod the manager runs, in the background.
func (m *Manager) housekeeping(ctx context.Context, containers []runtime.Container, sandboxes []runtime.Sandbox) {
	entries, _ := os.ReadDir(filepath.Join(m.deps.RootDir, podsDirName))
	m.mu.Lock()
	defer m.mu.Unlock()
	owned := func(uid string) bool { return m.workers[uid] != nil || m.cleaning[uid] }
	var foreign []string
	byUID := map[string]*leftovers{}
	get := func(uid string) *leftovers {
		if byUID[uid] == nil {
			byUID[uid] = &leftovers{}
		}
		return byUID[uid]
	}
	for _, c := range containers {
		switch {
		case c.PodUID == "":
			foreign = append(foreign, c.ID)
		case !owned(c.PodUID):
			get(c.PodUID).containers = append(get(c.PodUID).containers, c)
		}
	}
	for _, sb := range sandboxes {
		if !owned(sb.ID) {
			s := sb
			get(sb.ID).sandbox = &s
		}
	}
	for _, e := range entries {
		if e.IsDir() && !owned(e.Name()) && uidPattern.MatchString(e.Name()) {
			get(e.Name())
		}
	}
	for uid, l := range byUID {
		m.cleaning[uid] = true
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.cleanUp(ctx, uid, l)
		}()
	}
	if len(foreign) > 0 {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			for _, id := range foreign {
				m.log.Info("removing a container that belongs to no pod", "id", id)
				if err := m.deps.Runtime.RemoveContainer(ctx, id); err != nil {
					m.log.Warn("removing a container that belongs to no pod", "id", id, "err", err)
				}
			}
		}()
	}
}

// cleanUp removes what is left of a pod that is not in the API: its
// containers (stopped with the least grace period), its network, sandbox and
// directory. What fails is tried again at the next housekeeping.
func (m *Manager) cleanUp(ctx context.Context, uid string, l *leftovers) {
	defer func() {
		m.mu.Lock()
		delete(m.cleaning, uid)
		m.mu.Unlock()
	}()
	ref := network.PodRef{UID: uid}
	for _, c := range l.containers {
		ref.Namespace, ref.Name = c.PodNamespace, c.PodName
	}
	log := m.log.With("uid", uid, "pod", ref.Namespace+"/"+ref.Name)
	if len(l.containers) > 0 || l.sandbox != nil {
		log.Info("cleaning up after a pod that is gone from the API", "containers", len(l.containers))
	}
	rt := m.deps.Runtime
	var wg sync.WaitGroup
	errs := make([]error, len(l.containers))
	for i, c := range l.containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rt.StopContainer(ctx, c.ID, minGracePeriod); err != nil && !isNotFound(err) {
				errs[i] = err
				return
			}
			errs[i] = rt.RemoveContainer(ctx, c.ID)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		log.Warn("removing the containers of a pod that is gone", "err", err)
		return
	}
	if l.sandbox != nil {
		if err := m.deps.Network.TearDown(ctx, ref, l.sandbox.NetNSPath); err != nil {
			log.Warn("tearing down the network of a pod that is gone", "err", err)
			return
		}
		if err := rt.RemoveSandbox(ctx, uid); err != nil {
			log.Warn("removing the sandbox of a pod that is gone", "err", err)
			return
		}
	}
	if err := os.RemoveAll(PodDir(m.deps.RootDir, uid)); err != nil {
		log.Warn("removing the directory of a pod that is gone", "err", err)
	}
}
