package node

import (
	"context"
	"encoding/json"
	"errors"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// The integration tests run the Manager against a real apiserver, authenticated
// as the node itself, so the Node authorizer and NodeRestriction judge every
// request it makes.
func TestIntegration(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	nodes := client.Nodes(s.Client)
	leases := client.Leases(s.Client, api.NamespaceNodeLease)

	getNode := func(t *testing.T, name string) *api.Node {
		t.Helper()
		n, err := nodes.Get(ctx, name)
		if err != nil {
			t.Fatalf("get node %s: %v", name, err)
		}
		return n
	}
	condition := func(n *api.Node, typ string) api.NodeCondition {
		if i := conditionIndex(n.Status.Conditions, typ); i >= 0 {
			return n.Status.Conditions[i]
		}
		return api.NodeCondition{}
	}
	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("register creates the node", func(t *testing.T) {
		rt := &fakeRuntime{version: "containerd://1.6.20", images: []runtime.ImageInfo{
			{Ref: "docker.io/library/busybox:1.36", Digest: "sha256:aaa", ID: "sha256:1", Size: 2 << 20},
			{Ref: "docker.io/library/busybox:latest", Digest: "sha256:aaa", ID: "sha256:1", Size: 2 << 20},
			{Ref: "localhost:5000/app:v1", Digest: "sha256:bbb", ID: "sha256:2", Size: 10 << 20},
		}}
		m := newTestManager(t, s, "node-create", rt, func(o *Options) {
			o.MaxPods = 50
			o.SystemReserved = list("cpu", "500m", "memory", "1Gi", "ephemeral-storage", "10Gi")
			o.Labels = map[string]string{"skiff.dev/pool": "blue", LabelOS: "not-linux"}
		})
		if err := m.Register(ctx); err != nil {
			t.Fatalf("Register: %v", err)
		}
		n := getNode(t, "node-create")

		wantLabels := map[string]string{
			LabelHostname: "node-create", LabelOS: goruntime.GOOS, LabelArch: goruntime.GOARCH, "skiff.dev/pool": "blue",
		}
		if diff := cmp.Diff(wantLabels, n.Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
		if got, want := jsonOf(n.Status.Capacity), `{"cpu":"4","ephemeral-storage":"100Gi","memory":"8Gi","pods":"50"}`; got != want {
			t.Errorf("capacity = %s, want %s", got, want)
		}
		if got, want := jsonOf(n.Status.Allocatable), `{"cpu":"3500m","ephemeral-storage":"90Gi","memory":"7Gi","pods":"50"}`; got != want {
			t.Errorf("allocatable = %s, want %s", got, want)
		}
		wantAddrs := []api.NodeAddress{{Type: "InternalIP", Address: "192.0.2.10"}, {Type: "Hostname", Address: "node-create.lab"}}
		if diff := cmp.Diff(wantAddrs, n.Status.Addresses); diff != "" {
			t.Errorf("addresses (-want +got):\n%s", diff)
		}
		wantInfo := api.NodeSystemInfo{
			MachineID: testFacts.MachineID, SystemUUID: testFacts.SystemUUID, BootID: "boot-1",
			KernelVersion: "6.1.0-test", OSImage: "Debian GNU/Linux 12 (bookworm)",
			ContainerRuntimeVersion: "containerd://1.6.20", KubeletVersion: "v0.1.0-test",
			OperatingSystem: goruntime.GOOS, Architecture: goruntime.GOARCH,
		}
		if diff := cmp.Diff(wantInfo, n.Status.NodeInfo); diff != "" {
			t.Errorf("nodeInfo (-want +got):\n%s", diff)
		}
		if n.Status.DaemonEndpoints.KubeletEndpoint.Port != 10250 {
			t.Errorf("daemonEndpoints = %+v, want port 10250", n.Status.DaemonEndpoints)
		}
		wantImages := []api.ContainerImage{
			{Names: []string{"localhost:5000/app@sha256:bbb", "localhost:5000/app:v1"}, SizeBytes: 10 << 20},
			{Names: []string{"docker.io/library/busybox@sha256:aaa", "docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"}, SizeBytes: 2 << 20},
		}
		if diff := cmp.Diff(wantImages, n.Status.Images); diff != "" {
			t.Errorf("images (-want +got):\n%s", diff)
		}
		var types []string
		for _, c := range n.Status.Conditions {
			types = append(types, c.Type+"="+c.Status)
			if c.LastHeartbeatTime.IsZero() || c.LastTransitionTime.IsZero() {
				t.Errorf("condition %s has no times: %+v", c.Type, c)
			}
		}
		want := []string{"NetworkUnavailable=False", "MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"}
		if diff := cmp.Diff(want, types); diff != "" {
			t.Errorf("conditions (-want +got):\n%s", diff)
		}
		if len(n.Spec.Taints) != 0 || n.Spec.PodCIDR != "" {
			t.Errorf("spec = %+v, want nothing set by the agent", n.Spec)
		}
	})

	t.Run("register again keeps what others set", func(t *testing.T) {
		const name = "node-again"
		rt := &fakeRuntime{version: "containerd://1.6.20"}
		m := newTestManager(t, s, name, rt, func(o *Options) { o.Labels = map[string]string{"skiff.dev/pool": "blue"} })
		if err := m.Register(ctx); err != nil {
			t.Fatalf("first Register: %v", err)
		}
		n := getNode(t, name)
		uid := n.UID
		n.Labels["team"] = "storage"
		n.Spec.Taints = []api.Taint{{Key: "dedicated", Value: "db", Effect: api.TaintEffectNoSchedule}}
		if _, err := nodes.Update(ctx, n); err != nil {
			t.Fatalf("admin update: %v", err)
		}

		// The agent restarts with another label value and a new runtime version.
		rt.mu.Lock()
		rt.version = "containerd://1.7.0"
		rt.mu.Unlock()
		m2 := newTestManager(t, s, name, rt, func(o *Options) { o.Labels = map[string]string{"skiff.dev/pool": "green"} })
		if err := m2.Register(ctx); err != nil {
			t.Fatalf("second Register: %v", err)
		}
		n = getNode(t, name)
		if n.UID != uid {
			t.Errorf("node was re-created (uid %s, was %s)", n.UID, uid)
		}
		if n.Labels["team"] != "storage" || n.Labels["skiff.dev/pool"] != "green" || n.Labels[LabelHostname] != name {
			t.Errorf("labels = %v, want team=storage kept and skiff.dev/pool=green", n.Labels)
		}
		if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != "dedicated" {
			t.Errorf("taints = %v, want the admin's taint kept", n.Spec.Taints)
		}
		if got := n.Status.NodeInfo.ContainerRuntimeVersion; got != "containerd://1.7.0" {
			t.Errorf("runtime version = %q, want the new one", got)
		}
	})

	t.Run("register adopts a node someone else created", func(t *testing.T) {
		const name = "node-precreated"
		pre := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"rack": "r1"}},
			Spec: api.NodeSpec{Taints: []api.Taint{{Key: "node.kubernetes.io/not-ready", Effect: api.TaintEffectNoSchedule}}}}
		if _, err := nodes.Create(ctx, pre); err != nil {
			t.Fatal(err)
		}
		m := newTestManager(t, s, name, &fakeRuntime{version: "containerd://1.6.20"}, nil)
		if err := m.Register(ctx); err != nil {
			t.Fatalf("Register: %v", err)
		}
		n := getNode(t, name)
		if n.Labels["rack"] != "r1" || n.Labels[LabelHostname] != name || len(n.Spec.Taints) != 1 {
			t.Errorf("node = labels %v taints %v, want rack=r1, the agent's labels and the taint", n.Labels, n.Spec.Taints)
		}
		if condition(n, "Ready").Status != "True" || n.Status.Capacity[api.ResourceCPU].IsZero() {
			t.Errorf("status not written: %+v", n.Status)
		}
	})

	t.Run("a node cannot register under another name", func(t *testing.T) {
		m := newTestManager(t, s, "node-honest", &fakeRuntime{version: "x://1"}, nil)
		m.opts.NodeName = "node-impostor"
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		err := m.Register(rctx)
		if !api.IsForbidden(err) {
			t.Fatalf("Register = %v, want Forbidden at once", err)
		}
	})

	t.Run("lease is renewed", func(t *testing.T) {
		const name = "node-lease"
		m := newTestManager(t, s, name, &fakeRuntime{version: "containerd://1.6.20"}, nil)
		if err := m.Register(ctx); err != nil {
			t.Fatal(err)
		}
		uid := getNode(t, name).UID
		run(t, m)
		var first *api.Lease
		waitFor(t, "the lease", func() (bool, error) {
			l, err := leases.Get(ctx, name)
			first = l
			return err == nil, err
		})
		if h := first.Spec.HolderIdentity; h == nil || *h != name {
			t.Errorf("holderIdentity = %v, want %s", h, name)
		}
		if d := first.Spec.LeaseDurationSeconds; d == nil || *d != 40 {
			t.Errorf("leaseDurationSeconds = %v, want 40", d)
		}
		wantOwner := []api.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: name, UID: uid}}
		if diff := cmp.Diff(wantOwner, first.OwnerReferences); diff != "" {
			t.Errorf("ownerReferences (-want +got):\n%s", diff)
		}
		waitFor(t, "renewTime to advance twice", func() (bool, error) {
			l, err := leases.Get(ctx, name)
			if err != nil {
				return false, err
			}
			return l.Spec.RenewTime.Sub(first.Spec.RenewTime.Time) >= 2*m.opts.LeaseRenewInterval, nil
		})
	})

	t.Run("ready follows the checks", func(t *testing.T) {
		const name = "node-ready"
		clock := newFakeClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
		rt := &fakeRuntime{version: "containerd://1.6.20"}
		network := &testCheck{message: "waiting for a pod CIDR"}
		extra := &testCheck{ok: true}
		m := newTestManager(t, s, name, rt, func(o *Options) {
			o.Now = clock.Now
			o.NetworkReady = network.check
			o.Ready = extra.check
		})
		if err := m.Register(ctx); err != nil {
			t.Fatal(err)
		}
		run(t, m)

		// waitCond waits for the condition to be as wanted and returns it.
		waitCond := func(typ, status, reason, message string, heartbeat time.Time) api.NodeCondition {
			t.Helper()
			var c api.NodeCondition
			waitFor(t, typ+"="+status+" "+reason, func() (bool, error) {
				n, err := nodes.Get(ctx, name)
				if err != nil {
					return false, err
				}
				c = condition(n, typ)
				return c.Status == status && c.Reason == reason && c.Message == message && c.LastHeartbeatTime.Equal(heartbeat), nil
			})
			return c
		}

		t0 := clock.Now()
		c := waitCond("Ready", "False", "NetworkPluginNotReady", "container runtime network not ready: waiting for a pod CIDR", t0)
		if !c.LastTransitionTime.Equal(t0) {
			t.Errorf("Ready transition = %v, want %v", c.LastTransitionTime, t0)
		}
		waitCond("NetworkUnavailable", "True", "NetworkPluginNotReady", "waiting for a pod CIDR", t0)

		t1 := clock.Advance(time.Minute)
		network.set(true, "", "")
		c = waitCond("Ready", "True", "KubeletReady", "node agent is posting ready status", t1)
		if !c.LastTransitionTime.Equal(t1) {
			t.Errorf("Ready transition = %v, want %v (status changed)", c.LastTransitionTime, t1)
		}
		c = waitCond("NetworkUnavailable", "False", "NetworkReady", "pod network is configured", t1)
		if !c.LastTransitionTime.Equal(t1) {
			t.Errorf("NetworkUnavailable transition = %v, want %v", c.LastTransitionTime, t1)
		}

		t2 := clock.Advance(time.Minute)
		extra.set(false, "ContainerdUnreachable", "containerd does not answer")
		c = waitCond("Ready", "False", "ContainerdUnreachable", "containerd does not answer", t2)
		if !c.LastTransitionTime.Equal(t2) {
			t.Errorf("Ready transition = %v, want %v", c.LastTransitionTime, t2)
		}

		// Heartbeats while still not ready move lastHeartbeatTime only.
		t3 := clock.Advance(time.Minute)
		c = waitCond("Ready", "False", "ContainerdUnreachable", "containerd does not answer", t3)
		if !c.LastTransitionTime.Equal(t2) {
			t.Errorf("Ready transition = %v, want it kept at %v", c.LastTransitionTime, t2)
		}

		t4 := clock.Advance(time.Minute)
		extra.set(true, "", "")
		rt.setErr(errors.New("dial unix /run/containerd/containerd.sock: connect: connection refused"))
		c = waitCond("Ready", "False", "KubeletNotReady",
			"container runtime is down: dial unix /run/containerd/containerd.sock: connect: connection refused", t4)
		if !c.LastTransitionTime.Equal(t2) {
			t.Errorf("Ready transition = %v, want it kept at %v (still False)", c.LastTransitionTime, t2)
		}

		t5 := clock.Advance(time.Minute)
		rt.setErr(nil)
		c = waitCond("Ready", "True", "KubeletReady", "node agent is posting ready status", t5)
		if !c.LastTransitionTime.Equal(t5) {
			t.Errorf("Ready transition = %v, want %v", c.LastTransitionTime, t5)
		}
	})

	t.Run("status updates survive a conflicting write", func(t *testing.T) {
		const name = "node-conflict"
		m := newTestManager(t, s, name, &fakeRuntime{version: "containerd://1.6.20"}, nil)
		if err := m.Register(ctx); err != nil {
			t.Fatal(err)
		}
		// Someone else writes the Node after the agent's last write, so the
		// agent's copy is stale: a node-problem-detector condition and a label.
		n := getNode(t, name)
		n.Status.Conditions = append(n.Status.Conditions, api.NodeCondition{
			Type: "KernelDeadlock", Status: "False", Reason: "KernelHasNoDeadlock", Message: "kernel has no deadlock",
			LastHeartbeatTime: api.Now(), LastTransitionTime: api.Now()})
		if _, err := nodes.UpdateStatus(ctx, n); err != nil {
			t.Fatal(err)
		}
		n = getNode(t, name)
		n.Labels["team"] = "storage"
		if _, err := nodes.Update(ctx, n); err != nil {
			t.Fatal(err)
		}

		m.opts.AgentVersion = "v0.2.0-test"
		if err := m.syncStatus(ctx); err != nil {
			t.Fatalf("syncStatus: %v", err)
		}
		if m.conflicts.Load() == 0 {
			t.Errorf("the status update met no conflict; the test did not test what it says")
		}
		n = getNode(t, name)
		if n.Status.NodeInfo.KubeletVersion != "v0.2.0-test" {
			t.Errorf("kubeletVersion = %q, want the agent's update applied", n.Status.NodeInfo.KubeletVersion)
		}
		if c := condition(n, "KernelDeadlock"); c.Reason != "KernelHasNoDeadlock" {
			t.Errorf("the other writer's condition was lost: %+v", n.Status.Conditions)
		}
		if c := condition(n, "Ready"); c.Status != "True" {
			t.Errorf("Ready = %+v", c)
		}
		if n.Labels["team"] != "storage" {
			t.Errorf("the other writer's label was lost: %v", n.Labels)
		}
	})

	t.Run("a deleted node is registered again", func(t *testing.T) {
		const name = "node-deleted"
		m := newTestManager(t, s, name, &fakeRuntime{version: "containerd://1.6.20"}, nil)
		if err := m.Register(ctx); err != nil {
			t.Fatal(err)
		}
		old := getNode(t, name).UID
		run(t, m)
		if err := nodes.Delete(ctx, name, nil); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the node to be registered again", func() (bool, error) {
			n, err := nodes.Get(ctx, name)
			return err == nil && n.UID != old && condition(n, "Ready").Status == "True", nil
		})
		uid := getNode(t, name).UID
		waitFor(t, "the lease to be owned by the new node", func() (bool, error) {
			l, err := leases.Get(ctx, name)
			return err == nil && len(l.OwnerReferences) == 1 && l.OwnerReferences[0].UID == uid, err
		})
	})

	t.Run("WaitForPodCIDR", func(t *testing.T) {
		const name = "node-cidr"
		m := newTestManager(t, s, name, &fakeRuntime{version: "containerd://1.6.20"}, nil)
		if err := m.Register(ctx); err != nil {
			t.Fatal(err)
		}
		if got := m.PodCIDR(); got != "" {
			t.Fatalf("PodCIDR before allocation = %q", got)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if got := m.WaitForPodCIDR(wctx, "10.99.0.0/24"); got != "10.99.0.0/24" {
			t.Errorf("WaitForPodCIDR with a fallback and no podCIDR = %q, want the fallback", got)
		}

		rv := getNode(t, name).ResourceVersion
		var wg sync.WaitGroup
		got := make(chan string, 1)
		wg.Go(func() { got <- m.WaitForPodCIDR(wctx, "") })
		defer wg.Wait()

		n := getNode(t, name)
		n.Spec.PodCIDR, n.Spec.PodCIDRs = "10.244.3.0/24", []string{"10.244.3.0/24"}
		if _, err := nodes.Update(ctx, n); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-got:
			if c != "10.244.3.0/24" {
				t.Errorf("WaitForPodCIDR = %q, want 10.244.3.0/24", c)
			}
		case <-wctx.Done():
			t.Fatal("WaitForPodCIDR did not return after the podCIDR was set")
		}
		if c := m.PodCIDR(); c != "10.244.3.0/24" {
			t.Errorf("PodCIDR = %q", c)
		}
		if c := m.WaitForPodCIDR(wctx, "10.99.0.0/24"); c != "10.244.3.0/24" {
			t.Errorf("WaitForPodCIDR with a fallback once allocated = %q, want the node's", c)
		}
		// The watch path, from a resourceVersion before the allocation.
		if c := m.watchPodCIDR(wctx, rv); c != "10.244.3.0/24" {
			t.Errorf("watchPodCIDR = %q, want 10.244.3.0/24", c)
		}
	})

	t.Run("WaitForPodCIDR returns when its context ends", func(t *testing.T) {
		m := newTestManager(t, s, "node-nocidr", &fakeRuntime{version: "containerd://1.6.20"}, nil)
		if err := m.Register(ctx); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if c := m.WaitForPodCIDR(wctx, ""); c != "" || wctx.Err() == nil {
			t.Errorf("WaitForPodCIDR = %q before its context ended", c)
		}
	})
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock and returns the new time.
func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}
