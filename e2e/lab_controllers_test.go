package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// webDeployment is a Deployment of busybox httpd with a readiness probe,
// spread one-per-node at most one apart, tolerating an unreachable or
// not-ready node for only 2 s so eviction is quick.
func webDeployment(ns, image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ` + ns + `}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Honor, labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: httpd
        image: ` + image + `
        imagePullPolicy: Never
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
`
}

// readyWatch follows the pods of a namespace with `kubectl get -w` and
// records the fewest Ready, not-terminating pods seen at any event.
type readyWatch struct {
	mu      sync.Mutex
	ready   map[string]bool
	min     int
	events  int
	cmd     *exec.Cmd
	done    chan struct{}
	started bool
}

func watchReady(t *testing.T, k framework.Kubectl, ns string) *readyWatch {
	t.Helper()
	w := &readyWatch{ready: map[string]bool{}, min: 1 << 30, done: make(chan struct{})}
	args := []string{"--net=/var/run/netns/" + k.NetNS, k.Bin, "--kubeconfig", k.Kubeconfig,
		"get", "pods", "-n", ns, "-l", "app=web", "-w", "--output-watch-events", "-o", "json"}
	w.cmd = exec.Command("nsenter", args...)
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.stop)
	go w.read(out)
	return w
}

type podEvent struct {
	Type   string `json:"type"`
	Object struct {
		Metadata struct {
			Name              string  `json:"name"`
			DeletionTimestamp *string `json:"deletionTimestamp"`
		} `json:"metadata"`
		Status struct {
			Conditions []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	} `json:"object"`
}

func (w *readyWatch) read(r io.Reader) {
	defer close(w.done)
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var ev podEvent
		if err := dec.Decode(&ev); err != nil {
			return
		}
		ready := false
		for _, c := range ev.Object.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				ready = true
			}
		}
		w.mu.Lock()
		name := ev.Object.Metadata.Name
		if ev.Type == "DELETED" || ev.Object.Metadata.DeletionTimestamp != nil || !ready {
			delete(w.ready, name)
		} else {
			w.ready[name] = true
		}
		w.events++
		if w.started && len(w.ready) < w.min {
			w.min = len(w.ready)
		}
		w.mu.Unlock()
	}
}

// begin starts counting the minimum once the initial pods are all seen ready.
func (w *readyWatch) begin(t *testing.T, want int) {
	framework.WaitUntil(t, 30*time.Second, "the watch to see the ready pods", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.ready) >= want {
			w.started, w.min = true, len(w.ready)
			return true
		}
		return false
	})
}

func (w *readyWatch) stop() {
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	w.cmd.Wait()
	<-w.done
}

func (w *readyWatch) minimum() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.min, w.events
}

// podsOf returns "name|node|image|phase" per pod of app=web in ns that is
// not terminating.
func podsOf(k framework.Kubectl, ns string) []string {
	out, _, _ := k.Run("get", "pods", "-n", ns, "-l", "app=web", "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.spec.containers[0].image} {.status.phase} {.metadata.deletionTimestamp}{"\n"}{end}`)
	var pods []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 {
			pods = append(pods, strings.Join(f, "|"))
		}
	}
	return pods
}

