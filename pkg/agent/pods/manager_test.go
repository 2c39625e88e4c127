package pods

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/network"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

func TestNewValidatesDeps(t *testing.T) {
	_, err := New(Deps{RootDir: "relative"})
	if err == nil {
		t.Fatal("New accepted empty deps")
	}
	for _, want := range []string{"Runtime", "Network", "Status", "Objects", "NodeName", "RootDir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestRunsPod(t *testing.T) {
	h := newHarness(t)
	pod := makePod("web").container(api.Container{
		Name:       "app",
		Command:    []string{"/bin/httpd"},
		Args:       []string{"-f", "-p", "8080"},
		WorkingDir: "/www",
		Env:        []api.EnvVar{{Name: "MODE", Value: "test"}},
		Ports:      []api.ContainerPort{{ContainerPort: 8080, HostPort: 30080}},
		Resources: api.ResourceRequirements{
			Requests: api.ResourceList{api.ResourceCPU: resource.MustParse("250m")},
			Limits:   api.ResourceList{api.ResourceCPU: resource.MustParse("500m"), api.ResourceMemory: resource.MustParse("64Mi")},
		},
	}).obj()
	h.start(pod)

	st := h.waitStatus(pod, "pod ready", func(st api.PodStatus) bool {
		return condition(st, api.PodReady).Status == api.ConditionTrue
	})
	if st.Phase != api.PodRunning || st.PodIP != "10.88.0.5" || st.HostIP != testNodeIP || st.StartTime == nil ||
		st.QOSClass != "Burstable" || len(st.PodIPs) != 1 || len(st.HostIPs) != 1 {
		t.Errorf("status = %+v", st)
	}
	for _, typ := range []string{api.PodScheduled, api.PodInitialized, api.ContainersReady, api.PodReady} {
		if c := condition(st, typ); c.Status != api.ConditionTrue || c.LastTransitionTime.IsZero() {
			t.Errorf("condition %s = %+v", typ, c)
		}
	}
	cs := findStatus(st.ContainerStatuses, "app")
	if !cs.Ready || cs.Started == nil || !*cs.Started || cs.State.Running == nil || cs.RestartCount != 0 ||
		cs.ContainerID != "fake://fake-0001" || cs.Image != testImage || !strings.Contains(cs.ImageID, "registry.local/busybox@sha256:") {
		t.Errorf("container status = %+v", cs)
	}

	cfgs := h.started(pod.UID, "app")
	if len(cfgs) != 1 {
		t.Fatalf("started %d containers, want 1", len(cfgs))
	}
	cfg := cfgs[0]
	want := runtime.ContainerConfig{
		PodUID: pod.UID, PodNamespace: "default", PodName: "web", Name: "app", Image: testImage,
		Command: []string{"/bin/httpd"}, Args: []string{"-f", "-p", "8080"}, WorkingDir: "/www",
		Env:       []runtime.EnvVar{{Name: "MODE", Value: "test"}},
		Hostname:  "web",
		NetNSPath: "/fake/netns/" + pod.UID,
		Resources: runtime.Resources{CPUShares: 256, CPUQuota: 50000, CPUPeriod: 100000, MemoryLimit: 64 << 20},
		Mounts:    []runtime.Mount{{HostPath: filepath.Join(h.root, "pods", pod.UID, "etc-hosts.txt"), ContainerPath: "/etc/hosts"}},
		LogPath:   filepath.Join(h.root, "pods", pod.UID, "app", "0.log"),
		Labels:    map[string]string{hashLabel: containerHash(&pod.Spec.Containers[0])},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("container config (-want +got):\n%s", diff)
	}
	hosts, err := os.ReadFile(filepath.Join(h.root, "pods", pod.UID, "etc-hosts.txt"))
	if err != nil || !strings.Contains(string(hosts), "10.88.0.5\tweb\n") {
		t.Errorf("hosts file = %q, %v", hosts, err)
	}
	h.net.mu.Lock()
	wantPorts := [][]network.PortMapping{{{HostPort: 30080, ContainerPort: 8080, Protocol: "TCP"}}}
	if diff := cmp.Diff(wantPorts, h.net.ports); diff != "" {
		t.Errorf("port mappings (-want +got):\n%s", diff)
	}
	h.net.mu.Unlock()
	if pulls := h.rt.Pulls(); len(pulls) != 0 {
		t.Errorf("pulled %v; the image is present and the policy is IfNotPresent", pulls)
	}

	// Only changes are written.
	writes := h.status.writes(pod.UID)
	h.idle(10 * time.Second)
	if got := h.status.writes(pod.UID); got != writes {
		t.Errorf("status written %d more times while nothing changed", got-writes)
	}
	if len(h.started(pod.UID, "app")) != 1 {
		t.Errorf("the container was started again")
	}
}

func TestFirstStatusIsPending(t *testing.T) {
	h := newHarness(t)
	pod := makePod("slow").container(api.Container{Name: "app", Image: "registry.local/absent:1"}).obj()
	h.start(pod)
	h.waitStatus(pod, "a status", func(api.PodStatus) bool { return true })
	first := h.status.all(pod.UID)[0]
	cs := findStatus(first.ContainerStatuses, "app")
	if first.Phase != api.PodPending || first.StartTime == nil || cs.State.Waiting == nil || cs.State.Waiting.Reason != ReasonContainerCreating ||
		condition(first, api.PodReady).Status != api.ConditionFalse || condition(first, api.PodScheduled).Status != api.ConditionTrue {
		t.Errorf("first status = %+v", first)
	}
}

func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		policy      string
		exitCode    int32
		wantRestart bool
		wantPhase   string
	}{
		{api.RestartPolicyAlways, 0, true, api.PodRunning},
		{api.RestartPolicyAlways, 1, true, api.PodRunning},
		{api.RestartPolicyOnFailure, 0, false, api.PodSucceeded},
		{api.RestartPolicyOnFailure, 1, true, api.PodRunning},
		{api.RestartPolicyNever, 0, false, api.PodSucceeded},
		{api.RestartPolicyNever, 1, false, api.PodFailed},
	}
	for _, tt := range tests {
		t.Run(tt.policy+"/exit"+string(rune('0'+tt.exitCode)), func(t *testing.T) {
			h := newHarness(t)
			pod := makePod("p").restart(tt.policy).container(api.Container{Name: "app"}).obj()
			h.start(pod)
			id := h.waitRunning(pod.UID, "app", 0)
			if err := h.rt.Exit(id, tt.exitCode, false); err != nil {
				t.Fatal(err)
			}
			if tt.wantRestart {
				h.waitRunning(pod.UID, "app", 1)
				st := h.waitStatus(pod, "restartCount 1", func(st api.PodStatus) bool {
					cs := findStatus(st.ContainerStatuses, "app")
					return cs.RestartCount == 1 && cs.State.Running != nil
				})
				cs := findStatus(st.ContainerStatuses, "app")
				if lt := cs.LastState.Terminated; lt == nil || lt.ExitCode != tt.exitCode || lt.ContainerID != "fake://"+id {
					t.Errorf("lastState = %+v", cs.LastState)
				}
				if st.Phase != tt.wantPhase {
					t.Errorf("phase = %s, want %s", st.Phase, tt.wantPhase)
				}
				return
			}
			st := h.waitStatus(pod, "phase "+tt.wantPhase, func(st api.PodStatus) bool { return st.Phase == tt.wantPhase })
			cs := findStatus(st.ContainerStatuses, "app")
			wantReason := runtime.ReasonCompleted
			if tt.exitCode != 0 {
				wantReason = runtime.ReasonError
			}
			if term := cs.State.Terminated; term == nil || term.ExitCode != tt.exitCode || term.Reason != wantReason || cs.Ready {
				t.Errorf("container status = %+v", cs)
			}
			if c := condition(st, api.PodReady); c.Status != api.ConditionFalse {
				t.Errorf("Ready = %+v", c)
			}
			if tt.wantPhase == api.PodSucceeded && condition(st, api.PodReady).Reason != ReasonPodCompleted {
				t.Errorf("Ready reason = %q, want PodCompleted", condition(st, api.PodReady).Reason)
			}
			h.eventually("network released", func() bool { _, down := h.net.counts(pod.UID); return down == 1 })
			h.idle(30 * time.Second)
			if n := len(h.started(pod.UID, "app")); n != 1 {
				t.Errorf("started %d times, want once", n)
			}
			if _, ok := h.current(pod.UID, "app"); !ok {
				t.Errorf("the exited container was removed before the pod was deleted")
			}
		})
	}
}

