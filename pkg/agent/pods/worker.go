package pods

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// Polling of running containers: the Runtime has no events, so a worker asks
// for the state of its running containers this often, and more often just
// after it started one (a container that fails at once is seen quickly).
const (
	statusPollInterval = time.Second
	fastPollInterval   = 200 * time.Millisecond
	fastPollWindow     = 5 * time.Second
)

// minGracePeriod is the least time a container gets between SIGTERM and
// SIGKILL, as in the kubelet.
const minGracePeriod = 2 * time.Second

// hashLabel records a hash of the container's spec with the container, so a
// changed spec (a new image) restarts it.
const hashLabel = "skiff.io/container-hash"

// instance is one run (attempt) of a container in the runtime.
type instance struct {
	id      string
	attempt uint32
	image   string // the reference it runs
	hash    string
	st      runtime.Status
}

func (i *instance) exited() bool { return i.st.State == runtime.StateExited }

// ctrState is what a worker knows of one container of the pod's spec.
type ctrState struct {
	// cur is the latest run, prev the one before it (kept for lastState and
	// `logs --previous`); older runs are removed.
	cur, prev *instance
	image     runtime.ImageInfo
	// waitReason and waitMessage say why the container does not run although
	// it should (set on each sync).
	waitReason, waitMessage string
	// startErrReason and startErrMessage are the last failure to start it,
	// shown while the start is backing off.
	startErrReason, startErrMessage string
	probes                          *probeRun
	probesFor                       string // the instance the probes belong to
	// seed holds the readiness a re-adopted running container had in the API,
	// so an agent restart does not flip the pod to not ready.
	seed *api.ContainerStatus
	// forceRestart: the container was killed because its spec changed; it
	// starts again whatever the restart policy, without back-off.
	forceRestart bool
}

func (cs *ctrState) stopProbes() {
	cs.probes.stop()
	cs.probes, cs.probesFor = nil, ""
}

// adoption is what the runtime held for a pod when the manager started.
type adoption struct {
	containers []runtime.Container
	sandbox    *runtime.Sandbox
}

// worker reconciles one pod. Everything but the fields under mu belongs to
// the worker's goroutine.
type worker struct {
	m   *Manager
	uid string
	ctx context.Context
	log *slog.Logger
	// probes counts the running probe goroutines.
	probes sync.WaitGroup

	mu       sync.Mutex
	pod      *api.Pod // latest from the API; never modified
	gone     bool     // deleted from the API
	cancelOp context.CancelFunc
	opIsTerm bool // the running sync is a termination
	wake     chan struct{}

	started    bool // the first sync ran
	adopt      *adoption
	containers map[string]*ctrState
	orphans    []*instance // runs of containers the spec does not name
	sandbox    *runtime.Sandbox
	// adoptedSandbox: the sandbox was there when the manager started, so its
	// network may be set up although networkUp is false.
	adoptedSandbox bool
	networkUp      bool
	podIP          string
	hostsFile      string
	volumes        *volumeSetup
	startTime      time.Time
	initDone       bool
	// terminal: the pod reached Succeeded or Failed; nothing starts again.
	// frozen: it was terminal in the API when the worker started, so its
	// status is left as the API has it.
	terminal, frozen      bool
	podReason, podMessage string
	// podErr is the failure of a pod-level step (sandbox, network, volumes),
	// shown as the waiting message of containers that cannot start.
	podErr error

	crash     *backoff // CrashLoopBackOff, by container name
	startFail *backoff // failed starts (CreateContainerError), by container name
	pull      *backoff // ImagePullBackOff, by image
	retry     *backoff // pod-level steps, config errors, status writes, cleanup

	lastStatus *api.PodStatus
	lastStart  time.Time
	term       termination
	done       bool
}

