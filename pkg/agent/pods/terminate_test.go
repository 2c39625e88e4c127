package pods

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// TestTermination: deleting a pod sends SIGTERM with the deletion's grace
// period (SIGKILL after it for a container that ignores SIGTERM), writes a
// final status, removes containers, network, sandbox and directory, and
// deletes the pod object.
func TestTermination(t *testing.T) {
	h := newHarness(t)
	pod := makePod("bye").container(api.Container{Name: "polite"}).container(api.Container{Name: "stubborn"}).obj()
	m := h.start(pod)
	polite := h.waitRunning(pod.UID, "polite", 0)
	stubborn := h.waitRunning(pod.UID, "stubborn", 0)
	h.waitStatus(pod, "ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionTrue })
	h.rt.IgnoreSIGTERM(stubborn)
	logFile := LogPath(h.root, pod.UID, "polite", 0)
	os.MkdirAll(filepath.Dir(logFile), 0o755)
	if err := os.WriteFile(logFile, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	m.UpdatePod(deleting(pod, 5))
	h.eventually("pod object deleted", func() bool { _, ok := h.status.deletedPod(pod.UID); return ok })
	for _, id := range []string{polite, stubborn} {
		if g := h.rt.StopGraces(id); !slices.Equal(g, []time.Duration{5 * time.Second}) {
			t.Errorf("container %s stopped with %v, want [5s]", id, g)
		}
	}
	st, _ := h.status.last(pod.UID)
	if st.Phase != api.PodFailed {
		t.Errorf("final phase = %s, want Failed", st.Phase)
	}
	for name, code := range map[string]int32{"polite": 143, "stubborn": 137} {
		if term := findStatus(st.ContainerStatuses, name).State.Terminated; term == nil || term.ExitCode != code {
			t.Errorf("%s final state = %+v, want exit %d", name, term, code)
		}
	}
	if c := h.containers(pod.UID); len(c) != 0 {
		t.Errorf("containers left: %+v", c)
	}
	if sbs, _ := h.rt.ListSandboxes(context.Background()); len(sbs) != 0 {
		t.Errorf("sandboxes left: %+v", sbs)
	}
	if _, down := h.net.counts(pod.UID); down != 1 {
		t.Errorf("network torn down %d times, want once", down)
	}
	if _, err := os.Stat(PodDir(h.root, pod.UID)); !os.IsNotExist(err) {
		t.Errorf("pod directory left: %v", err)
	}
	if p, _ := h.status.deletedPod(pod.UID); p.UID != pod.UID {
		t.Errorf("deleted %+v", p)
	}

	// A late update of the deleted pod starts nothing.
	m.UpdatePod(deleting(pod, 5))
	m.UpdatePod(pod)
	h.idle(5 * time.Second)
	if n := len(h.rt.Started()); n != 2 {
		t.Errorf("started %d containers, want 2", n)
	}
}

func TestTerminationGracePeriods(t *testing.T) {
	tests := []struct {
		name     string
		spec     *int64
		deletion int64
		want     time.Duration
	}{
		{"deletion grace", ptr(int64(30)), 12, 12 * time.Second},
		{"at least 2s", ptr(int64(30)), 1, 2 * time.Second},
		{"zero", ptr(int64(30)), 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			pod := makePod("g").edit(func(p *api.Pod) { p.Spec.TerminationGracePeriodSeconds = tt.spec }).
				container(api.Container{Name: "app"}).obj()
			m := h.start(pod)
			id := h.waitRunning(pod.UID, "app", 0)
			m.UpdatePod(deleting(pod, tt.deletion))
			h.eventually("deleted", func() bool { _, ok := h.status.deletedPod(pod.UID); return ok })
			if g := h.rt.StopGraces(id); len(g) != 1 || g[0] != tt.want {
				t.Errorf("grace = %v, want %s", g, tt.want)
			}
		})
	}
}

// TestDeletionInterruptsPull: a pod deleted while its image is being pulled
// (or backing off) is terminated without waiting.
func TestDeletionOfWaitingPod(t *testing.T) {
	h := newHarness(t)
	pod := makePod("never").container(api.Container{Name: "app", Image: "registry.local/missing:1"}).obj()
	m := h.start(pod)
	h.waitStatus(pod, "ErrImagePull", func(st api.PodStatus) bool {
		w := findStatus(st.ContainerStatuses, "app").State.Waiting
		return w != nil && w.Reason == ReasonErrImagePull
	})
	m.UpdatePod(deleting(pod, 30))
	h.eventually("deleted", func() bool { _, ok := h.status.deletedPod(pod.UID); return ok })
	if sbs, _ := h.rt.ListSandboxes(context.Background()); len(sbs) != 0 {
		t.Errorf("sandboxes left: %+v", sbs)
	}
}

// TestPodGoneFromAPI: a pod deleted from the API without us (force delete)
// is stopped and cleaned up, and not deleted again.
func TestPodGoneFromAPI(t *testing.T) {
	h := newHarness(t)
	pod := makePod("forced").container(api.Container{Name: "app"}).obj()
	m := h.start(pod)
	id := h.waitRunning(pod.UID, "app", 0)
	m.DeletePod(pod)
	h.eventually("containers removed", func() bool { return len(h.containers(pod.UID)) == 0 })
	h.eventually("sandbox removed", func() bool {
		sbs, _ := h.rt.ListSandboxes(context.Background())
		return len(sbs) == 0
	})
	if g := h.rt.StopGraces(id); len(g) != 0 && g[0] != 30*time.Second {
		t.Errorf("grace = %v, want the pod's 30s", g)
	}
	h.idle(2 * time.Second)
	if _, ok := h.status.deletedPod(pod.UID); ok {
		t.Errorf("deleted a pod that was gone already")
	}
}

// TestReadoption: a new Manager over the same runtime takes over running
// containers without restarting or duplicating them, recovers restartCount
// from the attempts, keeps the pod ready and its IP, and goes on managing
// them.
func TestReadoption(t *testing.T) {
	h := newHarness(t)
	pod := makePod("keep").container(api.Container{Name: "a"}).container(api.Container{Name: "b"}).obj()
	h.start(pod)
	a0 := h.waitRunning(pod.UID, "a", 0)
	h.waitRunning(pod.UID, "b", 0)
	h.rt.Exit(a0, 1, false)
	a1 := h.waitRunning(pod.UID, "a", 1)
	st := h.waitStatus(pod, "ready with a restarted", func(st api.PodStatus) bool {
		return condition(st, api.PodReady).Status == api.ConditionTrue && findStatus(st.ContainerStatuses, "a").RestartCount == 1
	})
	h.stop()
	startedBefore := len(h.rt.Started())
	writesBefore := h.status.writes(pod.UID)
	st, _ = h.status.last(pod.UID)
	a1Status, _ := h.rt.ContainerStatus(context.Background(), a1)

	// The API has the pod with the status the first manager wrote.
	again := api.DeepCopy(pod)
	again.Status = st
	h.net.ip = "10.88.0.99" // a new SetUp would show
	h.start(again)
	h.idle(5 * time.Second)
	if n := len(h.rt.Started()); n != startedBefore {
		t.Fatalf("started %d containers after the restart", n-startedBefore)
	}
	if n := h.status.writes(pod.UID); n != writesBefore {
		t.Errorf("the status changed after the restart: %+v", h.status.all(pod.UID)[writesBefore:])
	}
	if setups, _ := h.net.counts(pod.UID); setups != 1 {
		t.Errorf("network set up %d times, want once", setups)
	}

	// The new manager manages them: b exits and is restarted as attempt 1.
	b0, _ := h.current(pod.UID, "b")
	h.rt.Exit(b0.ID, 2, false)
	h.waitRunning(pod.UID, "b", 1)
	st = h.waitStatus(pod, "b restarted", func(st api.PodStatus) bool {
		return findStatus(st.ContainerStatuses, "b").RestartCount == 1 && findStatus(st.ContainerStatuses, "b").State.Running != nil
	})
	a := findStatus(st.ContainerStatuses, "a")
	if a.ContainerID != "fake://"+a1 || a.RestartCount != 1 || a.State.Running == nil || !a.State.Running.StartedAt.Equal(apiTime(a1Status.StartedAt).Time) {
		t.Errorf("a after the restart = %+v", a)
	}
	if lt := a.LastState.Terminated; lt == nil || lt.ContainerID != "fake://"+a0 {
		t.Errorf("a lastState = %+v", a.LastState)
	}
	if st.PodIP != "10.88.0.5" {
		t.Errorf("pod IP = %s, want the recorded 10.88.0.5", st.PodIP)
	}
	if n := len(h.rt.Started()); n != startedBefore+1 {
		t.Errorf("started %d containers, want only b again", n-startedBefore)
	}
}

// TestOrphanCleanup: what the runtime holds for pods that are not in the API
// when the manager starts is removed, as are containers of no pod and
// containers the spec does not name.
func TestOrphanCleanup(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := func(uid, name string) string {
		id, err := h.rt.StartContainer(ctx, runtime.ContainerConfig{PodUID: uid, PodNamespace: "default", PodName: "p-" + uid, Name: name, Image: testImage})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	gone := start("uid-gone", "app")
	if _, err := h.rt.CreateSandbox(ctx, runtime.SandboxConfig{PodUID: "uid-gone"}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(PodDir(h.root, "uid-gone"), "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(PodDir(h.root, "uid-stale-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.rt.foreign["foreign-1"] = true

	pod := makePod("keep").container(api.Container{Name: "app"}).obj()
	kept := start(pod.UID, "app")
	extra := start(pod.UID, "removed-from-spec")
	h.start(pod)

	h.eventually("orphans removed", func() bool {
		h.rt.mu.Lock()
		defer h.rt.mu.Unlock()
		return slices.Contains(h.rt.removals, gone) && slices.Contains(h.rt.removals, "foreign-1") && slices.Contains(h.rt.removals, extra)
	})
	h.eventually("sandbox removed", func() bool {
		sbs, _ := h.rt.ListSandboxes(ctx)
		return !slices.ContainsFunc(sbs, func(s runtime.Sandbox) bool { return s.ID == "uid-gone" })
	})
	if _, down := h.net.counts("uid-gone"); down != 1 {
		t.Errorf("network of the gone pod torn down %d times, want once", down)
	}
	h.eventually("directories removed", func() bool {
		_, err1 := os.Stat(PodDir(h.root, "uid-gone"))
		_, err2 := os.Stat(PodDir(h.root, "uid-stale-dir"))
		return os.IsNotExist(err1) && os.IsNotExist(err2)
	})
	if g := h.rt.StopGraces(gone); len(g) > 0 && g[0] != minGracePeriod {
		t.Errorf("orphan stopped with %v", g)
	}
	st := h.waitStatus(pod, "running", func(st api.PodStatus) bool { return st.Phase == api.PodRunning })
	if cs := findStatus(st.ContainerStatuses, "app"); cs.ContainerID != "fake://"+kept {
		t.Errorf("the known pod's container was replaced: %+v", cs)
	}
	if n := len(h.rt.Started()); n != 3 {
		t.Errorf("started %d containers, want none beyond the 3 of the test", n-3)
	}
}

// TestFinishedPodKeepsContainersUntilDeleted: a Succeeded pod keeps its
// exited containers (for logs) and is left alone by a restarted manager.
func TestFinishedPodAfterRestart(t *testing.T) {
	h := newHarness(t)
	pod := makePod("done").restart(api.RestartPolicyNever).container(api.Container{Name: "app"}).obj()
	h.start(pod)
	h.rt.Exit(h.waitRunning(pod.UID, "app", 0), 0, false)
	st := h.waitStatus(pod, "Succeeded", func(st api.PodStatus) bool { return st.Phase == api.PodSucceeded })
	h.eventually("network released", func() bool { _, down := h.net.counts(pod.UID); return down == 1 })
	h.stop()
	writes := h.status.writes(pod.UID)

	again := api.DeepCopy(pod)
	again.Status = st
	m := h.start(again)
	h.idle(5 * time.Second)
	if len(h.rt.Started()) != 1 || h.status.writes(pod.UID) != writes {
		t.Errorf("a finished pod was touched after the restart")
	}
	if setups, down := h.net.counts(pod.UID); setups != 1 || down != 1 {
		t.Errorf("network set up %d and torn down %d times", setups, down)
	}
	// Deleting a finished pod: the API removes it at once (no grace), and
	// the agent removes what is left.
	m.DeletePod(again)
	h.eventually("cleaned up", func() bool {
		_, err := os.Stat(PodDir(h.root, pod.UID))
		return len(h.containers(pod.UID)) == 0 && os.IsNotExist(err)
	})
}
