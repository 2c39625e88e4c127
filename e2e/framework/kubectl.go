package framework

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Kubectl runs one kubectl binary against one kubeconfig.
type Kubectl struct {
	Version    string
	Bin        string
	Kubeconfig string
	// NetNS, when set, runs kubectl inside that network namespace (a lab
	// machine's), with nsenter.
	NetNS string
}

// command is kubectl with args, inside NetNS when set.
func (k Kubectl) command(ctx context.Context, args ...string) *exec.Cmd {
	args = append([]string{"--kubeconfig", k.Kubeconfig}, args...)
	if k.NetNS != "" {
		return exec.CommandContext(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + k.NetNS, k.Bin}, args...)...)
	}
	return exec.CommandContext(ctx, k.Bin, args...)
}

// KubectlVersions are the kubectl builds the compatibility tests use: the
// preinstalled /usr/bin/kubectl (1.32), 1.20 from Debian's package and 1.37 built
// from k8s.io/kubectl (both made by `make e2e-tools` into $KUBECTL_BIN).
func KubectlVersions(t testing.TB) []Kubectl {
	dir := os.Getenv("KUBECTL_BIN")
	if dir == "" {
		dir = "bin"
	}
	versions := []Kubectl{
		{Version: "1.20", Bin: filepath.Join(dir, "kubectl-1.20")},
		{Version: "1.32", Bin: "/usr/bin/kubectl"},
		{Version: "1.37", Bin: filepath.Join(dir, "kubectl-1.37")},
	}
	for _, k := range versions {
		if _, err := os.Stat(k.Bin); err != nil {
			t.Fatalf("kubectl %s not found at %s: run `make e2e-tools` (or set KUBECTL_BIN)", k.Version, k.Bin)
		}
	}
	return versions
}

// Run runs kubectl with args and returns stdout, stderr and the error.
func (k Kubectl) Run(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := k.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// RunStdin is Run with stdin (for apply -f -).
func (k Kubectl) RunStdin(stdin string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := k.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// Must runs kubectl and fails the test if it fails.
func (k Kubectl) Must(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := k.Run(args...)
	if err != nil {
		t.Fatalf("kubectl %s %s: %v\nstdout: %s\nstderr: %s", k.Version, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// Start runs a long-lived kubectl (like `get -w`); the caller stops it with the
// returned function, which also returns everything it printed.
func (k Kubectl) Start(t testing.TB, args ...string) (stdout *SyncOutput, stop func()) {
	t.Helper()
	cmd := k.command(context.Background(), args...)
	out := &SyncOutput{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop = func() {
		cmd.Process.Kill()
		<-done
	}
	t.Cleanup(stop)
	return out, stop
}

// SyncOutput collects a process's output safely while it runs.
type SyncOutput struct{ syncBuffer }

// WaitFor polls until the output contains want, or fails the test at the deadline.
func (o *SyncOutput) WaitFor(t testing.TB, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(o.String(), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("output never contained %q within %s; got:\n%s", want, timeout, o.String())
}
