package pods

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	"skiff/pkg/agent/network"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// syncLive reconciles a pod that is not being deleted: sandbox, network and
// volumes, then init containers in order, then the containers; then it
// publishes the status. It returns when to sync again.
func (w *worker) syncLive(ctx context.Context, pod *api.Pod) time.Time {
	var next wakeAt
	if w.terminal {
		return w.syncTerminal(ctx, pod)
	}
	now := w.now()
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil {
		deadline := w.startTime.Add(time.Duration(*d) * time.Second)
		if !now.Before(deadline) {
			w.podReason, w.podMessage = ReasonDeadlineExceeded, "Pod was active on the node longer than the specified deadline"
			w.log.Info("active deadline exceeded: failing the pod")
			w.stopAll(ctx, pod, gracePeriod(pod))
			next.at(w.publishOrRetry(ctx, pod, w.buildStatus(pod, true)))
			w.enterTerminal()
			next.at(w.syncTerminal(ctx, pod))
			return next.t
		}
		next.at(deadline)
	}
	if w.lastStatus == nil {
		// Say at once that the pod was seen (Pending, ContainerCreating, a
		// start time) before the slow work of pulling and starting.
		next.at(w.publishOrRetry(ctx, pod, w.buildStatus(pod, false)))
	}

	if err := w.setUpPod(ctx, pod); err != nil {
		if ctx.Err() != nil {
			return next.t
		}
		if w.podErr == nil || w.podErr.Error() != err.Error() {
			w.log.Warn("pod setup failed", "err", err)
		}
		w.podErr = err
		next.at(w.retryAfterError("setup"))
	} else {
		w.podErr = nil
		w.retry.Reset("setup")
		w.syncContainers(ctx, pod, &next)
		if w.volumes != nil {
			next.at(w.volumes.refreshAt)
		}
	}
	if ctx.Err() != nil {
		return next.t
	}

	st := w.buildStatus(pod, false)
	next.at(w.publishOrRetry(ctx, pod, st))
	if st.Phase == api.PodSucceeded || st.Phase == api.PodFailed {
		w.log.Info("pod finished", "phase", st.Phase)
		w.enterTerminal()
		next.at(w.syncTerminal(ctx, pod))
		return next.t
	}
	if w.anyRunning() {
		poll := statusPollInterval
		if w.now().Sub(w.lastStart) < fastPollWindow {
			poll = fastPollInterval
		}
		next.at(w.now().Add(poll))
	} else if w.restartPending(pod) {
		// A container exited during this sync (one that crashes at once can
		// be gone before its start is even recorded): nothing is running to
		// poll, so come back to restart it rather than sleep until poked.
		next.at(w.now().Add(fastPollInterval))
	}
	return next.t
}

// restartPending reports whether a container has exited, its restart policy
// restarts it, and no back-off or error wait is already scheduled for it.
func (w *worker) restartPending(pod *api.Pod) bool {
	for i := range pod.Spec.Containers {
		cs, ok := w.containers[pod.Spec.Containers[i].Name]
		if ok && cs.cur != nil && cs.cur.exited() && cs.waitReason == "" &&
			shouldRestart(pod.Spec.RestartPolicy, cs.cur.st.ExitCode) {
			return true
		}
	}
	return false
}

func (w *worker) anyRunning() bool {
	for _, cs := range w.containers {
		if cs.cur != nil && !cs.cur.exited() {
			return true
		}
	}
	return false
}

// publishOrRetry publishes st and returns when to retry if that failed.
func (w *worker) publishOrRetry(ctx context.Context, pod *api.Pod, st api.PodStatus) time.Time {
	err := w.publish(ctx, pod, st)
	switch {
	case err == nil:
		w.retry.Reset("status")
		return time.Time{}
	case errors.Is(err, ErrPodGone) || ctx.Err() != nil:
		// The informer will tell us the pod was deleted.
		return time.Time{}
	}
	w.log.Warn("writing pod status", "err", err)
	return w.retryAfterError("status")
}