func newWorker(m *Manager, ctx context.Context, pod *api.Pod, adopt *adoption) *worker {
	return &worker{
		m: m, uid: pod.UID, ctx: ctx, pod: pod, adopt: adopt,
		log:        m.log.With("pod", pod.Namespace+"/"+pod.Name, "uid", pod.UID),
		wake:       make(chan struct{}, 1),
		containers: map[string]*ctrState{},
		crash:      newBackoff(crashBackoffInitial, crashBackoffMax),
		startFail:  newBackoff(crashBackoffInitial, crashBackoffMax),
		pull:       newBackoff(pullBackoffInitial, pullBackoffMax),
		retry:      newBackoff(retryBackoffInitial, retryBackoffMax),
	}
}

func (w *worker) now() time.Time { return w.m.deps.Clock.Now() }

// poke makes the worker sync soon. It never blocks.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// update hands the worker a newer version of its pod. A deletion cancels
// what the worker is doing (a pull, a start) so it can terminate the pod.
func (w *worker) update(pod *api.Pod) {
	w.mu.Lock()
	old := w.pod
	w.pod = pod
	deleting := pod.DeletionTimestamp != nil
	if deleting && w.cancelOp != nil && !w.opIsTerm {
		w.cancelOp()
	}
	w.mu.Unlock()
	// Our own status writes come back as updates: only a change of what the
	// worker reads (spec, deletion, readiness gate conditions) needs a sync.
	if deleting || !reflect.DeepEqual(old.Spec, pod.Spec) ||
		!reflect.DeepEqual(old.DeletionGracePeriodSeconds, pod.DeletionGracePeriodSeconds) ||
		(len(pod.Spec.ReadinessGates) > 0 && !reflect.DeepEqual(old.Status.Conditions, pod.Status.Conditions)) {
		w.poke()
	}
}

// markGone records that the pod was deleted from the API.
func (w *worker) markGone(pod *api.Pod) {
	w.mu.Lock()
	w.gone = true
	if pod != nil && pod.UID == w.uid {
		w.pod = pod
	}
	if w.cancelOp != nil && !w.opIsTerm {
		w.cancelOp()
	}
	w.mu.Unlock()
	w.poke()
}

// run syncs the pod until it has been cleaned up or the manager stops.
func (w *worker) run() {
	defer w.m.workerDone(w)
	defer func() {
		for _, cs := range w.containers {
			cs.stopProbes()
		}
		w.probes.Wait()
	}()
	for {
		next := w.syncOnce()
		if w.done || w.ctx.Err() != nil {
			return
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = w.m.deps.Clock.At(next)
		}
		select {
		case <-w.ctx.Done():
			return
		case <-w.wake:
		case <-timer:
		}
	}
}

// syncOnce runs one sync with a context that a deletion cancels, and returns
// when the worker wants to sync again (zero: only when poked).
func (w *worker) syncOnce() time.Time {
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	w.mu.Lock()
	pod, gone := w.pod, w.gone
	terminating := gone || pod.DeletionTimestamp != nil
	w.cancelOp, w.opIsTerm = cancel, terminating
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.cancelOp = nil
		w.mu.Unlock()
	}()

	if !w.started {
		w.started = true
		if w.adopt != nil {
			w.adoptRuntime(ctx, pod)
			w.adopt = nil
		}
		if pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed {
			w.terminal, w.frozen = true, true
		}
	}
	if w.startTime.IsZero() {
		w.startTime = w.now()
		if pod.Status.StartTime != nil && !pod.Status.StartTime.IsZero() {
			w.startTime = pod.Status.StartTime.Time
		}
	}
	w.refresh(ctx)
	if terminating {
		return w.terminate(ctx, pod, gone)
	}
	return w.syncLive(ctx, pod)
}

// state returns the container's state, creating it.
func (w *worker) state(name string) *ctrState {
	cs, ok := w.containers[name]
	if !ok {
		cs = &ctrState{}
		w.containers[name] = cs
	}
	return cs
}

// refresh asks the runtime for the state of every container run that has
// not exited yet.
func (w *worker) refresh(ctx context.Context) {
	for _, cs := range w.containers {
		if cs.cur != nil && !cs.cur.exited() {
			w.refreshInstance(ctx, cs.cur)
		}
	}
}