// TestCrashLoopBackOff: a container that keeps failing is restarted at once,
// then after 10 s, 20 s, 40 s ... up to 5 min, showing CrashLoopBackOff and a
// growing restartCount; after 10 min of running the back-off starts over.
func TestCrashLoopBackOff(t *testing.T) {
	h := newHarness(t)
	h.step = time.Second
	pod := makePod("crash").container(api.Container{Name: "app"}).obj()
	h.start(pod)

	wantGaps := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 300 * time.Second, 300 * time.Second}
	for n, want := range wantGaps {
		id := h.waitRunning(pod.UID, "app", uint32(n))
		if err := h.rt.Exit(id, 1, false); err != nil {
			t.Fatal(err)
		}
		exited, _ := h.rt.ContainerStatus(context.Background(), id)
		if want > 0 {
			st := h.waitStatus(pod, "CrashLoopBackOff", func(st api.PodStatus) bool {
				cs := findStatus(st.ContainerStatuses, "app")
				return cs.State.Waiting != nil && cs.State.Waiting.Reason == ReasonCrashLoopBackOff && cs.RestartCount == int32(n)
			})
			cs := findStatus(st.ContainerStatuses, "app")
			if cs.LastState.Terminated == nil || cs.LastState.Terminated.ExitCode != 1 ||
				cs.LastState.Terminated.Reason != runtime.ReasonError || !strings.Contains(cs.State.Waiting.Message, "back-off "+want.String()) {
				t.Errorf("run %d: container status = %+v (waiting %+v)", n, cs, cs.State.Waiting)
			}
			if st.Phase != api.PodRunning || condition(st, api.PodReady).Status != api.ConditionFalse {
				t.Errorf("run %d: phase %s, Ready %s", n, st.Phase, condition(st, api.PodReady).Status)
			}
		}
		h.waitRunning(pod.UID, "app", uint32(n+1))
		next, _ := h.current(pod.UID, "app")
		started, _ := h.rt.ContainerStatus(context.Background(), next.ID)
		gap := started.StartedAt.Sub(exited.FinishedAt)
		if gap < want || gap > want+3*time.Second {
			t.Errorf("restart %d came %s after the exit, want %s", n+1, gap, want)
		}
	}
	h.waitStatus(pod, "restartCount 8", func(st api.PodStatus) bool {
		return findStatus(st.ContainerStatuses, "app").RestartCount == 8
	})
	if n := len(h.containers(pod.UID)); n != 2 {
		t.Errorf("%d containers kept, want the current and the previous run", n)
	}

	// Ten minutes of running resets the back-off: the next restart is
	// immediate, the one after waits 10 s.
	h.step = 5 * time.Second
	h.idle(11 * time.Minute)
	h.step = time.Second
	for n, want := range []time.Duration{0, 10 * time.Second} {
		cur, _ := h.current(pod.UID, "app")
		if err := h.rt.Exit(cur.ID, 1, false); err != nil {
			t.Fatal(err)
		}
		exited, _ := h.rt.ContainerStatus(context.Background(), cur.ID)
		id := h.waitRunning(pod.UID, "app", cur.Attempt+1)
		started, _ := h.rt.ContainerStatus(context.Background(), id)
		if gap := started.StartedAt.Sub(exited.FinishedAt); gap < want || gap > want+3*time.Second {
			t.Errorf("after the reset, restart %d came %s after the exit, want %s", n+1, gap, want)
		}
	}
}

