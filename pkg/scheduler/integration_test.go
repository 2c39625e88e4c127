package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/scheduler"
	st "skiff/pkg/scheduler/testing"
	"skiff/pkg/scheduler/whypending"
)

// cluster is a real apiserver with Node objects (no agents) and schedulers.
type cluster struct {
	*apiservertest.Server
	t *testing.T
}

func newCluster(t *testing.T) *cluster {
	return &cluster{Server: apiservertest.Start(t), t: t}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startScheduler runs a scheduler process in-process until the test ends.
func (c *cluster) startScheduler(name string, leaderElect bool, configFile string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(logWriter{c.t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("scheduler", name)
	go func() {
		// The scheduler's own credentials: what it may do comes from its RBAC role.
		kubeconfig := filepath.Join(c.DataDir, apiserver.SchedulerKubeconfig)
		done <- scheduler.RunServer(ctx, scheduler.Options{Kubeconfig: kubeconfig, ConfigFile: configFile,
			LeaderElect: leaderElect, BindAddress: "127.0.0.1", Port: 0, Logger: log})
	}()
	c.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				c.t.Errorf("scheduler %s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			c.t.Errorf("scheduler %s did not stop", name)
		}
	})
}

func (c *cluster) addNode(n *api.Node) {
	c.t.Helper()
	if _, err := client.Nodes(c.Client).Create(context.Background(), n); err != nil {
		c.t.Fatalf("create node %s: %v", n.Name, err)
	}
}

func (c *cluster) addPod(p *api.Pod) {
	c.t.Helper()
	p.UID = ""
	if _, err := client.Pods(c.Client, p.Namespace).Create(context.Background(), p); err != nil {
		c.t.Fatalf("create pod %s: %v", p.Name, err)
	}
}

func (c *cluster) pod(name string) *api.Pod {
	c.t.Helper()
	p, err := client.Pods(c.Client, "default").Get(context.Background(), name)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// waitFor polls cond until it holds or 20 seconds pass.
func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *cluster) waitBound(name string) string {
	c.t.Helper()
	var node string
	c.waitFor(name+" to be bound", func() bool { node = c.pod(name).Spec.NodeName; return node != "" })
	return node
}

// waitPending waits for the scheduler's verdict on a pod it cannot place.
func (c *cluster) waitPending(name string) (*api.Pod, *whypending.Breakdown) {
	c.t.Helper()
	var p *api.Pod
	c.waitFor(name+"'s PodScheduled=False condition", func() bool {
		p = c.pod(name)
		for _, cond := range p.Status.Conditions {
			if cond.Type == api.PodScheduled && cond.Status == api.ConditionFalse {
				return p.Annotations[whypending.Annotation] != ""
			}
		}
		return false
	})
	b, err := whypending.Decode(p.Annotations[whypending.Annotation])
	if err != nil {
		c.t.Fatal(err)
	}
	return p, b
}

func condition(p *api.Pod, typ string) api.PodCondition {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return api.PodCondition{}
}

func term(key, op string, values ...string) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

func cpuNode(name, cpu string) *api.Node {
	return st.MakeNode().Name(name).Capacity(map[string]string{"cpu": cpu, "memory": "8Gi"}).Obj()
}

// TestResourcesFitExactly: a node with 2 CPUs takes two 1-CPU pods, not three;
// the third is Pending with the Kubernetes summary, and becomes scheduled when a
// fitting node is added.
func TestResourcesFitExactly(t *testing.T) {
	c := newCluster(t)
	c.addNode(cpuNode("two-cpus", "2"))
	c.startScheduler("s", false, "")
	for _, name := range []string{"a", "b", "c"} {
		c.addPod(st.MakePod().Name(name).Req(map[string]string{"cpu": "1"}).Obj())
	}
	c.waitFor("two pods bound", func() bool {
		n := 0
		for _, name := range []string{"a", "b", "c"} {
			if c.pod(name).Spec.NodeName != "" {
				n++
			}
		}
		return n == 2
	})
	var pending string
	for _, name := range []string{"a", "b", "c"} {
		if c.pod(name).Spec.NodeName == "" {
			pending = name
		}
	}
	p, b := c.waitPending(pending)
	want := "0/1 nodes are available: 1 Insufficient cpu."
	if got := condition(p, api.PodScheduled); got.Message != want || got.Reason != "Unschedulable" {
		t.Errorf("PodScheduled: %+v, want message %q", got, want)
	}
	if b.Summary != want || len(b.Rejections) != 1 || b.Rejections[0].Plugin != "NodeResourcesFit" || b.Rejections[0].Nodes[0] != "two-cpus" {
		t.Errorf("breakdown: %+v", b)
	}
	c.waitFor("a FailedScheduling event", func() bool { return c.hasEvent("FailedScheduling", pending, want) })

	c.addNode(cpuNode("another", "1"))
	if node := c.waitBound(pending); node != "another" {
		t.Errorf("%s bound to %s, want another", pending, node)
	}
	c.waitFor("a Scheduled event", func() bool {
		return c.hasEvent("Scheduled", pending, "Successfully assigned default/"+pending+" to another")
	})
}

func (c *cluster) hasEvent(reason, pod, message string) bool {
	evs, err := client.Events(c.Client, "default").List(context.Background(), client.ListOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range evs.Items {
		if e.Reason == reason && e.InvolvedObject.Name == pod && e.Message == message {
			return true
		}
	}
	return false
}

// TestPlacementRules: taints and tolerations, node selectors and affinity.
func TestPlacementRules(t *testing.T) {
	c := newCluster(t)
	c.addNode(st.MakeNode().Name("gpu").Label("disk", "ssd").Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Capacity(map[string]string{"cpu": "8"}).Obj())
	c.addNode(st.MakeNode().Name("plain").Label("disk", "hdd").Capacity(map[string]string{"cpu": "8"}).Obj())
	c.addNode(st.MakeNode().Name("fast").Label("disk", "ssd").Label("zone", "b").Capacity(map[string]string{"cpu": "8"}).Obj())
	c.startScheduler("s", false, "")

	c.addPod(st.MakePod().Name("wants-gpu").NodeSelector(map[string]string{"disk": "ssd"}).Toleration("dedicated", "Equal", "gpu", "NoSchedule").
		RequiredNodeAffinity(term("kubernetes.io/hostname", api.NodeSelectorOpIn, "gpu")).Obj())
	c.addPod(st.MakePod().Name("wants-ssd").NodeSelector(map[string]string{"disk": "ssd"}).Obj())
	c.addPod(st.MakePod().Name("not-zone-b").RequiredNodeAffinity(term("zone", api.NodeSelectorOpNotIn, "b")).Obj())
	c.addPod(st.MakePod().Name("nowhere").NodeSelector(map[string]string{"disk": "nvme"}).Obj())

	for pod, want := range map[string]string{"wants-gpu": "gpu", "wants-ssd": "fast", "not-zone-b": "plain"} {
		if got := c.waitBound(pod); got != want {
			t.Errorf("%s bound to %s, want %s", pod, got, want)
		}
	}
	_, b := c.waitPending("nowhere")
	plugins := map[string]string{}
	for _, r := range b.Rejections {
		for _, n := range r.Nodes {
			plugins[n] = r.Plugin + ": " + r.Reason
		}
	}
	// The first filter to reject a node is named: TaintToleration runs before NodeAffinity.
	want := map[string]string{
		"gpu":   "TaintToleration: node(s) had untolerated taint {dedicated: gpu}",
		"plain": "NodeAffinity: node(s) didn't match Pod's node affinity/selector",
		"fast":  "NodeAffinity: node(s) didn't match Pod's node affinity/selector",
	}
	for n, w := range want {
		if plugins[n] != w {
			t.Errorf("node %s: %q, want %q", n, plugins[n], w)
		}
	}
}

// TestTopologySpreadAcrossZones: six pods spread with maxSkew 1 over three
// zones of two nodes each land two per zone.
func TestTopologySpreadAcrossZones(t *testing.T) {
	c := newCluster(t)
	for _, zone := range []string{"a", "b", "c"} {
		for i := range 2 {
			c.addNode(st.MakeNode().Name(fmt.Sprintf("%s-%d", zone, i)).Label("topology.kubernetes.io/zone", zone).Capacity(map[string]string{"cpu": "8"}).Obj())
		}
	}
	c.startScheduler("s", false, "")
	for i := range 6 {
		c.addPod(st.MakePod().Name(fmt.Sprintf("web-%d", i)).Label("app", "web").
			SpreadConstraint(1, "topology.kubernetes.io/zone", api.DoNotSchedule, st.MakeLabelSelector().Label("app", "web").Obj()).Obj())
	}
	perZone := map[string]int{}
	for i := range 6 {
		node := c.waitBound(fmt.Sprintf("web-%d", i))
		perZone[node[:1]]++
	}
	for _, zone := range []string{"a", "b", "c"} {
		if perZone[zone] != 2 {
			t.Errorf("zone counts %v, want 2 each", perZone)
			break
		}
	}
}

// TestTwoSchedulersNeverDoubleBind: with leader election, two schedulers
// running at once bind 500 pods, each exactly once.
func TestTwoSchedulersNeverDoubleBind(t *testing.T) {
	c := newCluster(t)
	for i := range 10 {
		c.addNode(cpuNode(fmt.Sprintf("n%d", i), "64"))
	}
	// Record every binding the watch shows: a pod must get a node once and keep it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := client.Pods(c.Client, "default").Watch(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	boundTo := map[string]string{}
	var rebinds []string
	go func() {
		for ev := range events {
			if ev.Object == nil || ev.Object.Spec.NodeName == "" {
				continue
			}
			mu.Lock()
			if prev, ok := boundTo[ev.Object.Name]; ok && prev != ev.Object.Spec.NodeName {
				rebinds = append(rebinds, ev.Object.Name)
			}
			boundTo[ev.Object.Name] = ev.Object.Spec.NodeName
			mu.Unlock()
		}
	}()
	c.startScheduler("one", true, "")
	c.startScheduler("two", true, "")

	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range 500 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p := st.MakePod().Name(fmt.Sprintf("p-%03d", i)).Req(map[string]string{"cpu": "100m"}).Obj()
			p.UID = ""
			if _, err := client.Pods(c.Client, "default").Create(context.Background(), p); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c.waitFor("500 pods bound", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(boundTo) == 500
	})
	mu.Lock()
	defer mu.Unlock()
	if len(rebinds) > 0 {
		t.Errorf("pods bound twice: %v", rebinds)
	}
	lease, err := client.Leases(c.Client, "kube-system").Get(context.Background(), "kube-scheduler")
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("no leader recorded in the lease: %v %+v", err, lease)
	}
}