func (w *worker) refreshInstance(ctx context.Context, inst *instance) {
	st, err := w.m.deps.Runtime.ContainerStatus(ctx, inst.id)
	switch {
	case err == nil:
		inst.st = st
	case isNotFound(err):
		// Removed behind our back: it is gone, and ran until now.
		inst.st.State = runtime.StateExited
		inst.st.ExitCode = 137
		inst.st.Reason = ReasonContainerStatusUnknown
		inst.st.FinishedAt = w.now()
	case ctx.Err() == nil:
		w.log.Warn("container status", "container", inst.id, "err", err)
	}
}

// adoptRuntime takes over what the runtime held for the pod when the
// manager started: the latest two runs of each container (older ones and
// runs of containers the spec does not name are removed), the sandbox and
// its recorded network state.
func (w *worker) adoptRuntime(ctx context.Context, pod *api.Pod) {
	a := w.adopt
	names := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		names[c.Name] = true
	}
	for _, c := range pod.Spec.Containers {
		names[c.Name] = true
	}
	byName := map[string][]runtime.Container{}
	for _, c := range a.containers {
		byName[c.Name] = append(byName[c.Name], c)
	}
	for name, runs := range byName {
		slices.SortFunc(runs, func(x, y runtime.Container) int {
			if c := cmp.Compare(y.Attempt, x.Attempt); c != 0 {
				return c
			}
			return y.CreatedAt.Compare(x.CreatedAt)
		})
		insts := make([]*instance, len(runs))
		for i, r := range runs {
			insts[i] = &instance{id: r.ID, attempt: r.Attempt, image: r.Image, hash: r.Labels[hashLabel]}
		}
		if !names[name] {
			w.orphans = append(w.orphans, insts...)
			continue
		}
		cs := w.state(name)
		cs.cur = insts[0]
		w.refreshInstance(ctx, cs.cur)
		if info, ok := w.m.image(cs.cur.image); ok {
			cs.image = info
		}
		if len(insts) > 1 {
			cs.prev = insts[1]
			w.refreshInstance(ctx, cs.prev)
			if !cs.prev.exited() {
				// Two runs at once: keep only the latest.
				w.removeInstance(ctx, pod, name, cs.prev)
				cs.prev = nil
			}
		}
		for _, old := range insts[min(2, len(insts)):] {
			w.removeInstance(ctx, pod, name, old)
		}
		for i := range pod.Status.ContainerStatuses {
			if s := &pod.Status.ContainerStatuses[i]; s.Name == name && s.ContainerID == w.m.containerID(cs.cur.id) {
				cs.seed = s
			}
		}
		w.log.Info("re-adopted container", "container", name, "id", cs.cur.id, "attempt", cs.cur.attempt, "state", cs.cur.st.State)
	}
	for _, c := range pod.Spec.Containers {
		if cs, ok := w.containers[c.Name]; ok && cs.cur != nil {
			w.initDone = true // regular containers ran, so the pod was initialized
		}
	}
	if a.sandbox != nil {
		sb := *a.sandbox
		w.sandbox = &sb
		switch st, ok := readNetworkState(w.m.deps.RootDir, w.uid); {
		case !ok:
			w.adoptedSandbox = true // set up or not: SetUp again tells
		case st.Released:
			w.podIP = st.IP
		default:
			w.networkUp, w.podIP = true, st.IP
		}
	}
}

// wakeAt is the earliest of the times a sync asks to be woken at.
type wakeAt struct{ t time.Time }

func (n *wakeAt) at(t time.Time) {
	if !t.IsZero() && (n.t.IsZero() || t.Before(n.t)) {
		n.t = t
	}
}

// retryAfterError records a failure of step and returns when to try it again.
func (w *worker) retryAfterError(step string) time.Time {
	now := w.now()
	w.retry.Next(step, now, now)
	_, end := w.retry.InBackOffSinceUpdate(step, now)
	return end
}

func isNotFound(err error) bool { return errors.Is(err, runtime.ErrNotFound) }

// latestPod is the pod as the API last showed it.
func (w *worker) latestPod() *api.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod
}
