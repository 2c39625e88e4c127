package nodelifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller/controllertest"
	"skiff/pkg/controller/nodelifecycle"
)

const (
	unreachable = "node.kubernetes.io/unreachable"
	notReady    = "node.kubernetes.io/not-ready"
	grace       = 2 * time.Second
)

// cluster is a real apiserver with the node lifecycle controller running on
// the controller-manager's own credentials; the test plays the node agent
// with the admin client.
type cluster struct {
	t   *testing.T
	ctx context.Context
	c   *client.Client
}

func start(t *testing.T) *cluster {
	t.Helper()
	s := apiservertest.Start(t)
	cc := controllertest.NewContext(t, s)
	controllertest.Start(t, cc, nodelifecycle.New(cc, nodelifecycle.Options{
		MonitorGracePeriod: grace, StartupGracePeriod: grace, MonitorPeriod: 100 * time.Millisecond}))
	return &cluster{t: t, ctx: context.Background(), c: s.Client}
}

// agent plays a node agent: it registers a Ready node and its Lease.
func (c *cluster) agent(name string) {
	c.t.Helper()
	node := &api.Node{ObjectMeta: api.ObjectMeta{Name: name}}
	if _, err := client.Nodes(c.c).Create(c.ctx, node); err != nil {
		c.t.Fatal(err)
	}
	c.postStatus(name, api.ConditionTrue)
	holder, secs := name, int32(40)
	lease := &api.Lease{ObjectMeta: api.ObjectMeta{Name: name, Namespace: api.NamespaceNodeLease},
		Spec: api.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs}}
	now := api.NowMicro()
	lease.Spec.RenewTime = &now
	if _, err := client.Leases(c.c, api.NamespaceNodeLease).Create(c.ctx, lease); err != nil {
		c.t.Fatal(err)
	}
}

// postStatus is the agent reporting Ready (and no pressure) with a fresh heartbeat.
func (c *cluster) postStatus(name, ready string) {
	c.t.Helper()
	c.retry(func() error {
		n, err := client.Nodes(c.c).Get(c.ctx, name)
		if err != nil {
			return err
		}
		now := api.Now()
		n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: ready, Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now}}
		for _, typ := range []string{api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure} {
			n.Status.Conditions = append(n.Status.Conditions, api.NodeCondition{Type: typ, Status: api.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now})
		}
		_, err = client.Nodes(c.c).UpdateStatus(c.ctx, n)
		return err
	})
}

// renewLease is the agent's heartbeat.
func (c *cluster) renewLease(name string) {
	c.t.Helper()
	c.retry(func() error {
		l, err := client.Leases(c.c, api.NamespaceNodeLease).Get(c.ctx, name)
		if err != nil {
			return err
		}
		now := api.NowMicro()
		l.Spec.RenewTime = &now
		_, err = client.Leases(c.c, api.NamespaceNodeLease).Update(c.ctx, l)
		return err
	})
}

// retry runs a read-modify-write until it does not conflict.
func (c *cluster) retry(f func() error) {
	c.t.Helper()
	for i := 0; ; i++ {
		err := f()
		if err == nil {
			return
		}
		if !api.IsConflict(err) || i == 20 {
			c.t.Fatal(err)
		}
	}
}

// pod creates a pod bound to node with the given NoExecute tolerations of
// unreachable and not-ready: seconds, or forever if nil. Without any,
// admission adds 300-second ones.
func (c *cluster) pod(name, node string, seconds *int64, tolerate bool) *api.Pod {
	c.t.Helper()
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodSpec{NodeName: node, Containers: []api.Container{{Name: "c", Image: "busybox"}}}}
	if tolerate {
		for _, key := range []string{unreachable, notReady} {
			p.Spec.Tolerations = append(p.Spec.Tolerations, api.Toleration{Key: key, Operator: api.TolerationOpExists,
				Effect: api.TaintEffectNoExecute, TolerationSeconds: seconds})
		}
	}
	p, err := client.Pods(c.c, "default").Create(c.ctx, p)
	if err != nil {
		c.t.Fatal(err)
	}
	// Running and ready, as its agent would report.
	now := api.Now()
	p.Status = api.PodStatus{Phase: api.PodRunning, Conditions: []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: now}}}
	if p, err = client.Pods(c.c, "default").UpdateStatus(c.ctx, p); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// eventually waits until cond holds; state describes what it saw instead.