// publish writes st unless it is what was written last.
func (w *worker) publish(ctx context.Context, pod *api.Pod, st api.PodStatus) error {
	if w.frozen {
		return nil
	}
	if w.lastStatus != nil && jsonEqual(*w.lastStatus, st) {
		return nil
	}
	if w.lastStatus == nil && jsonEqual(MergeStatus(pod.Status, st), pod.Status) {
		// The API has it already (a re-adopted pod).
		w.lastStatus = &st
		return nil
	}
	if err := w.m.deps.Status.SetPodStatus(ctx, pod, st); err != nil {
		return err
	}
	w.lastStatus = &st
	return nil
}

// setUpPod makes the sandbox, its network, the hosts file and the volumes.
func (w *worker) setUpPod(ctx context.Context, pod *api.Pod) error {
	rt := w.m.deps.Runtime
	dir := PodDir(w.m.deps.RootDir, w.uid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if w.sandbox == nil {
		if pod.Spec.HostNetwork {
			w.log.Warn("hostNetwork is not supported: the pod gets a network namespace of its own")
		}
		sb, err := rt.CreateSandbox(ctx, runtime.SandboxConfig{PodUID: pod.UID, PodNamespace: pod.Namespace, PodName: pod.Name})
		if err != nil {
			return fmt.Errorf("creating the pod sandbox: %w", err)
		}
		w.sandbox = &sb
	}
	if !w.networkUp {
		ip, err := w.m.deps.Network.SetUp(ctx, podRef(pod), w.sandbox.NetNSPath, portMappings(pod))
		if err != nil {
			return fmt.Errorf("setting up the pod network: %w", err)
		}
		w.networkUp, w.podIP = true, ip
		if err := writeNetworkState(w.m.deps.RootDir, w.uid, networkState{IP: ip}); err != nil {
			w.log.Warn("recording the pod network state", "err", err)
		}
	}
	if w.hostsFile == "" {
		p := filepath.Join(dir, hostsFileName)
		if err := writeFileAtomic(p, hostsFileContent(pod, w.podIP), 0o644); err != nil {
			return fmt.Errorf("writing the hosts file: %w", err)
		}
		w.hostsFile = p
	}
	if w.volumes == nil || (!w.volumes.refreshAt.IsZero() && !w.now().Before(w.volumes.refreshAt)) {
		vs, err := w.setUpVolumes(ctx, pod, newObjectCache(w.m.deps.Objects, pod.Namespace))
		if err != nil {
			return err
		}
		w.volumes = &vs
	}
	return nil
}

func podRef(pod *api.Pod) network.PodRef {
	return network.PodRef{UID: pod.UID, Namespace: pod.Namespace, Name: pod.Name}
}

// portMappings are the hostPorts of the pod's containers.
func portMappings(pod *api.Pod) []network.PortMapping {
	var out []network.PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			proto := p.Protocol
			if proto == "" {
				proto = api.ProtocolTCP
			}
			out = append(out, network.PortMapping{HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: proto, HostIP: p.HostIP})
		}
	}
	return out
}

func (w *worker) fields() podFields {
	return podFields{podIP: w.podIP, hostIP: w.m.deps.NodeIP}
}

// syncContainers runs the init containers one after the other until all have
// completed, then keeps the containers running per the restart policy.
func (w *worker) syncContainers(ctx context.Context, pod *api.Pod, next *wakeAt) {
	for _, inst := range w.orphans {
		w.removeInstance(ctx, pod, "", inst)
	}
	w.orphans = nil
	objs := newObjectCache(w.m.deps.Objects, pod.Namespace)
	if !w.initDone {
		w.initDone = w.syncInit(ctx, pod, objs, next)
		if !w.initDone {
			return
		}
	}
	for i := range pod.Spec.Containers {
		if ctx.Err() != nil {
			return
		}
		w.syncContainer(ctx, pod, &pod.Spec.Containers[i], objs, next)
	}
}

