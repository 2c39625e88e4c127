package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// kubectlWith runs the kubectl binary bin in the node's network namespace
// with stdin, and returns its stdout, stderr and exit code.
func (n *node) kubectlWith(bin, stdin string, args ...string) (string, string, int) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + n.netns, bin,
		"--kubeconfig", filepath.Join(n.dataDir, "admin.kubeconfig")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		n.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

// TestExec: kubectl exec (1.32 and 1.37, over WebSocket) runs commands in a
// real container with stdout, stderr, stdin and the exit code; kubectl 1.20
// (SPDY only) is told to upgrade; exec readiness and liveness probes work.
func TestExec(t *testing.T) {
	n := startNode(t)
	manifests := `
apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: skiff.local/busybox:e2e
    imagePullPolicy: Never
    command: ["sleep", "3600"]
    readinessProbe:
      exec: {command: ["test", "-f", "/tmp/ready"]}
      periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: alive}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: skiff.local/busybox:e2e
    imagePullPolicy: Never
    command: ["sh", "-c", "touch /tmp/alive; exec sleep 3600"]
    livenessProbe:
      exec: {command: ["test", "-f", "/tmp/alive"]}
      periodSeconds: 1
      failureThreshold: 2
`
	file := filepath.Join(t.TempDir(), "pods.yaml")
	if err := os.WriteFile(file, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	n.kubectlMust("apply", "-f", file)
	defer func() {
		if t.Failed() {
			out, _ := n.kubectlRun("get", "pods", "-o", "yaml")
			t.Logf("pods:\n%s", out)
		}
	}()
	waitUntil(t, "shell and alive to run", func() bool {
		return n.jsonpath("shell", "{.status.phase}") == "Running" && n.jsonpath("alive", "{.status.phase}") == "Running"
	})
	if got := n.jsonpath("shell", `{.status.conditions[?(@.type=="Ready")].status}`); got == "True" {
		t.Errorf("shell was Ready before /tmp/ready existed")
	}

	for _, k := range framework.KubectlVersions(t) {
		t.Run("kubectl "+k.Version, func(t *testing.T) {
			if k.Version == "1.20" {
				stdout, stderr, code := n.kubectlWith(k.Bin, "", "exec", "shell", "--", "true")
				if code == 0 || !strings.Contains(stderr, "pods/exec is served over WebSocket only") || !strings.Contains(stderr, "use kubectl 1.30 or later") {
					t.Errorf("kubectl 1.20 exec: exit %d, stdout %q, stderr %q", code, stdout, stderr)
				}
				return
			}
			stdout, stderr, code := n.kubectlWith(k.Bin, "", "exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
			if stdout != "out\n" || !strings.HasPrefix(stderr, "err\n") || code != 3 {
				t.Errorf("exec with exit 3: stdout %q, stderr %q, exit %d", stdout, stderr, code)
			}
			stdout, stderr, code = n.kubectlWith(k.Bin, "hi from "+k.Version+"\n", "exec", "-i", "shell", "--", "cat")
			if stdout != "hi from "+k.Version+"\n" || code != 0 {
				t.Errorf("exec -i cat: stdout %q, stderr %q, exit %d", stdout, stderr, code)
			}
			stdout, stderr, code = n.kubectlWith(k.Bin, "", "exec", "shell", "-c", "nope", "--", "true")
			if code == 0 || !strings.Contains(stderr, "container nope is not valid for pod shell") {
				t.Errorf("exec in an unknown container: stdout %q, stderr %q, exit %d", stdout, stderr, code)
			}
		})
	}

	// The readiness probe passes once the file it tests exists.
	n.kubectlMust("exec", "shell", "--", "touch", "/tmp/ready")
	waitUntil(t, "shell to become Ready through its exec probe", func() bool {
		return n.jsonpath("shell", `{.status.conditions[?(@.type=="Ready")].status}`) == "True"
	})

	// The liveness probe fails once its file is gone: the container is
	// killed and started again (which creates the file again).
	if got := n.jsonpath("alive", "{.status.containerStatuses[0].restartCount}"); got != "0" {
		t.Fatalf("alive restarted before its probe failed: restartCount %q", got)
	}
	n.kubectlMust("exec", "alive", "--", "rm", "/tmp/alive")
	waitUntil(t, "alive to be restarted by its liveness probe", func() bool {
		return n.jsonpath("alive", "{.status.containerStatuses[0].restartCount}") == "1" &&
			n.jsonpath("alive", "{.status.containerStatuses[0].state.running.startedAt}") != ""
	})
	if out := n.kubectlMust("exec", "alive", "--", "ls", "/tmp/alive"); out != "/tmp/alive\n" {
		t.Errorf("after the restart: %q", out)
	}
}