func (c *cluster) eventually(what string, timeout time.Duration, cond func() (ok bool, state string)) {
	c.t.Helper()
	controllertest.WaitForWithin(c.t, timeout, what, func() (bool, error) {
		ok, state := cond()
		return ok, errors.New(state)
	})
}

func (c *cluster) getNode(name string) *api.Node {
	n, err := client.Nodes(c.c).Get(c.ctx, name)
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

func (c *cluster) getPod(name string) *api.Pod {
	p, err := client.Pods(c.c, "default").Get(c.ctx, name)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// hasEvent reports whether an event with reason and a message containing text
// was recorded about the named object.
func (c *cluster) hasEvent(object, reason, text string) bool {
	events, err := controllertest.EventsAbout(c.ctx, c.c, "default", object, reason)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range events {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

func nodeCondition(n *api.Node, typ string) api.NodeCondition {
	for _, c := range n.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return api.NodeCondition{}
}

func podReady(p *api.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status
		}
	}
	return ""
}

func findTaint(n *api.Node, key, effect string) *api.Taint {
	for i, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return &n.Spec.Taints[i]
		}
	}
	return nil
}

func taints(n *api.Node) string {
	var s []string
	for _, t := range n.Spec.Taints {
		s = append(s, t.Key+":"+t.Effect)
	}
	return fmt.Sprint(s)
}

func TestSilentNodeIsTaintedAndItsPodsEvicted(t *testing.T) {
	c := start(t)
	c.agent("n1")
	one := int64(1)
	short := c.pod("short", "n1", &one, true) // tolerates unreachable for 1 s
	c.pod("forever", "n1", nil, true)         // tolerates it forever
	c.pod("default", "n1", nil, false)        // gets admission's 300 s
	if d := c.getPod("default"); len(d.Spec.Tolerations) != 2 || *d.Spec.Tolerations[0].TolerationSeconds != 300 {
		t.Fatalf("pod default: tolerations %+v, want admission's 300 s ones", d.Spec.Tolerations)
	}

	// While the Lease is renewed the node stays Ready, well past the grace
	// period, though its Ready heartbeat is never updated.
	var lastBeat time.Time
	for end := time.Now().Add(grace + time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		c.renewLease("n1")
		lastBeat = time.Now()
	}
	if n := c.getNode("n1"); nodeCondition(n, api.NodeReady).Status != api.ConditionTrue || len(n.Spec.Taints) != 0 {
		t.Fatalf("heartbeating node: Ready=%s, taints %s; want Ready=True, no taints", nodeCondition(n, api.NodeReady).Status, taints(n))
	}

	// The agent falls silent.
	c.eventually("node Unknown and tainted unreachable", grace+5*time.Second, func() (bool, string) {
		n := c.getNode("n1")
		ready := nodeCondition(n, api.NodeReady)
		ok := ready.Status == api.ConditionUnknown && ready.Reason == "NodeStatusUnknown" &&
			ready.Message == "Kubelet stopped posting node status." &&
			findTaint(n, unreachable, api.TaintEffectNoExecute) != nil && findTaint(n, unreachable, api.TaintEffectNoSchedule) != nil
		return ok, fmt.Sprintf("Ready=%s (%s), taints %s", ready.Status, ready.Reason, taints(n))
	})
	if d := time.Since(lastBeat); d < grace {
		t.Errorf("marked Unknown %v after the last heartbeat, before the %v grace period", d, grace)
	}
	n := c.getNode("n1")
	for _, typ := range []string{api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure} {
		if got := nodeCondition(n, typ).Status; got != api.ConditionUnknown {
			t.Errorf("%s = %s, want Unknown", typ, got)
		}
	}
	if tn := findTaint(n, unreachable, api.TaintEffectNoExecute); tn.TimeAdded == nil {
		t.Error("unreachable taint has no timeAdded")
	}
	if findTaint(n, notReady, api.TaintEffectNoExecute) != nil {
		t.Error("not-ready taint on an unreachable node")
	}
	c.eventually("NodeNotReady event on the node", 5*time.Second, func() (bool, string) {
		return c.hasEvent("n1", "NodeNotReady", "NodeNotReady"), "none"
	})

	// The pod tolerating 1 s is marked for deletion; the others stay, not ready.
	c.eventually("pod short marked for deletion", 5*time.Second, func() (bool, string) {
		p, err := client.Pods(c.c, "default").Get(c.ctx, "short")
		if api.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return p.DeletionTimestamp != nil, "no deletionTimestamp"
	})
	c.eventually("TaintManagerEviction event on pod short", 5*time.Second, func() (bool, string) {
		return c.hasEvent("short", "TaintManagerEviction", "Marking for deletion Pod default/short"), "none"
	})
	if p := c.getPod("short"); p.UID == short.UID {
		var found bool
		for _, cond := range p.Status.Conditions {
			found = found || (cond.Type == "DisruptionTarget" && cond.Status == api.ConditionTrue && cond.Reason == "DeletionByTaintManager")
		}
		if !found {
			t.Errorf("pod short: conditions %+v, want DisruptionTarget=True (DeletionByTaintManager)", p.Status.Conditions)
		}
	}
	for _, name := range []string{"forever", "default"} {
		c.eventually("pod "+name+" not ready", 5*time.Second, func() (bool, string) {
			p := c.getPod(name)
			return podReady(p) == api.ConditionFalse, "Ready=" + podReady(p)
		})
		if p := c.getPod(name); p.DeletionTimestamp != nil {
			t.Errorf("pod %s marked for deletion, want kept", name)
		}
	}
	if !c.hasEvent("forever", "NodeNotReady", "Node is not ready") {
		t.Error("no NodeNotReady event on pod forever")
	}

	// The agent comes back: Ready again, taints gone, the pending 300 s
	// eviction of pod default cancelled.
	c.postStatus("n1", api.ConditionTrue)
	c.renewLease("n1")
	c.eventually("node Ready without taints", 5*time.Second, func() (bool, string) {
		n := c.getNode("n1")
		return nodeCondition(n, api.NodeReady).Status == api.ConditionTrue && len(n.Spec.Taints) == 0,
			fmt.Sprintf("Ready=%s, taints %s", nodeCondition(n, api.NodeReady).Status, taints(n))
	})
	c.eventually("cancelled eviction of pod default", 5*time.Second, func() (bool, string) {
		return c.hasEvent("default", "TaintManagerEviction", "Cancelling deletion of Pod default/default"), "no event"
	})
	for _, name := range []string{"forever", "default"} {
		if p := c.getPod(name); p.DeletionTimestamp != nil {
			t.Errorf("pod %s marked for deletion after recovery", name)
		}
	}
}

