package e2e

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// registryAddr is where the test registry listens, on the loopback of the
// node's network namespace, where the agent pulls from it over plain HTTP.
const registryAddr = "127.0.0.1:5000"

// testRegistry is e2e/cmd/registry running in the node's network namespace;
// it collects the requests the registry logs.
type testRegistry struct {
	mu       sync.Mutex
	requests []string // "METHOD PATH STATUS", in order
	ready    chan struct{}
}

// startRegistry builds e2e/cmd/registry, runs it in the node's network
// namespace with the busybox image pushed as ref, and waits until it serves.
func (n *node) startRegistry(ref string) *testRegistry {
	n.t.Helper()
	dir := n.t.TempDir()
	bin := filepath.Join(dir, "registry")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/registry").CombinedOutput(); err != nil {
		n.t.Fatalf("go build ./cmd/registry: %v\n%s", err, out)
	}
	// The node imported busybox.sh's image already, and containerd shares
	// content between namespaces: other timestamps give this image blobs no
	// content store holds, so the agent has to fetch them.
	image := filepath.Join(dir, "busybox.tar")
	build := exec.Command("../hack/images/busybox.sh", image, ref)
	build.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", 946684800+rand.IntN(500_000_000)))
	if out, err := build.CombinedOutput(); err != nil {
		n.t.Fatalf("busybox.sh: %v\n%s", err, out)
	}

	r := &testRegistry{ready: make(chan struct{})}
	cmd := exec.Command("nsenter", "--net=/var/run/netns/"+n.netns, bin, "--addr", registryAddr, "--push", image+"="+ref)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start registry: %v", err)
	}
	n.procs = append(n.procs, cmd) // stopped by the node's cleanup
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "ready":
				close(r.ready)
			case strings.HasPrefix(line, "request "):
				r.mu.Lock()
				r.requests = append(r.requests, strings.TrimPrefix(line, "request "))
				r.mu.Unlock()
			}
		}
	}()
	select {
	case <-r.ready:
	case <-exited:
		n.t.Fatalf("the registry exited while starting:\n%s", stderr.String())
	case <-time.After(time.Minute):
		n.t.Fatalf("the registry was not ready within a minute:\n%s", stderr.String())
	}
	return r
}

// manifestRequests returns the requests for manifests of repo so far: the
// tag resolved (HEAD, or GET if HEAD fails) and the manifest fetched by
// digest (GET).
func (r *testRegistry) manifestRequests(repo string) (all, gets []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.requests {
		method, rest, _ := strings.Cut(req, " ")
		if strings.HasPrefix(rest, "/v2/"+repo+"/manifests/") {
			all = append(all, req)
			if method == "GET" {
				gets = append(gets, req)
			}
		}
	}
	return all, gets
}

func (r *testRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func (r *testRegistry) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.requests, "\n")
}

// TestNodeAgentPullsFromRegistry: an image served by a registry on 127.0.0.1
// (plain HTTP, --insecure-registry) is pulled once with IfNotPresent: the
// first pod's pull fetches the manifest once, a second pod with the same
// image makes no request at all. A pod with Always goes to the registry
// again (the tag is resolved anew), and all three run.
func TestNodeAgentPullsFromRegistry(t *testing.T) {
	n := startNode(t, "--insecure-registry", registryAddr)
	const repo = "e2e/busybox"
	image := registryAddr + "/" + repo + ":1"
	reg := n.startRegistry(image)
	defer func() {
		if t.Failed() {
			t.Logf("registry requests:\n%s", reg.log())
		}
	}()
	runPod := func(name, policy string) {
		t.Helper()
		n.kubectlMust("run", name, "--image="+image, "--image-pull-policy="+policy, "--restart=Never",
			"--command", "--", "sleep", "3600")
		waitUntil(t, name+" to run", func() bool { return n.jsonpath(name, "{.status.phase}") == "Running" })
		if got := n.jsonpath(name, "{.status.containerStatuses[0].imageID}"); !strings.Contains(got, "sha256:") {
			t.Errorf("%s: imageID %q names no digest", name, got)
		}
	}

	runPod("first", "IfNotPresent")
	all, gets := reg.manifestRequests(repo)
	if len(gets) != 1 {
		t.Errorf("the first pull fetched the manifest %d times, want once: %q", len(gets), all)
	}
	if !strings.Contains(reg.log(), "/v2/"+repo+"/blobs/sha256:") {
		t.Errorf("the first pull fetched no blob")
	}

	before := reg.count()
	runPod("second", "IfNotPresent")
	if after := reg.count(); after != before {
		t.Errorf("a second pod with IfNotPresent made %d registry request(s), want none", after-before)
	}

	beforeAll, _ := reg.manifestRequests(repo)
	runPod("third", "Always")
	afterAll, _ := reg.manifestRequests(repo)
	if len(afterAll) <= len(beforeAll) {
		t.Errorf("a pod with Always made no manifest request: %q", afterAll)
	}
	for _, req := range afterAll[len(beforeAll):] {
		if !strings.HasSuffix(req, " 200") {
			t.Errorf("Always: manifest request %q did not succeed", req)
		}
	}
}