// syncInit advances the init containers and reports whether all completed.
func (w *worker) syncInit(ctx context.Context, pod *api.Pod, objs *objectCache, next *wakeAt) bool {
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cs := w.state(c.Name)
		cs.waitReason, cs.waitMessage = "", ""
		cur := cs.cur
		switch {
		case cur != nil && !cur.exited():
			return false // running: wait for it
		case cur != nil && cur.st.ExitCode == 0:
			continue // completed
		case cur != nil && pod.Spec.RestartPolicy == api.RestartPolicyNever:
			return false // failed for good: the pod fails
		}
		w.startOrBackoff(ctx, pod, c, cs, true, objs, next)
		return false
	}
	return true
}

// syncContainer keeps one container as the restart policy wants it.
func (w *worker) syncContainer(ctx context.Context, pod *api.Pod, c *api.Container, objs *objectCache, next *wakeAt) {
	cs := w.state(c.Name)
	cs.waitReason, cs.waitMessage = "", ""
	if cur := cs.cur; cur != nil && !cur.exited() {
		res := cs.probes.results()
		switch {
		case cur.hash != "" && cur.hash != containerHash(c):
			w.log.Info("container spec changed: restarting it", "container", c.Name)
			w.killInstance(ctx, pod, cs, gracePeriod(pod))
			cs.forceRestart = true
		case res.failed != "" && cs.probesFor == cur.id:
			w.log.Info("container failed its probe: killing it", "container", c.Name, "probe", res.failed, "message", res.failedMsg)
			w.event(pod, api.EventTypeNormal, "Killing", "Container %s failed %s probe, will be restarted", c.Name, res.failed)
			w.killInstance(ctx, pod, cs, probeGracePeriod(pod, c, res.failed))
		default:
			w.ensureProbes(c, cs)
			return
		}
		if !cur.exited() {
			return // the kill failed; try again on the next sync
		}
	}
	if cur := cs.cur; cur != nil && !cs.forceRestart && !shouldRestart(pod.Spec.RestartPolicy, cur.st.ExitCode) {
		cs.stopProbes()
		return
	}
	w.startOrBackoff(ctx, pod, c, cs, false, objs, next)
}

