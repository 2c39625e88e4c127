package node

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

// fakeRuntime is a Runtime whose answers the test sets.
type fakeRuntime struct {
	mu      sync.Mutex
	version string
	err     error
	images  []runtime.ImageInfo
}

var _ Runtime = (*fakeRuntime)(nil)

func (f *fakeRuntime) Version(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	return f.version, nil
}

func (f *fakeRuntime) ListImages(context.Context) ([]runtime.ImageInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return append([]runtime.ImageInfo(nil), f.images...), nil
}

// setErr makes the runtime unreachable (err != nil) or reachable again.
func (f *fakeRuntime) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// testCheck is a Check the test flips.
type testCheck struct {
	mu              sync.Mutex
	ok              bool
	reason, message string
}

func (c *testCheck) check() (bool, string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ok, c.reason, c.message
}

func (c *testCheck) set(ok bool, reason, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ok, c.reason, c.message = ok, reason, message
}

// nodeClient returns a client that authenticates as the node agent of node
// (user system:node:<node>, group system:nodes), with a client certificate
// issued by the test apiserver's CA, so the Node authorizer and the
// NodeRestriction admission plugin judge its requests.
func nodeClient(t testing.TB, s *apiservertest.Server, node string) *client.Client {
	t.Helper()
	ca, err := pki.LoadCA(filepath.Join(s.DataDir, apiserver.CACertFile), filepath.Join(s.DataDir, apiserver.CAKeyFile))
	if err != nil {
		t.Fatalf("load CA: %v", err)
	}
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueClient(authz.NodeUserPrefix+node, []string{authz.NodesGroup}, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.LoadKubeconfig(s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(&client.Config{Server: admin.Server, CAData: pki.EncodeCert(ca.Cert),
		CertData: pki.EncodeCert(cert), KeyData: keyPEM, UserAgent: "nodeagent-test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testFacts are the host facts the integration tests report, so that they can
// assert exact capacities.
var testFacts = hostFacts{
	CPUs: 4, MemoryBytes: 8 << 30, MemoryAvailableBytes: 6 << 30,
	DiskBytes: 100 << 30, DiskAvailableBytes: 60 << 30, PIDMax: 4194304, PIDsInUse: 200,
	KernelVersion: "6.1.0-test", OSImage: "Debian GNU/Linux 12 (bookworm)",
	MachineID: "0123456789abcdef0123456789abcdef", SystemUUID: "4c4c4544-0000-0000-0000-000000000000", BootID: "boot-1",
}

// newTestManager returns a Manager for node that authenticates as that node,
// with a fake runtime, fixed host facts and short intervals; change adjusts
// the options first.
func newTestManager(t testing.TB, s *apiservertest.Server, node string, rt *fakeRuntime, change func(*Options)) *Manager {
	t.Helper()
	o := Options{
		NodeName:             node,
		Client:               nodeClient(t, s, node),
		Runtime:              rt,
		InternalIP:           "192.0.2.10",
		Hostname:             node + ".lab",
		AgentVersion:         "v0.1.0-test",
		DaemonPort:           10250,
		LeaseRenewInterval:   100 * time.Millisecond,
		StatusUpdateInterval: 200 * time.Millisecond,
		CheckInterval:        50 * time.Millisecond,
		Logger:               testLogger(t),
	}
	if change != nil {
		change(&o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	m.readHost = func(string) (hostFacts, error) { return testFacts, nil }
	return m
}

// run starts m.Run until the test ends.
func run(t testing.TB, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return within 30s of its context ending")
		}
	})
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, lastErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// logWriter sends logs to t.Log, so only failing tests print them.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