func TestNotReadyAndCordonedNodesAreTainted(t *testing.T) {
	c := start(t)
	c.agent("n2")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // heartbeat throughout: this node is alive, just not ready
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				l, err := client.Leases(c.c, api.NamespaceNodeLease).Get(c.ctx, "n2")
				if err == nil {
					now := api.NowMicro()
					l.Spec.RenewTime = &now
					_, _ = client.Leases(c.c, api.NamespaceNodeLease).Update(c.ctx, l)
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	c.postStatus("n2", api.ConditionFalse)
	c.eventually("not-ready taints", 5*time.Second, func() (bool, string) {
		n := c.getNode("n2")
		return findTaint(n, notReady, api.TaintEffectNoExecute) != nil && findTaint(n, notReady, api.TaintEffectNoSchedule) != nil &&
			findTaint(n, unreachable, api.TaintEffectNoExecute) == nil, taints(n)
	})

	c.retry(func() error {
		n := c.getNode("n2")
		n.Spec.Unschedulable = true
		_, err := client.Nodes(c.c).Update(c.ctx, n)
		return err
	})
	c.postStatus("n2", api.ConditionTrue)
	c.eventually("only the unschedulable taint", 5*time.Second, func() (bool, string) {
		n := c.getNode("n2")
		return len(n.Spec.Taints) == 1 && findTaint(n, "node.kubernetes.io/unschedulable", api.TaintEffectNoSchedule) != nil, taints(n)
	})
	// Alive all along: never marked Unknown.
	if r := nodeCondition(c.getNode("n2"), api.NodeReady); r.Status != api.ConditionTrue {
		t.Errorf("Ready=%s (%s), want True", r.Status, r.Reason)
	}
}