func TestOOMKilled(t *testing.T) {
	h := newHarness(t)
	pod := makePod("oom").restart(api.RestartPolicyNever).container(api.Container{Name: "app"}).obj()
	h.start(pod)
	id := h.waitRunning(pod.UID, "app", 0)
	if err := h.rt.Exit(id, 137, true); err != nil {
		t.Fatal(err)
	}
	st := h.waitStatus(pod, "Failed", func(st api.PodStatus) bool { return st.Phase == api.PodFailed })
	if term := findStatus(st.ContainerStatuses, "app").State.Terminated; term == nil || term.Reason != runtime.ReasonOOMKilled || term.ExitCode != 137 {
		t.Errorf("terminated = %+v", term)
	}
}

func TestCreateContainerError(t *testing.T) {
	h := newHarness(t)
	pod := makePod("bad").container(api.Container{Name: "app"}).obj()
	h.rt.FailStart("app", os.ErrNotExist)
	h.start(pod)
	st := h.waitStatus(pod, "CreateContainerError", func(st api.PodStatus) bool {
		w := findStatus(st.ContainerStatuses, "app").State.Waiting
		return w != nil && w.Reason == ReasonCreateContainerError
	})
	if st.Phase != api.PodPending {
		t.Errorf("phase = %s, want Pending", st.Phase)
	}
	// The fake fails one start only: after the back-off it runs.
	h.waitRunning(pod.UID, "app", 0)
}