func shouldRestart(policy string, exitCode int32) bool {
	switch policy {
	case api.RestartPolicyNever:
		return false
	case api.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// ensureProbes starts the probes of the container's current run once.
func (w *worker) ensureProbes(c *api.Container, cs *ctrState) {
	if cs.probesFor == cs.cur.id {
		return
	}
	cs.stopProbes()
	r := w.startProbes(c, cs.cur.id, cs.cur.st.StartedAt, w.podIP)
	if s := cs.seed; s != nil {
		// Re-adopted: keep what the probes had found before the restart.
		r.mu.Lock()
		r.started = r.started || (s.Started != nil && *s.Started)
		r.ready = r.ready || s.Ready
		r.mu.Unlock()
		cs.seed = nil
	}
	cs.probes, cs.probesFor = r, cs.cur.id
}

// startOrBackoff starts the next run of a container unless it must wait
// (CrashLoopBackOff after an exit, or back-off after a failed start).
func (w *worker) startOrBackoff(ctx context.Context, pod *api.Pod, c *api.Container, cs *ctrState, init bool, objs *objectCache, next *wakeAt) {
	now := w.now()
	if cur := cs.cur; cur != nil && cur.exited() && !cs.forceRestart {
		if in, end := w.crash.InBackOffSince(c.Name, cur.st.FinishedAt, now); in {
			if cs.waitReason != ReasonCrashLoopBackOff {
				w.event(pod, api.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)", c.Name, pod.Name, pod.Namespace, pod.UID)
			}
			cs.waitReason = ReasonCrashLoopBackOff
			cs.waitMessage = fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
				w.crash.Delay(c.Name), c.Name, pod.Name, pod.Namespace, pod.UID)
			next.at(end)
			return
		}
		w.crash.Next(c.Name, cur.st.FinishedAt, now)
	}
	if in, end := w.startFail.InBackOffSinceUpdate(c.Name, now); in {
		cs.waitReason, cs.waitMessage = cs.startErrReason, cs.startErrMessage
		next.at(end)
		return
	}
	w.startContainer(ctx, pod, c, cs, init, objs, next)
}

// startContainer pulls the image as the pull policy says and starts the
// next run of the container.
func (w *worker) startContainer(ctx context.Context, pod *api.Pod, c *api.Container, cs *ctrState, init bool, objs *objectCache, next *wakeAt) {
	rt := w.m.deps.Runtime
	attempt := uint32(0)
	if cs.cur != nil {
		attempt = cs.cur.attempt + 1
	}
	info, ok := w.ensureImage(ctx, pod, c, cs, objs, next)
	if !ok {
		return
	}
	cs.image = info
	cfg, err := w.containerConfig(ctx, pod, c, attempt, info, objs)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		cs.waitReason, cs.waitMessage = ReasonCreateContainerConfigError, err.Error()
		next.at(w.retryAfterError("config/" + c.Name))
		return
	}
	w.retry.Reset("config/" + c.Name)
	id, err := rt.StartContainer(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		now := w.now()
		w.log.Warn("starting container failed", "container", c.Name, "err", err)
		w.event(pod, api.EventTypeWarning, "Failed", "Error: %v", err)
		cs.startErrReason, cs.startErrMessage = ReasonCreateContainerError, err.Error()
		cs.waitReason, cs.waitMessage = cs.startErrReason, cs.startErrMessage
		w.startFail.Next(c.Name, now, now)
		_, end := w.startFail.InBackOffSinceUpdate(c.Name, now)
		next.at(end)
		return
	}
	now := w.now()
	w.startFail.Reset(c.Name)
	cs.startErrReason, cs.startErrMessage = "", ""
	inst := &instance{id: id, attempt: attempt, image: cfg.Image, hash: cfg.Labels[hashLabel],
		st: runtime.Status{ID: id, State: runtime.StateRunning, StartedAt: now}}
	w.refreshInstance(ctx, inst)
	if cs.prev != nil {
		w.removeInstance(ctx, pod, c.Name, cs.prev)
	}
	cs.prev, cs.cur = cs.cur, inst
	cs.forceRestart = false
	cs.stopProbes()
	if !init && !inst.exited() {
		w.ensureProbes(c, cs)
	}
	w.lastStart = now
	w.log.Debug("started container", "container", c.Name, "id", id, "attempt", attempt)
	w.event(pod, api.EventTypeNormal, "Created", "Created container %s", c.Name)
	w.event(pod, api.EventTypeNormal, "Started", "Started container %s", c.Name)
}

