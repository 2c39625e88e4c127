package containerd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"
	clog "github.com/containerd/log"

	"skiff/pkg/agent/runtime"
)

// Integration tests run against the containerd at DefaultAddress, each test in
// a containerd namespace of its own ("skiff-test-<random>") that its cleanup
// removes with everything in it. They are skipped only when the socket is
// absent. The busybox test image is built once per run by hack/images/busybox.sh.

const (
	testNamespacePrefix = "skiff-test-"
	testCreatedLabel    = "io.skiff.test.created"
	testImageRef        = "skiff.local/busybox:test"
	// staleTestNamespace is how old a test namespace must be before a later run
	// removes it (left by a test binary that was killed).
	staleTestNamespace = time.Hour
)

var busyboxTar string // path of the built test image, "" without containerd

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// The containerd client logs through logrus; keep test output to failures.
	clog.SetLevel("warn")
	if _, err := os.Stat(DefaultAddress); err != nil {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "skiff-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	busyboxTar = filepath.Join(dir, "busybox.tar")
	out, err := exec.Command("bash", "../../../../hack/images/busybox.sh", busyboxTar, testImageRef).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the busybox test image: %v\n%s", err, out)
		return 1
	}
	removeStaleNamespaces()
	return m.Run()
}

// removeStaleNamespaces removes test namespaces that killed test runs left.
func removeStaleNamespaces() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := containerd.New(DefaultAddress)
	if err != nil {
		return
	}
	defer client.Close()
	nss, err := client.NamespaceService().List(ctx)
	if err != nil {
		return
	}
	for _, ns := range nss {
		if !strings.HasPrefix(ns, testNamespacePrefix) {
			continue
		}
		labels, err := client.NamespaceService().Labels(ctx, ns)
		if err != nil {
			continue
		}
		created, err := time.Parse(time.RFC3339, labels[testCreatedLabel])
		if err != nil || time.Since(created) < staleTestNamespace {
			continue
		}
		r, err := New(ctx, Options{Namespace: ns, RootDir: os.TempDir()})
		if err != nil {
			continue
		}
		if err := r.RemoveAll(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "removing stale test namespace %s: %v\n", ns, err)
		}
		r.Close()
	}
}

// requireContainerd skips the test when containerd is not running.
func requireContainerd(t testing.TB) {
	t.Helper()
	if busyboxTar == "" {
		t.Skipf("containerd is not running (no socket at %s): install containerd and runc and start containerd to run this test", DefaultAddress)
	}
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLogger sends a runtime's logs to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newTestRuntime returns a runtime in a fresh namespace, removed with
// everything in it when the test ends.
func newTestRuntime(t testing.TB, mod ...func(*Options)) *Runtime {
	t.Helper()
	requireContainerd(t)
	b := make([]byte, 4)
	rand.Read(b)
	ns := testNamespacePrefix + hex.EncodeToString(b)
	opts := Options{Namespace: ns, RootDir: t.TempDir(), Logger: testLogger(t)}
	for _, m := range mod {
		m(&opts)
	}

	// Create the namespace with its creation time, for removeStaleNamespaces.
	client, err := containerd.New(DefaultAddress)
	if err != nil {
		t.Fatal(err)
	}
	err = client.NamespaceService().Create(namespaces.WithNamespace(context.Background(), ns), ns,
		map[string]string{testCreatedLabel: time.Now().UTC().Format(time.RFC3339)})
	client.Close()
	if err != nil {
		t.Fatal(err)
	}

	r, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.RemoveAll(ctx); err != nil {
			t.Errorf("removing test namespace %s: %v", ns, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return r
}

// importBusybox imports the test image into r's namespace.
func importBusybox(t testing.TB, r *Runtime) runtime.ImageInfo {
	t.Helper()
	f, err := os.Open(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	infos, err := r.ImportImage(testContext(t), f, testImageRef)
	if err != nil {
		t.Fatalf("ImportImage: %v", err)
	}
	if len(infos) != 1 {
		t.Fatalf("ImportImage returned %d images, want 1: %+v", len(infos), infos)
	}
	return infos[0]
}

// podConfig returns a container config for the busybox image with a log file
// in a test directory.
func podConfig(t testing.TB, name string, command ...string) runtime.ContainerConfig {
	return runtime.ContainerConfig{
		PodUID:       "uid-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
		PodNamespace: "default",
		PodName:      "pod-" + name,
		Name:         name,
		Image:        testImageRef,
		Command:      command,
		LogPath:      filepath.Join(t.TempDir(), name, "0.log"),
	}
}

// start starts a container; the test's runtime cleanup removes it.
func start(t testing.TB, r *Runtime, cfg runtime.ContainerConfig) string {
	t.Helper()
	id, err := r.StartContainer(testContext(t), cfg)
	if err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	return id
}

// waitStatus polls the container's status until cond holds.
func waitStatus(t testing.TB, r *Runtime, id string, timeout time.Duration, cond func(runtime.Status) bool) runtime.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	ctx := testContext(t)
	for {
		s, err := r.ContainerStatus(ctx, id)
		if err != nil {
			t.Fatalf("ContainerStatus: %v", err)
		}
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: condition not met within %v; last status %+v", id, timeout, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exited(s runtime.Status) bool { return s.State == runtime.StateExited }

// waitLog polls the log file until it contains want, and returns it.
func waitLog(t testing.TB, path, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), want) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("log %s: %q not seen within %v; log is %q", path, want, timeout, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