func TestActiveDeadline(t *testing.T) {
	h := newHarness(t)
	pod := makePod("job").edit(func(p *api.Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(30)) }).
		container(api.Container{Name: "app"}).obj()
	h.start(pod)
	id := h.waitRunning(pod.UID, "app", 0)
	st := h.waitStatus(pod, "Failed", func(st api.PodStatus) bool { return st.Phase == api.PodFailed })
	if st.Reason != ReasonDeadlineExceeded {
		t.Errorf("reason = %q", st.Reason)
	}
	if got := h.clock.Now().Sub(epoch); got < 30*time.Second {
		t.Errorf("failed after %s, before the deadline", got)
	}
	if s, _ := h.rt.ContainerStatus(context.Background(), id); s.State != runtime.StateExited {
		t.Errorf("container still %s", s.State)
	}
}

func TestInitContainers(t *testing.T) {
	h := newHarness(t)
	pod := makePod("init").
		initContainer(api.Container{Name: "first"}).
		initContainer(api.Container{Name: "second"}).
		container(api.Container{Name: "app"}).obj()
	h.start(pod)

	first := h.waitRunning(pod.UID, "first", 0)
	st := h.waitStatus(pod, "initializing", func(st api.PodStatus) bool {
		return findStatus(st.InitContainerStatuses, "first").State.Running != nil
	})
	if c := condition(st, api.PodInitialized); c.Status != api.ConditionFalse || c.Message != "containers with incomplete status: [first second]" {
		t.Errorf("Initialized = %+v", c)
	}
	if w := findStatus(st.ContainerStatuses, "app").State.Waiting; w == nil || w.Reason != ReasonPodInitializing || st.Phase != api.PodPending {
		t.Errorf("app waiting = %+v, phase %s", w, st.Phase)
	}
	h.idle(5 * time.Second)
	if len(h.started(pod.UID, "second")) != 0 {
		t.Fatal("second init container started before the first completed")
	}
	h.rt.Exit(first, 0, false)
	second := h.waitRunning(pod.UID, "second", 0)
	if len(h.started(pod.UID, "app")) != 0 {
		t.Fatal("app started before the init containers completed")
	}
	h.rt.Exit(second, 0, false)
	h.waitRunning(pod.UID, "app", 0)
	st = h.waitStatus(pod, "ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionTrue })
	for _, name := range []string{"first", "second"} {
		cs := findStatus(st.InitContainerStatuses, name)
		if term := cs.State.Terminated; term == nil || term.Reason != runtime.ReasonCompleted || !cs.Ready {
			t.Errorf("init container %s = %+v", name, cs)
		}
	}
	if condition(st, api.PodInitialized).Status != api.ConditionTrue {
		t.Errorf("Initialized = %+v", condition(st, api.PodInitialized))
	}
}

func TestFailedInitContainer(t *testing.T) {
	t.Run("Never", func(t *testing.T) {
		h := newHarness(t)
		pod := makePod("init").restart(api.RestartPolicyNever).
			initContainer(api.Container{Name: "setup"}).container(api.Container{Name: "app"}).obj()
		h.start(pod)
		h.rt.Exit(h.waitRunning(pod.UID, "setup", 0), 3, false)
		st := h.waitStatus(pod, "Failed", func(st api.PodStatus) bool { return st.Phase == api.PodFailed })
		if term := findStatus(st.InitContainerStatuses, "setup").State.Terminated; term == nil || term.ExitCode != 3 {
			t.Errorf("setup = %+v", findStatus(st.InitContainerStatuses, "setup"))
		}
		h.idle(20 * time.Second)
		if len(h.started(pod.UID, "app")) != 0 || len(h.started(pod.UID, "setup")) != 1 {
			t.Errorf("started after the init container failed: %+v", h.rt.Started())
		}
	})
	t.Run("Always", func(t *testing.T) {
		h := newHarness(t)
		pod := makePod("init").initContainer(api.Container{Name: "setup"}).container(api.Container{Name: "app"}).obj()
		h.start(pod)
		h.rt.Exit(h.waitRunning(pod.UID, "setup", 0), 3, false)
		h.rt.Exit(h.waitRunning(pod.UID, "setup", 1), 0, false)
		h.waitRunning(pod.UID, "app", 0)
		st := h.waitStatus(pod, "Running", func(st api.PodStatus) bool { return st.Phase == api.PodRunning })
		if cs := findStatus(st.InitContainerStatuses, "setup"); cs.RestartCount != 1 {
			t.Errorf("setup restartCount = %d, want 1", cs.RestartCount)
		}
	})
}

func TestSpecChangeRestartsContainer(t *testing.T) {
	h := newHarness(t)
	pod := makePod("upd").container(api.Container{Name: "app"}).obj()
	m := h.start(pod)
	h.waitRunning(pod.UID, "app", 0)
	h.rt.AddImage("registry.local/busybox:1.37")
	newer := api.DeepCopy(pod)
	newer.Spec.Containers[0].Image = "registry.local/busybox:1.37"
	newer.ResourceVersion = "2"
	m.UpdatePod(newer)
	h.waitRunning(pod.UID, "app", 1)
	st := h.waitStatus(pod, "new image", func(st api.PodStatus) bool {
		cs := findStatus(st.ContainerStatuses, "app")
		return cs.Image == "registry.local/busybox:1.37" && cs.State.Running != nil
	})
	if cs := findStatus(st.ContainerStatuses, "app"); cs.RestartCount != 1 {
		t.Errorf("restartCount = %d, want 1", cs.RestartCount)
	}
}

func TestIgnoresOtherNodesAndBadUIDs(t *testing.T) {
	h := newHarness(t)
	other := makePod("other").edit(func(p *api.Pod) { p.Spec.NodeName = "node-2" }).container(api.Container{Name: "app"}).obj()
	bad := makePod("bad").edit(func(p *api.Pod) { p.UID = "../../etc" }).container(api.Container{Name: "app"}).obj()
	m := h.start()
	m.UpdatePod(other)
	m.UpdatePod(bad)
	h.idle(5 * time.Second)
	if got := h.rt.Started(); len(got) != 0 {
		t.Errorf("started %+v", got)
	}
}

func TestPodHandedOverBeforeRun(t *testing.T) {
	h := newHarness(t)
	m, err := New(h.deps)
	if err != nil {
		t.Fatal(err)
	}
	early := makePod("early").container(api.Container{Name: "app"}).obj()
	deleted := makePod("deleted").container(api.Container{Name: "app"}).obj()
	h.m = m
	m.Handler().OnAdd(early)
	m.Handler().OnAdd(deleted)
	m.Handler().OnDelete(deleted)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []*api.Pod{deleted}) }()
	h.cancel, h.done = cancel, done
	t.Cleanup(h.stop)
	h.waitRunning(early.UID, "app", 0)
	h.idle(3 * time.Second)
	if n := len(h.started(deleted.UID, "app")); n != 0 {
		t.Errorf("a pod deleted before Run was started")
	}
	if err := m.Run(ctx, nil); err == nil {
		t.Errorf("second Run did not fail")
	}
}