// ensureImage makes the container's image present per its pull policy, with
// the kubelet's back-off after failed pulls. On failure it sets the
// container's waiting reason and returns false.
func (w *worker) ensureImage(ctx context.Context, pod *api.Pod, c *api.Container, cs *ctrState, objs *objectCache, next *wakeAt) (runtime.ImageInfo, bool) {
	now := w.now()
	if in, end := w.pull.InBackOffSinceUpdate(c.Image, now); in {
		if cs.waitReason != ReasonImagePullBackOff {
			w.event(pod, api.EventTypeNormal, "BackOff", "Back-off pulling image %q", c.Image)
		}
		cs.waitReason, cs.waitMessage = ReasonImagePullBackOff, fmt.Sprintf("Back-off pulling image %q", c.Image)
		next.at(end)
		return runtime.ImageInfo{}, false
	}
	auth := pullAuth(ctx, pod, c.Image, objs)
	info, err := w.m.deps.Runtime.EnsureImage(ctx, c.Image, pullPolicy(c), auth)
	switch {
	case err == nil:
		if info.Ref == "" {
			info.Ref = c.Image
		}
		if info.Pulled > 0 {
			w.event(pod, api.EventTypeNormal, "Pulled", "Successfully pulled image %q in %s", c.Image, info.Pulled.Round(time.Millisecond))
		} else if cs.cur == nil {
			w.event(pod, api.EventTypeNormal, "Pulled", "Container image %q already present on machine", c.Image)
		}
		return info, true
	case ctx.Err() != nil:
	case errors.Is(err, runtime.ErrImageNeverPull):
		cs.waitReason = ReasonErrImageNeverPull
		cs.waitMessage = fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		next.at(w.retryAfterError("image/" + c.Name))
	case errors.Is(err, runtime.ErrInvalidConfig):
		cs.waitReason, cs.waitMessage = ReasonInvalidImageName, err.Error()
		next.at(w.retryAfterError("image/" + c.Name))
	default:
		w.log.Info("pulling image failed", "image", c.Image, "err", err)
		w.event(pod, api.EventTypeWarning, "Failed", "Failed to pull image %q: %v", c.Image, err)
		cs.waitReason, cs.waitMessage = ReasonErrImagePull, err.Error()
		w.pull.Next(c.Image, now, now)
		// Sync again shortly to show ImagePullBackOff, as the kubelet does.
		next.at(now.Add(statusPollInterval))
	}
	return runtime.ImageInfo{}, false
}

// containerConfig builds what the runtime needs to run the container.
func (w *worker) containerConfig(ctx context.Context, pod *api.Pod, c *api.Container, attempt uint32, img runtime.ImageInfo, objs *objectCache) (runtime.ContainerConfig, error) {
	env, err := makeEnv(ctx, pod, c, w.fields(), objs)
	if err != nil {
		return runtime.ContainerConfig{}, err
	}
	mounts, err := containerMounts(c, w.volumes.volumes, w.hostsFile)
	if err != nil {
		return runtime.ContainerConfig{}, err
	}
	return runtime.ContainerConfig{
		PodUID:       pod.UID,
		PodNamespace: pod.Namespace,
		PodName:      pod.Name,
		Name:         c.Name,
		Attempt:      attempt,
		Image:        img.Ref,
		Command:      expandAll(c.Command, env),
		Args:         expandAll(c.Args, env),
		Env:          env.vars,
		WorkingDir:   c.WorkingDir,
		Hostname:     podHostname(pod),
		NetNSPath:    w.sandbox.NetNSPath,
		Resources:    containerResources(c),
		Mounts:       mounts,
		LogPath:      LogPath(w.m.deps.RootDir, pod.UID, c.Name, attempt),
		Labels:       map[string]string{hashLabel: containerHash(c)},
	}, nil
}

// containerResources maps requests and limits to cgroup settings.
func containerResources(c *api.Container) runtime.Resources {
	cpuReq := c.Resources.Requests[api.ResourceCPU]
	cpuLim := c.Resources.Limits[api.ResourceCPU]
	memLim := c.Resources.Limits[api.ResourceMemory]
	return runtime.ResourcesFor(cpuReq.MilliValue(), cpuLim.MilliValue(), memLim.Value())
}

// killInstance stops the container's current run with grace and reads its
// final state.
func (w *worker) killInstance(ctx context.Context, pod *api.Pod, cs *ctrState, grace time.Duration) {
	cs.stopProbes()
	if err := w.m.deps.Runtime.StopContainer(ctx, cs.cur.id, grace); err != nil && !isNotFound(err) {
		if ctx.Err() == nil {
			w.log.Warn("stopping container", "id", cs.cur.id, "err", err)
		}
		return
	}
	w.refreshInstance(ctx, cs.cur)
}

