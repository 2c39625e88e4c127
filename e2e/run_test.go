package e2e

import (
	"fmt"

	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// runScript is hack/run.sh (what `make run` runs) inside a network namespace
// that looks like a fresh VM's: one interface with an address and a default
// route. It uses the host's containerd with a containerd namespace of the
// test's own.
type runScript struct {
	t       *testing.T
	netns   string
	dataDir string
	ctrNS   string
	cmd     *exec.Cmd
	out     *framework.SyncOutput
	done    chan struct{}
}

func newRunScript(t *testing.T) *runScript {
	if os.Geteuid() != 0 {
		t.Skip("make run needs root")
	}
	if err := exec.Command("ctr", "version").Run(); err != nil {
		t.Skip("containerd is not running: .ci/run installs and starts it")
	}
	id := fmt.Sprintf("%05d", rand.IntN(100_000))
	r := &runScript{t: t, netns: "skiff-run-" + id, dataDir: filepath.Join(t.TempDir(), "data"), ctrNS: "skiff-run-" + id}
	run(t, "ip", "netns", "add", r.netns)
	t.Cleanup(r.cleanup)
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer"},
		{"addr", "add", "10.98.0.2/24", "dev", "eth0"},
		{"link", "set", "eth0", "up"},
		{"link", "set", "eth0-peer", "up"},
		{"route", "add", "default", "via", "10.98.0.1"},
	} {
		run(t, "ip", append([]string{"-n", r.netns}, args...)...)
	}
	return r
}

// start runs the script and waits for its "Skiff is running" banner; it
// returns the milliseconds the script reported from start to node Ready.
func (r *runScript) start() int {
	r.t.Helper()
	bin := framework.BinDir(r.t)
	r.cmd = exec.Command("nsenter", "--net=/var/run/netns/"+r.netns, "../hack/run.sh")
	r.cmd.Env = append(os.Environ(), "DATA_DIR="+r.dataDir, "BIN="+bin, "CONTAINERD_NAMESPACE="+r.ctrNS, "NODE_NAME=learner")
	r.out = &framework.SyncOutput{}
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.done = make(chan struct{})
	go func() { r.cmd.Wait(); close(r.done) }()
	r.out.WaitFor(r.t, "Press Ctrl-C to stop.", 3*time.Minute)
	m := regexp.MustCompile(`node learner Ready (\d+) ms after start`).FindStringSubmatch(r.out.String())
	if m == nil {
		r.t.Fatalf("the banner does not say the node is Ready:\n%s", r.out.String())
	}
	var ms int
	fmt.Sscan(m[1], &ms)
	return ms
}

// interrupt is Ctrl-C: SIGINT to the script's process group.
func (r *runScript) interrupt() {
	r.t.Helper()
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		r.t.Fatalf("make run did not stop within a minute of Ctrl-C:\n%s", r.out.String())
	}
}

func (r *runScript) kubectl() framework.Kubectl {
	k := framework.KubectlVersions(r.t)[1] // /usr/bin/kubectl, what a learner has
	k.Kubeconfig = filepath.Join(r.dataDir, "server", "admin.kubeconfig")
	k.NetNS = r.netns
	return k
}

func (r *runScript) cleanup() {
	if r.cmd != nil && r.cmd.Process != nil {
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		}
		if r.t.Failed() {
			r.t.Logf("make run printed:\n%s", r.out.String())
			for _, log := range []string{"apiserver", "nodeagent", "controller-manager", "scheduler"} {
				b, _ := os.ReadFile(filepath.Join(r.dataDir, log+".log"))
				r.t.Logf("%s.log:\n%s", log, framework.Tail(string(b), 60))
			}
		}
	}
	// make reset, inside the namespace.
	bin := framework.BinDir(r.t)
	if out, err := exec.Command("nsenter", "--net=/var/run/netns/"+r.netns, filepath.Join(bin, "nodeagent"), "reset",
		"--containerd-namespace", r.ctrNS, "--root-dir", filepath.Join(r.dataDir, "node", "agent")).CombinedOutput(); err != nil {
		r.t.Errorf("nodeagent reset: %v\n%s", err, out)
	}
	if out, err := exec.Command("ip", "netns", "del", r.netns).CombinedOutput(); err != nil {
		r.t.Errorf("ip netns del: %v\n%s", err, out)
	}
}

// TestMakeRun follows the README as a learner: `make run` (hack/run.sh) brings
// up a one-machine cluster whose node turns Ready; `kubectl apply -f
// examples/` gives a running pod with logs, a one-shot pod that completes and
// a Deployment that becomes available; Ctrl-C stops it, and a second run
// reuses the data and adopts the running pods without restarting them.
func TestMakeRun(t *testing.T) {
	r := newRunScript(t)
	ms := r.start()
	t.Logf("make run: node Ready %d ms after the script started (binaries built)", ms)
	k := r.kubectl()
	k.Must(t, "apply", "-f", "../examples/")
	k.Must(t, "rollout", "status", "deployment/web", "--timeout=2m")
	waitUntil(t, "hello to run and log its greeting", func() bool {
		out, _, _ := k.Run("logs", "hello")
		return strings.Contains(out, "hello from hello on node learner")
	})
	waitUntil(t, "countdown to succeed", func() bool {
		out, _, _ := k.Run("get", "pod", "countdown", "-o", "jsonpath={.status.phase}")
		return out == "Succeeded"
	})
	started := k.Must(t, "get", "pod", "hello", "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt}")

	r.interrupt()
	if !strings.Contains(r.out.String(), "stopped; data kept in") {
		t.Errorf("Ctrl-C did not report a clean stop:\n%s", r.out.String())
	}
	ms = r.start()
	t.Logf("make run again: node Ready %d ms after start", ms)
	waitUntil(t, "hello to be running again", func() bool {
		out, _, _ := k.Run("get", "pod", "hello", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	again := k.Must(t, "get", "pod", "hello", "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt} {.status.containerStatuses[0].restartCount}")
	if again != started+" 0" {
		t.Errorf("after the second make run hello's container is %q, want the adopted one %q with no restarts", again, started+" 0")
	}
	r.interrupt()
}