// TestLabDeploymentLifecycle: with two real nodes, a Deployment of busybox
// httpd becomes Available; `kubectl set image` rolls out while a watcher checks
// that ready pods never drop below replicas − maxUnavailable; `rollout undo`
// restores the previous template; SIGKILL of one node's agent turns its node
// Unknown and its pods are recreated on the other node; the agent's return
// heals the node; deleting the Deployment leaves no ReplicaSets or pods, and
// deleting a namespace leaves nothing behind, containers included.
func TestLabDeploymentLifecycle(t *testing.T) {
	lab := framework.NewLab(t, 2)
	m1, m2 := lab.Machines[0], lab.Machines[1]
	srv := m1.StartServer(t, "--node-monitor-grace-period", "6s", "--node-monitor-period", "1s")
	agents := map[string]*framework.Proc{
		"m1": m1.StartAgentWithCredentials(t, srv),
		"m2": m2.StartAgentWithCredentials(t, srv),
	}
	srv.WaitNodeReady(t, "m1", time.Minute)
	srv.WaitNodeReady(t, "m2", time.Minute)
	k := srv.Admin
	k.Must(t, "create", "namespace", "apps")

	applyStdin(t, k, webDeployment("apps", framework.ImageRef))
	k.Must(t, "rollout", "status", "-n", "apps", "deployment/web", "--timeout=2m")
	if out := k.Must(t, "get", "deployment", "web", "-n", "apps", "-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`); out != "True" {
		t.Fatalf("Available = %q after rollout status, want True", out)
	}

	// A rollout under watch: maxUnavailable 1 of 3 means at least 2 ready.
	w := watchReady(t, k, "apps")
	w.begin(t, 3)
	k.Must(t, "set", "image", "-n", "apps", "deployment/web", "httpd="+framework.ImageRefV2)
	k.Must(t, "rollout", "status", "-n", "apps", "deployment/web", "--timeout=2m")
	time.Sleep(time.Second) // the last events reach the watcher
	w.stop()
	if min, events := w.minimum(); min < 2 {
		t.Errorf("ready pods fell to %d during the rollout (want ≥ 2 = replicas − maxUnavailable; %d events)", min, events)
	} else {
		t.Logf("fewest ready pods during the rollout: %d (%d watch events)", min, events)
	}
	for _, p := range podsOf(k, "apps") {
		if !strings.Contains(p, framework.ImageRefV2) {
			t.Errorf("after set image, pod %s does not run %s", p, framework.ImageRefV2)
		}
	}
	if out := k.Must(t, "rollout", "history", "-n", "apps", "deployment/web"); !strings.Contains(out, "1") || !strings.Contains(out, "2") {
		t.Errorf("rollout history lacks revisions 1 and 2:\n%s", out)
	}

	k.Must(t, "rollout", "undo", "-n", "apps", "deployment/web")
	k.Must(t, "rollout", "status", "-n", "apps", "deployment/web", "--timeout=2m")
	if img := k.Must(t, "get", "deployment", "web", "-n", "apps", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); img != framework.ImageRef {
		t.Errorf("after rollout undo the template runs %q, want %q", img, framework.ImageRef)
	}
	framework.WaitUntil(t, time.Minute, "only pods of the restored template", func() bool {
		pods := podsOf(k, "apps")
		for _, p := range pods {
			if !strings.Contains(p, "|"+framework.ImageRef+"|Running") {
				return false
			}
		}
		return len(pods) == 3
	})

	// Node failure: the agent of a node running web pods dies without a
	// word (whichever node holds more of them; the rollouts decide).
	count := map[string]int{}
	for _, p := range podsOf(k, "apps") {
		count[strings.Split(p, "|")[1]]++
	}
	victim, survivor := m2, m1
	if count["m1"] > count["m2"] {
		victim, survivor = m1, m2
	}
	t.Logf("pods per node %v: killing %s's agent", count, victim.Name)
	agents[victim.Name].Signal(syscall.SIGKILL)
	framework.WaitUntil(t, time.Minute, "node "+victim.Name+" to turn Unknown", func() bool {
		out, _, _ := k.Run("get", "node", victim.Name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "Unknown"
	})
	if taints := k.Must(t, "get", "node", victim.Name, "-o", "jsonpath={.spec.taints[*].key}"); !strings.Contains(taints, "node.kubernetes.io/unreachable") {
		t.Errorf("%s's taints %q lack node.kubernetes.io/unreachable", victim.Name, taints)
	}
	framework.WaitUntil(t, 2*time.Minute, "3 running web pods on "+survivor.Name, func() bool {
		n := 0
		for _, p := range podsOf(k, "apps") {
			if strings.HasSuffix(p, "|Running") && strings.Contains(p, "|"+survivor.Name+"|") {
				n++
			}
		}
		return n == 3
	})
	if out := k.Must(t, "get", "events", "-n", "apps", "--field-selector", "reason=TaintManagerEviction", "-o", "name"); strings.TrimSpace(out) == "" {
		t.Errorf("no TaintManagerEviction event for the evicted pods")
	}

	// The agent returns: the node heals and finishes the evicted pods.
	victim.StartAgentWithCredentials(t, srv)
	srv.WaitNodeReady(t, victim.Name, time.Minute)
	framework.WaitUntil(t, time.Minute, victim.Name+"'s taints to go and its evicted pods to be gone", func() bool {
		taints, _, _ := k.Run("get", "node", victim.Name, "-o", "jsonpath={.spec.taints[*].key}")
		all, _, _ := k.Run("get", "pods", "-n", "apps", "-o", "name")
		return strings.TrimSpace(taints) == "" && len(strings.Fields(all)) == 3
	})

	// Deleting the Deployment removes its ReplicaSets and pods.
	k.Must(t, "delete", "deployment", "web", "-n", "apps")
	framework.WaitUntil(t, time.Minute, "no ReplicaSets and no pods in apps", func() bool {
		rs, _, _ := k.Run("get", "replicasets", "-n", "apps", "-o", "name")
		return strings.TrimSpace(rs) == "" && len(podsOf(k, "apps")) == 0
	})

	// Deleting a namespace with running pods leaves nothing behind.
	k.Must(t, "create", "namespace", "scratch")
	applyStdin(t, k, webDeployment("scratch", framework.ImageRef))
	k.Must(t, "rollout", "status", "-n", "scratch", "deployment/web", "--timeout=2m")
	k.Must(t, "delete", "namespace", "scratch", "--wait=false")
	framework.WaitUntil(t, 2*time.Minute, "namespace scratch to be gone", func() bool {
		_, errOut, err := k.Run("get", "namespace", "scratch")
		return err != nil && strings.Contains(errOut, "NotFound")
	})
	for _, m := range lab.Machines {
		framework.WaitUntil(t, time.Minute, "no containers left on "+m.Name, func() bool {
			out, _ := exec.Command("ctr", "--address", m.ContainerdSock, "-n", m.CtrNS, "containers", "ls", "-q").Output()
			return strings.TrimSpace(string(out)) == ""
		})
	}
}