// TestPreemption: a high-priority pod that fits nowhere evicts the lowest
// priority pod in its way and is bound once it is gone. A stand-in for the
// node agent finishes deletions (nothing else would: pods bound to a node are
// deleted gracefully, by their agent).
func TestPreemption(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.finishDeletions(ctx)
	for name, value := range map[string]int{"low": 10, "high": 1000} {
		if err := c.Client.Do(ctx, client.Request{Method: "POST", Path: "/apis/scheduling.k8s.io/v1/priorityclasses",
			Body: map[string]any{"metadata": map[string]string{"name": name}, "value": value}}); err != nil {
			t.Fatal(err)
		}
	}
	c.addNode(cpuNode("only", "2"))
	c.startScheduler("s", false, "")
	for _, name := range []string{"victim", "survivor"} {
		p := st.MakePod().Name(name).Req(map[string]string{"cpu": "1"}).Obj()
		if name == "victim" {
			p.Spec.PriorityClassName = "low"
		} else {
			p.Spec.PriorityClassName = "high"
		}
		c.addPod(p)
		c.waitBound(name)
	}
	vip := st.MakePod().Name("vip").Req(map[string]string{"cpu": "1"}).Obj()
	vip.Spec.PriorityClassName = "high"
	c.addPod(vip)
	if node := c.waitBound("vip"); node != "only" {
		t.Errorf("vip bound to %s", node)
	}
	if _, err := client.Pods(c.Client, "default").Get(ctx, "victim"); !api.IsNotFound(err) {
		t.Errorf("the low-priority pod was not preempted: %v", err)
	}
	if p := c.pod("survivor"); p.Spec.NodeName != "only" || p.DeletionTimestamp != nil {
		t.Errorf("the equal-priority pod was touched: %+v", p.ObjectMeta)
	}
}

// finishDeletions plays the node agent's part in deleting pods: once a bound
// pod is marked for deletion, it removes it for good.
func (c *cluster) finishDeletions(ctx context.Context) {
	zero := int64(0)
	for ctx.Err() == nil {
		pods, err := client.Pods(c.Client, "").List(ctx, client.ListOptions{})
		if err == nil {
			for _, p := range pods.Items {
				if p.DeletionTimestamp != nil {
					client.Pods(c.Client, p.Namespace).Delete(ctx, p.Name, &api.DeleteOptions{GracePeriodSeconds: &zero})
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}
