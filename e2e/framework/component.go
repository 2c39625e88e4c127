package framework

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Component is a Skiff binary other than the apiserver (the scheduler, ...)
// running for a test.
type Component struct {
	Name string
	// HealthURL is where it serves /healthz and /metrics.
	HealthURL string
	cmd       *exec.Cmd
	exited    chan struct{}
	log       *syncBuffer
}

// StartScheduler runs bin/scheduler against srv with the scheduler's own
// kubeconfig, serving /healthz and /metrics on a free loopback port, until the
// test ends; it waits for /healthz.
func StartScheduler(t testing.TB, srv *APIServer, extraArgs ...string) *Component {
	t.Helper()
	port := FreePorts(t, 1)[0]
	args := append([]string{
		"--kubeconfig", filepath.Join(srv.DataDir, "scheduler.kubeconfig"),
		"--bind-address", "127.0.0.1", "--port", strconv.Itoa(port),
	}, extraArgs...)
	return startComponent(t, "scheduler", "http://127.0.0.1:"+strconv.Itoa(port), args)
}

func startComponent(t testing.TB, name, healthURL string, args []string) *Component {
	t.Helper()
	c := &Component{Name: name, HealthURL: healthURL, log: &syncBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(filepath.Join(BinDir(t), name), args...)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
			t.Errorf("%s did not stop within 30s of SIGTERM", name)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, c.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-c.exited:
			t.Fatalf("%s exited while starting:\n%s", name, c.log.String())
		default:
		}
		if resp, err := http.Get(healthURL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within 30s:\n%s", name, c.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Log returns what the process has printed so far.
func (c *Component) Log() string { return c.log.String() }

// StartControllerManager runs bin/controller-manager against srv with its own
// kubeconfig until the test ends; it waits for /healthz.
func StartControllerManager(t testing.TB, srv *APIServer, extraArgs ...string) *Component {
	t.Helper()
	port := FreePorts(t, 1)[0]
	args := append([]string{
		"--kubeconfig", filepath.Join(srv.DataDir, "controller-manager.kubeconfig"),
		"--bind-address", "127.0.0.1", "--port", strconv.Itoa(port),
	}, extraArgs...)
	return startComponent(t, "controller-manager", "http://127.0.0.1:"+strconv.Itoa(port), args)
}
