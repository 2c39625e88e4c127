// Package framework runs Skiff's built binaries for end-to-end tests: it starts
// them on free loopback ports with their own data directories, waits until they
// are ready, and on cleanup stops their process groups and prints their logs if
// the test failed. Tests then talk to them only through the public API.
package framework

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// APIServer is a running apiserver process.
type APIServer struct {
	URL        string
	Kubeconfig string
	DataDir    string
	args       []string
	cmd        *exec.Cmd
	exited     chan struct{}
	log        *syncBuffer
}

// BinDir is where the Skiff binaries are: $SKIFF_BIN, else ../bin.
func BinDir(t testing.TB) string {
	dir := os.Getenv("SKIFF_BIN")
	if dir == "" {
		dir = "../bin"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "apiserver")); err != nil {
		t.Fatalf("no apiserver binary in %s: run `make build` first (or set SKIFF_BIN)", abs)
	}
	return abs
}

// StartAPIServer starts bin/apiserver with embedded etcd, all on free loopback
// ports, and stops it when the test ends.
func StartAPIServer(t testing.TB, extraArgs ...string) *APIServer {
	t.Helper()
	ports := FreePorts(t, 3)
	dataDir := t.TempDir()
	s := &APIServer{DataDir: dataDir, Kubeconfig: filepath.Join(dataDir, "admin.kubeconfig"),
		URL: "https://127.0.0.1:" + strconv.Itoa(ports[0]), log: &syncBuffer{}}
	s.args = append([]string{
		"--data-dir", dataDir,
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(ports[0]),
		"--embedded-etcd-client-url", fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		"--embedded-etcd-peer-url", fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
	}, extraArgs...)
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("apiserver log:\n%s", s.log.String())
		}
	})
	s.Start(t)
	return s
}

// Start runs the process (again, after Stop) with the same data and ports, and
// waits until it is ready.
func (s *APIServer) Start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command(filepath.Join(BinDir(t), "apiserver"), s.args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start apiserver: %v", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	s.waitReady(t, s.exited)
}

// Stop sends SIGTERM to the process group and waits up to 30s for it to exit
// (then kills it and fails the test). It returns the exit code; stopping a
// stopped server returns its old code.
func (s *APIServer) Stop(t testing.TB) int {
	t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return -1
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
		t.Errorf("apiserver did not stop within 30s of SIGTERM")
	}
	return s.cmd.ProcessState.ExitCode()
}

// waitReady polls /readyz, trusting the CA the server wrote.
func (s *APIServer) waitReady(t testing.TB, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("apiserver exited while starting:\n%s", s.log.String())
		default:
		}
		if ca, err := os.ReadFile(filepath.Join(s.DataDir, "ca.crt")); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(ca)
			c := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			if resp, err := c.Get(s.URL + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("apiserver not ready within 30s:\n%s", s.log.String())
}

// Log returns what the process has printed so far.
func (s *APIServer) Log() string { return s.log.String() }

// FreePorts returns n loopback ports that were free a moment ago.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
