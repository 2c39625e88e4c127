package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// node is a whole single-node cluster inside a network namespace the test
// made: apiserver, scheduler and node agent all run in it (so pod subnets and
// the CNI bridge never touch the host's network), and kubectl is run in it too.
// Containers run on the host's containerd, in a containerd namespace of the
// test's own; everything is removed at the end, even on failure.
type node struct {
	t       *testing.T
	netns   string
	dataDir string
	rootDir string
	ctrNS   string
	bin     string
	kubectl string
	procs   []*exec.Cmd
	logs    map[string]*bytes.Buffer
}

// startNode starts the node; extraAgentArgs are added to the node agent's
// flags (e.g. --insecure-registry).
func startNode(t *testing.T, extraAgentArgs ...string) *node {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the node agent tests need root (network namespaces, containerd)")
	}
	if _, err := os.Stat("/run/containerd/containerd.sock"); err != nil {
		t.Skip("containerd is not running (/run/containerd/containerd.sock): .ci/run installs and starts it")
	}
	id := fmt.Sprintf("%06d", rand.IntN(1_000_000))
	n := &node{t: t, netns: "skiff-e2e-" + id, dataDir: t.TempDir(), rootDir: filepath.Join(t.TempDir(), "agent"),
		ctrNS: "skiff-e2e-" + id, bin: framework.BinDir(t), logs: map[string]*bytes.Buffer{}}
	n.kubectl = framework.KubectlVersions(t)[2].Bin
	run(t, "ip", "netns", "add", n.netns)
	t.Cleanup(n.cleanup)
	run(t, "ip", "-n", n.netns, "link", "set", "lo", "up")

	n.start("apiserver", "--data-dir", n.dataDir, "--bind-address", "127.0.0.1", "--secure-port", "6443",
		"--embedded-etcd-client-url", "http://127.0.0.1:2379", "--embedded-etcd-peer-url", "http://127.0.0.1:2380")
	waitUntil(t, "the apiserver", func() bool {
		_, err := n.kubectlRun("get", "--raw", "/readyz")
		return err == nil
	})
	n.start("scheduler", "--kubeconfig", filepath.Join(n.dataDir, "scheduler.kubeconfig"), "--port", "0")

	// The node's credentials and its log service's certificate, from the cluster CA.
	nodeKC := filepath.Join(n.dataDir, "node.kubeconfig")
	run(t, filepath.Join(n.bin, "skiffctl"), "node-kubeconfig", "e2e-node", "--data-dir", n.dataDir, "--out", nodeKC,
		"--serving-cert", filepath.Join(n.dataDir, "agent.crt"), "--serving-key", filepath.Join(n.dataDir, "agent.key"), "--node-ip", "127.0.0.1")

	// The busybox image, built from Debian's busybox-static and imported: nothing is pulled.
	image := filepath.Join(t.TempDir(), "busybox.tar")
	run(t, "../hack/images/busybox.sh", image, "skiff.local/busybox:e2e")
	run(t, filepath.Join(n.bin, "nodeagent"), "import-image", image, "--containerd-namespace", n.ctrNS, "--root-dir", n.rootDir)

	n.start("nodeagent", append([]string{"--kubeconfig", nodeKC, "--node-name", "e2e-node", "--node-ip", "127.0.0.1",
		"--root-dir", n.rootDir, "--containerd-namespace", n.ctrNS, "--pod-cidr", "10.88.0.0/24", "--healthz-port", "0", "--log-level", "debug",
		"--tls-cert-file", filepath.Join(n.dataDir, "agent.crt"), "--tls-key-file", filepath.Join(n.dataDir, "agent.key")}, extraAgentArgs...)...)
	waitUntil(t, "node e2e-node to be Ready", func() bool {
		out, _ := n.kubectlRun("get", "node", "e2e-node", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "True"
	})
	return n
}

// start runs a Skiff binary inside the node's network namespace.
func (n *node) start(name string, args ...string) {
	n.t.Helper()
	cmd := exec.Command("nsenter", append([]string{"--net=/var/run/netns/" + n.netns, filepath.Join(n.bin, name)}, args...)...)
	buf := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", name, err)
	}
	n.procs = append(n.procs, cmd)
	n.logs[name] = buf
}

func (n *node) kubectlRun(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + n.netns, n.kubectl,
		"--kubeconfig", filepath.Join(n.dataDir, "admin.kubeconfig")}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, errOut.String())
	}
	return out.String(), nil
}