// stopAll stops every running container of the pod at once.
func (w *worker) stopAll(ctx context.Context, pod *api.Pod, grace time.Duration) error {
	type result struct {
		cs  *ctrState
		err error
	}
	ch := make(chan result)
	n := 0
	for name, cs := range w.containers {
		cs.stopProbes()
		if cs.cur == nil || cs.cur.exited() {
			continue
		}
		w.event(pod, api.EventTypeNormal, "Killing", "Stopping container %s", name)
		n++
		go func() {
			err := w.m.deps.Runtime.StopContainer(ctx, cs.cur.id, grace)
			if isNotFound(err) {
				err = nil
			}
			ch <- result{cs, err}
		}()
	}
	var errs []error
	for range n {
		r := <-ch
		if r.err != nil {
			errs = append(errs, fmt.Errorf("stopping container %s: %w", r.cs.cur.id, r.err))
			continue
		}
		w.refreshInstance(ctx, r.cs.cur)
	}
	return errors.Join(errs...)
}

// removeInstance removes a container run and its log file.
func (w *worker) removeInstance(ctx context.Context, pod *api.Pod, name string, inst *instance) {
	if err := w.m.deps.Runtime.RemoveContainer(ctx, inst.id); err != nil {
		w.log.Warn("removing container", "id", inst.id, "err", err)
		return
	}
	if name != "" {
		os.Remove(LogPath(w.m.deps.RootDir, pod.UID, name, inst.attempt))
	}
}

// enterTerminal is reached once the pod is Succeeded or Failed: no probe
// runs and nothing starts again; the network is released (the sandbox and
// exited containers stay for logs until the pod is deleted).
func (w *worker) enterTerminal() {
	w.terminal = true
	for _, cs := range w.containers {
		cs.stopProbes()
	}
}

// syncTerminal keeps a finished pod's resources released.
func (w *worker) syncTerminal(ctx context.Context, pod *api.Pod) time.Time {
	if err := w.stopAll(ctx, pod, gracePeriod(pod)); err != nil {
		w.log.Warn("stopping the containers of a finished pod", "err", err)
		return w.retryAfterError("terminal")
	}
	if w.sandbox != nil && (w.networkUp || w.adoptedSandbox) {
		if err := w.m.deps.Network.TearDown(ctx, podRef(pod), w.sandbox.NetNSPath); err != nil {
			w.log.Warn("tearing down the network of a finished pod", "err", err)
			return w.retryAfterError("terminal")
		}
		w.networkUp, w.adoptedSandbox = false, false
		if err := writeNetworkState(w.m.deps.RootDir, w.uid, networkState{IP: w.podIP, Released: true}); err != nil {
			w.log.Warn("recording the pod network state", "err", err)
		}
	}
	return time.Time{}
}

// gracePeriod is the time containers get between SIGTERM and SIGKILL: the
// deletion's grace period, else the pod's terminationGracePeriodSeconds, and
// at least minGracePeriod.
func gracePeriod(pod *api.Pod) time.Duration {
	g := int64(30)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		g = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.DeletionGracePeriodSeconds != nil {
		g = *pod.DeletionGracePeriodSeconds
	}
	return max(time.Duration(g)*time.Second, minGracePeriod)
}

// probeGracePeriod is the grace for a container killed by a failed probe:
// the probe's own terminationGracePeriodSeconds if it has one.
func probeGracePeriod(pod *api.Pod, c *api.Container, kind probeKind) time.Duration {
	p := c.LivenessProbe
	if kind == probeStartup {
		p = c.StartupProbe
	}
	if p != nil && p.TerminationGracePeriodSeconds != nil {
		return max(time.Duration(*p.TerminationGracePeriodSeconds)*time.Second, minGracePeriod)
	}
	return gracePeriod(pod)
}

// containerHash identifies a container's spec; a running container whose
// recorded hash differs is restarted (the image changed).
func containerHash(c *api.Container) string {
	data, _ := json.Marshal(c)
	h := fnv.New64a()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// event records an Event about the pod, if the manager has a sink.
func (w *worker) event(pod *api.Pod, typ, reason, format string, args ...any) {
	if ev := w.m.deps.Events; ev != nil {
		ev.Eventf(pod, "Pod", typ, reason, format, args...)
	}
}
