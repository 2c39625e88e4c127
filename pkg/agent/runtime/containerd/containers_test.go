package containerd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"skiff/pkg/agent/runtime"
)

func TestEchoHelloLog(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	cfg := podConfig(t, "echo", "echo", "hello")

	before := time.Now()
	id := start(t, r, cfg)
	t.Logf("create→running: %v", time.Since(before))
	s := waitStatus(t, r, id, 10*time.Second, exited)

	if s.ExitCode != 0 || s.Reason != runtime.ReasonCompleted || s.OOMKilled {
		t.Errorf("status = %+v, want exit 0, Completed", s)
	}
	if s.StartedAt.Before(before.Add(-time.Second)) || s.FinishedAt.Before(s.StartedAt) || s.CreatedAt.IsZero() {
		t.Errorf("times: created %v started %v finished %v (test began %v)", s.CreatedAt, s.StartedAt, s.FinishedAt, before)
	}
	if got := readFile(t, cfg.LogPath); got != "hello\n" {
		t.Errorf("log = %q, want %q", got, "hello\n")
	}
}

func TestProcessConfigReachesProcess(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	cfg := podConfig(t, "env", "sh", "-c")
	cfg.Args = []string{`echo "foo=$FOO path=$PATH host=$HOSTNAME"; pwd; hostname; echo "args=$0 $1 $2"`, "zero", "one", "two words"}
	cfg.Env = []runtime.EnvVar{{Name: "FOO", Value: "bar baz"}}
	cfg.WorkingDir = "/tmp"
	cfg.Hostname = "my-pod"

	id := start(t, r, cfg)
	s := waitStatus(t, r, id, 10*time.Second, exited)
	if s.ExitCode != 0 {
		t.Fatalf("exit code %d; log:\n%s", s.ExitCode, readFile(t, cfg.LogPath))
	}
	want := "foo=bar baz path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin host=my-pod\n" +
		"/tmp\nmy-pod\nargs=zero one two words\n"
	if diff := cmp.Diff(want, readFile(t, cfg.LogPath)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestImageCmdUsedWithoutCommand(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	// The image's Cmd is ["sh"]; Args alone replace it (there is no entrypoint).
	cfg := podConfig(t, "args")
	cfg.Args = []string{"echo", "from args"}
	id := start(t, r, cfg)
	waitStatus(t, r, id, 10*time.Second, exited)
	if got := readFile(t, cfg.LogPath); got != "from args\n" {
		t.Errorf("log = %q", got)
	}
}

func TestStopGraceful(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	cfg := podConfig(t, "graceful", "sh", "-c", `trap "echo got TERM; exit 143" TERM; echo ready; sleep 1000 & wait`)
	before := time.Now()
	id := start(t, r, cfg)
	s := waitStatus(t, r, id, 5*time.Second, func(s runtime.Status) bool { return s.State == runtime.StateRunning })
	t.Logf("create→running: %v", time.Since(before))
	if s.Pid == 0 || s.StartedAt.IsZero() || s.Reason != "" {
		t.Errorf("running status = %+v", s)
	}
	waitLog(t, cfg.LogPath, "ready", 5*time.Second)

	const grace = 10 * time.Second
	before = time.Now()
	if err := r.StopContainer(testContext(t), id, grace); err != nil {
		t.Fatal(err)
	}
	took := time.Since(before)
	t.Logf("stop (SIGTERM handled): %v", took)
	if took >= grace/2 {
		t.Errorf("StopContainer took %v, want well within the grace period %v", took, grace)
	}
	s, err := r.ContainerStatus(testContext(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != runtime.StateExited || s.ExitCode != 143 || s.Reason != runtime.ReasonError || s.OOMKilled {
		t.Errorf("status after stop = %+v, want exited 143 Error", s)
	}
	waitLog(t, cfg.LogPath, "got TERM", time.Second)

	// Stopping again is fine.
	if err := r.StopContainer(testContext(t), id, grace); err != nil {
		t.Errorf("second StopContainer: %v", err)
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	cfg := podConfig(t, "stubborn", "sh", "-c", `trap "" TERM; echo ready; sleep 100`)
	id := start(t, r, cfg)
	waitLog(t, cfg.LogPath, "ready", 5*time.Second)

	const grace = time.Second
	before := time.Now()
	if err := r.StopContainer(testContext(t), id, grace); err != nil {
		t.Fatal(err)
	}
	took := time.Since(before)
	t.Logf("stop (SIGTERM ignored, grace %v): %v", grace, took)
	if took < grace || took > grace+5*time.Second {
		t.Errorf("StopContainer took %v, want the grace period %v and a little", took, grace)
	}
	s, err := r.ContainerStatus(testContext(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != runtime.StateExited || s.ExitCode != 137 || s.OOMKilled || s.Reason != runtime.ReasonError {
		t.Errorf("status = %+v, want exited 137 (SIGKILL), not OOMKilled, Error", s)
	}
}

func TestOOMKilled(t *testing.T) {
	requireContainerd(t)
	for _, tc := range []struct {
		name   string
		events bool
	}{
		{"with events", true},
		// Without the /tasks/oom event (missed while the agent was down), the
		// memory cgroup's OOM kill count tells.
		{"from cgroup", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRuntime(t, func(o *Options) { o.noEvents = !tc.events })
			importBusybox(t, r)
			cfg := podConfig(t, "hog", "sh", "-c", `x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived`)
			cfg.Resources = runtime.ResourcesFor(0, 0, 16<<20)
			id := start(t, r, cfg)
			s := waitStatus(t, r, id, 30*time.Second, exited)
			if !s.OOMKilled || s.Reason != runtime.ReasonOOMKilled || s.ExitCode != 137 {
				t.Errorf("status = %+v, want OOMKilled with exit 137; log %q", s, readFile(t, cfg.LogPath))
			}
		})
	}
}

func TestResourcesReachCgroup(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	if r.cgroups.unified {
		t.Skip("checks cgroup v1 files; this host has cgroup v2")
	}
	cfg := podConfig(t, "limited", "sleep", "100")
	cfg.Resources = runtime.ResourcesFor(250, 500, 32<<20)
	id := start(t, r, cfg)
	cg := r.cgroupsPath(cfg.PodUID, id)
	for file, want := range map[string]string{
		"cpu/cpu.shares":               "256",
		"cpu/cpu.cfs_quota_us":         "50000",
		"cpu/cpu.cfs_period_us":        "100000",
		"memory/memory.limit_in_bytes": "33554432",
	} {
		got := strings.TrimSpace(readFile(t, filepath.Join(cgroupRoot, filepath.Dir(file), cg, filepath.Base(file))))
		if got != want {
			t.Errorf("%s = %s, want %s", file, got, want)
		}
	}
	if err := r.RemoveContainer(testContext(t), id); err != nil {
		t.Fatal(err)
	}
	for _, h := range r.cgroups.hierarchies() {
		if _, err := os.Stat(filepath.Join(h, cg)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s still there after RemoveContainer (err %v)", filepath.Join(h, cg), err)
		}
	}
}

func TestReadOnlyMount(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "file"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := podConfig(t, "mount", "sh", "-c", `cat /data/file; touch /data/new 2>/dev/null || echo read-only`)
	cfg.Mounts = []runtime.Mount{{HostPath: host, ContainerPath: "/data", ReadOnly: true}}
	id := start(t, r, cfg)
	waitStatus(t, r, id, 10*time.Second, exited)
	if got := readFile(t, cfg.LogPath); got != "from host\nread-only\n" {
		t.Errorf("log = %q", got)
	}
}

func TestListContainersAndReadopt(t *testing.T) {
	owner := newTestRuntime(t) // removes everything at the end
	importBusybox(t, owner)

	// The first agent starts a container and goes away.
	agent1 := reopen(t, owner)
	cfg := podConfig(t, "long", "sleep", "1000")
	cfg.Attempt = 3
	cfg.Labels = map[string]string{"example.com/team": "lab"}
	id := start(t, agent1, cfg)
	first := waitStatus(t, agent1, id, 5*time.Second, func(s runtime.Status) bool { return s.State == runtime.StateRunning })
	want := []runtime.Container{{
		ID: id, PodUID: cfg.PodUID, PodNamespace: "default", PodName: "pod-long", Name: "long", Attempt: 3,
		Image: testImageRef, LogPath: cfg.LogPath, Labels: map[string]string{"example.com/team": "lab"},
	}}
	list, err := agent1.ListContainers(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, list, cmpopts.IgnoreFields(runtime.Container{}, "CreatedAt")); diff != "" {
		t.Errorf("ListContainers (-want +got):\n%s", diff)
	}
	if err := agent1.Close(); err != nil {
		t.Fatal(err)
	}

	// A new agent (new client) finds the same container, still running.
	agent2 := reopen(t, owner)
	list, err = agent2.ListContainers(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, list, cmpopts.IgnoreFields(runtime.Container{}, "CreatedAt")); diff != "" {
		t.Errorf("ListContainers after re-open (-want +got):\n%s", diff)
	}
	again, err := agent2.ContainerStatus(testContext(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("status after re-open (-before +after):\n%s", diff)
	}
}

// reopen returns a second Runtime on r's namespace and root dir, as a
// restarted agent would open; it is closed when the test ends.
func reopen(t *testing.T, r *Runtime) *Runtime {
	t.Helper()
	r2, err := New(testContext(t), Options{Namespace: r.ns, RootDir: filepath.Dir(r.netnsDir), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close() })
	return r2
}

func TestRemoveContainer(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	id := start(t, r, podConfig(t, "doomed", "sleep", "1000"))
	if err := r.RemoveContainer(testContext(t), id); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ContainerStatus(testContext(t), id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("ContainerStatus after remove: err = %v, want ErrNotFound", err)
	}
	if err := r.StopContainer(testContext(t), id, time.Second); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("StopContainer after remove: err = %v, want ErrNotFound", err)
	}
	if err := r.RemoveContainer(testContext(t), id); err != nil {
		t.Errorf("second RemoveContainer: %v", err)
	}
	if _, err := r.client.SnapshotService(r.snapshotter).Stat(r.nsCtx(testContext(t)), id); err == nil {
		t.Errorf("snapshot %s still there", id)
	}
	list, err := r.ListContainers(testContext(t))
	if err != nil || len(list) != 0 {
		t.Errorf("ListContainers = %v, %v; want none", list, err)
	}
}

func TestStartContainerErrors(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)

	missing := podConfig(t, "missing-image", "true")
	missing.Image = "skiff.local/nothing:here"
	_, err := r.StartContainer(testContext(t), missing)
	if !errors.Is(err, runtime.ErrCreateContainer) || !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("missing image: err = %v, want ErrCreateContainer and ErrNotFound", err)
	}

	_, err = r.StartContainer(testContext(t), podConfig(t, "no-such-binary", "/bin/nonexistent"))
	if !errors.Is(err, runtime.ErrCreateContainer) {
		t.Errorf("missing executable: err = %v, want ErrCreateContainer", err)
	}

	bad := podConfig(t, "bad-label", "true")
	bad.Labels = map[string]string{"io.skiff.pod.uid": "forged"}
	if _, err := r.StartContainer(testContext(t), bad); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("reserved label: err = %v, want ErrInvalidConfig", err)
	}

	list, err := r.ListContainers(testContext(t))
	if err != nil || len(list) != 0 {
		t.Errorf("ListContainers = %v, %v; want nothing left behind", list, err)
	}
}

func TestVersion(t *testing.T) {
	r := newTestRuntime(t)
	v, err := r.Version(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "containerd://") || len(v) <= len("containerd://") {
		t.Errorf("Version = %q, want containerd://<version>", v)
	}
	t.Log(v)
}