func (n *node) kubectlMust(args ...string) string {
	n.t.Helper()
	out, err := n.kubectlRun(args...)
	if err != nil {
		n.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (n *node) cleanup() {
	for i := len(n.procs) - 1; i >= 0; i-- {
		p := n.procs[i]
		syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if n.t.Failed() {
		for name, buf := range n.logs {
			n.t.Logf("%s log:\n%s", name, buf.String())
		}
	}
	// Containers, images and cgroups of the test's containerd namespace, and
	// the agent's state; then the network namespace with the bridge in it.
	// Inside the namespace: reset also removes the node's routes and rules.
	if out, err := exec.Command("nsenter", "--net=/var/run/netns/"+n.netns, filepath.Join(n.bin, "nodeagent"), "reset",
		"--containerd-namespace", n.ctrNS, "--root-dir", n.rootDir).CombinedOutput(); err != nil {
		n.t.Errorf("nodeagent reset: %v\n%s", err, out)
	}
	if out, err := exec.Command("ip", "netns", "del", n.netns).CombinedOutput(); err != nil {
		n.t.Errorf("ip netns del %s: %v\n%s", n.netns, err, out)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestNodeAgentRunsPods: a busybox pod runs and kubectl logs shows its output;
// two pods reach each other by pod IP; deleting a pod stops its container.
func TestNodeAgentRunsPods(t *testing.T) {
	n := startNode(t)
	n.kubectlMust("run", "hello", "--image=skiff.local/busybox:e2e", "--image-pull-policy=Never", "--restart=Never",
		"--command", "--", "sh", "-c", "echo hello from skiff; sleep 3600")
	waitUntil(t, "hello to run", func() bool {
		out, _ := n.kubectlRun("get", "pod", "hello", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	waitUntil(t, "kubectl logs to show the output", func() bool {
		out, _ := n.kubectlRun("logs", "hello")
		return strings.Contains(out, "hello from skiff")
	})
	// kubectl describe's events: the scheduler's, then the agent's.
	waitUntil(t, "hello's events", func() bool {
		out, _ := n.kubectlRun("get", "events", "--field-selector", "involvedObject.name=hello", "-o", "jsonpath={.items[*].reason}")
		return strings.Contains(out, "Scheduled") && strings.Contains(out, "Pulled") && strings.Contains(out, "Created") && strings.Contains(out, "Started")
	})

	// Two pods on one node reach each other by IP: busybox httpd and wget.
	n.kubectlMust("run", "web", "--image=skiff.local/busybox:e2e", "--image-pull-policy=Never",
		"--command", "--", "sh", "-c", "mkdir -p /www && echo it works > /www/index.html && httpd -f -p 8080 -h /www")
	var ip string
	waitUntil(t, "web to run with a pod IP", func() bool {
		out, _ := n.kubectlRun("get", "pod", "web", "-o", "jsonpath={.status.phase} {.status.podIP}")
		f := strings.Fields(out)
		if len(f) == 2 && f[0] == "Running" {
			ip = f[1]
			return true
		}
		return false
	})
	if !strings.HasPrefix(ip, "10.88.0.") {
		t.Errorf("pod IP %q is not from the pod CIDR 10.88.0.0/24", ip)
	}
	n.kubectlMust("run", "client", "--image=skiff.local/busybox:e2e", "--image-pull-policy=Never", "--restart=Never",
		"--command", "--", "sh", "-c", "wget -q -O - http://"+ip+":8080/ ; sleep 3600")
	waitUntil(t, "client to fetch from web by pod IP", func() bool {
		out, _ := n.kubectlRun("logs", "client")
		return strings.Contains(out, "it works")
	})

	start := time.Now()
	n.kubectlMust("delete", "pod", "hello", "--grace-period=2")
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("deleting hello took %s", d)
	}
	if _, err := n.kubectlRun("get", "pod", "hello"); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("hello still exists after delete: %v", err)
	}
	waitUntil(t, "a Killing event for hello", func() bool {
		out, _ := n.kubectlRun("get", "events", "--field-selector", "involvedObject.name=hello,reason=Killing", "-o", "name")
		return strings.TrimSpace(out) != ""
	})
}

// restartAgent stops the node agent and starts it again with the same flags.
func (n *node) restartAgent() {
	n.t.Helper()
	for i, p := range n.procs {
		if filepath.Base(p.Args[2]) != "nodeagent" {
			continue
		}
		syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		p.Wait()
		cmd := exec.Command(p.Args[0], p.Args[1:]...)
		buf := n.logs["nodeagent"]
		cmd.Stdout, cmd.Stderr = buf, buf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			n.t.Fatalf("restart nodeagent: %v", err)
		}
		n.procs[i] = cmd
		return
	}
	n.t.Fatal("no nodeagent running")
}

func (n *node) jsonpath(pod, path string) string {
	out, _ := n.kubectlRun("get", "pod", pod, "-o", "jsonpath="+path)
	return out
}

// TestNodeAgentContainerStates: OOMKilled, CrashLoopBackOff with a growing
// restart count, a readiness probe that flips Ready, a missing image, and an
// agent restart that leaves running containers alone.
func TestNodeAgentContainerStates(t *testing.T) {
	n := startNode(t)
	manifests := `
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: skiff.local/busybox:e2e
    imagePullPolicy: Never
    command: ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); sleep 60"]
    resources: {limits: {memory: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - name: crash
    image: skiff.local/busybox:e2e
    imagePullPolicy: Never
    command: ["sh", "-c", "echo crashing; exit 3"]
---
apiVersion: v1
kind: Pod
metadata: {name: ready}
spec:
  containers:
  - name: web
    image: skiff.local/busybox:e2e
    imagePullPolicy: Never
    command: ["sh", "-c", "sleep 2; mkdir -p /www; echo ok > /www/index.html; httpd -p 8080 -h /www; sleep 10; killall httpd; sleep 3600"]
    readinessProbe:
      httpGet: {path: /index.html, port: 8080}
      periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: ghost}
spec:
  containers:
  - name: ghost
    image: 127.0.0.1:1/nothing/here:1
`
	file := filepath.Join(t.TempDir(), "pods.yaml")
	if err := os.WriteFile(file, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	n.kubectlMust("apply", "-f", file)

	waitUntil(t, "hog to be OOMKilled", func() bool {
		return n.jsonpath("hog", "{.status.containerStatuses[0].state.terminated.reason}") == "OOMKilled"
	})
	defer func() {
		if t.Failed() {
			out, _ := n.kubectlRun("get", "pods", "-o", "yaml")
			t.Logf("pods:\n%s", out)
		}
	}()
	waitUntil(t, "crash to be in CrashLoopBackOff after restarts", func() bool {
		reason := n.jsonpath("crash", "{.status.containerStatuses[0].state.waiting.reason}")
		restarts := n.jsonpath("crash", "{.status.containerStatuses[0].restartCount}")
		return reason == "CrashLoopBackOff" && restarts != "" && restarts != "0"
	})
	if got := n.jsonpath("ready", `{.status.conditions[?(@.type=="Ready")].status}`); got == "True" {
		t.Errorf("ready was Ready before its server started")
	}
	waitUntil(t, "ready to become Ready through its probe", func() bool {
		return n.jsonpath("ready", `{.status.conditions[?(@.type=="Ready")].status}`) == "True"
	})
	waitUntil(t, "ghost's image pull to fail", func() bool {
		r := n.jsonpath("ghost", "{.status.containerStatuses[0].state.waiting.reason}")
		return r == "ErrImagePull" || r == "ImagePullBackOff"
	})

	// Restarting the agent leaves running containers alone: same container,
	// same start time, no restart counted.
	before := n.jsonpath("ready", "{.status.containerStatuses[0].containerID} {.status.containerStatuses[0].state.running.startedAt} {.status.containerStatuses[0].restartCount}")
	n.restartAgent()
	time.Sleep(3 * time.Second) // let the new agent re-adopt and write status, if it were to
	waitUntil(t, "the node to be Ready after the agent restart", func() bool {
		out, _ := n.kubectlRun("get", "node", "e2e-node", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "True"
	})
	if after := n.jsonpath("ready", "{.status.containerStatuses[0].containerID} {.status.containerStatuses[0].state.running.startedAt} {.status.containerStatuses[0].restartCount}"); after != before || before == "" {
		t.Errorf("after an agent restart the container changed: %q, was %q", after, before)
	}

	// The readiness probe turns the pod unready when its server stops.
	waitUntil(t, "ready to turn unready when httpd stops", func() bool {
		return n.jsonpath("ready", `{.status.conditions[?(@.type=="Ready")].status}`) == "False"
	})
}
