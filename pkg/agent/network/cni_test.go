package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTwoPodsReachEachOther(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.1.0/24")
	dir := t.TempDir()
	a, b := newTestPod(t, dir, "a"), newTestPod(t, dir, "b")

	ipA, dA, err := node.setUp(c, a.ref, a.netns, nil)
	if err != nil {
		t.Fatalf("SetUp(a): %v", err)
	}
	ipB, dB, err := node.setUp(c, b.ref, b.netns, nil)
	if err != nil {
		t.Fatalf("SetUp(b): %v", err)
	}
	t.Logf("SetUp took %v (a: first, creates the bridge) and %v (b)", dA, dB)
	if ipA == ipB {
		t.Fatalf("both pods got %s", ipA)
	}
	for _, ip := range []string{ipA, ipB} {
		if addr, err := netip.ParseAddr(ip); err != nil || !netip.MustParsePrefix("10.244.1.0/24").Contains(addr) || ip == "10.244.1.1" {
			t.Errorf("pod IP %q: want a pod address in 10.244.1.0/24", ip)
		}
	}

	for _, p := range []struct {
		pod testPod
		ip  string
	}{{a, ipA}, {b, ipB}} {
		if st := podIface(t, p.pod.netns, "eth0"); !st.Up || !slices.Equal(st.Addrs, []string{p.ip}) {
			t.Errorf("pod %s eth0 = %+v, want up with [%s]", p.pod.ref.Name, st, p.ip)
		}
		if st := podIface(t, p.pod.netns, "lo"); !st.Up {
			t.Errorf("pod %s lo is down", p.pod.ref.Name)
		}
	}

	serveOnce(t, b.netns, ipB+":8080", "hello from b")
	if got, err := fetch(a.netns, ipB+":8080"); err != nil || got != "hello from b" {
		t.Errorf("a -> b %s:8080 = %q, %v; want %q", ipB, got, err, "hello from b")
	}

	// No chain per pod: the node masquerades all its pods in one chain.
	if err := withNetNS(node.path, func() error { return c.EnsureMasquerade(context.Background()) }); err != nil {
		t.Fatalf("EnsureMasquerade: %v", err)
	}
	rules := node.natRules(t)
	if strings.Contains(rules, "-N "+masqChain(NetworkName, a.ref.UID)) {
		t.Errorf("nat table has a masquerade chain for pod a:\n%s", rules)
	}
	for _, r := range []string{"-A POSTROUTING -s 10.244.1.0/24 -m comment", "-j SKIFF-MASQ", "-A SKIFF-MASQ -d 10.244.1.0/24 -j RETURN", "-A SKIFF-MASQ -j MASQUERADE"} {
		if !strings.Contains(rules, r) {
			t.Errorf("nat table lacks %q:\n%s", r, rules)
		}
	}

	att, err := c.Attached()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Attachment{
		a.ref.UID: {Pod: a.ref, NetNS: a.netns, IP: ipA},
		b.ref.UID: {Pod: b.ref, NetNS: b.netns, IP: ipB},
	}
	if len(att) != 2 || att[0] != want[att[0].Pod.UID] || att[1] != want[att[1].Pod.UID] {
		t.Errorf("Attached() = %+v, want %+v", att, want)
	}

	for _, p := range []testPod{a, b} {
		d, err := node.tearDown(c, p.ref, p.netns)
		if err != nil {
			t.Fatalf("TearDown(%s): %v", p.ref.Name, err)
		}
		t.Logf("TearDown(%s) took %v", p.ref.Name, d)
	}
	if rules := node.natRules(t); strings.Contains(rules, a.ref.UID) || strings.Contains(rules, b.ref.UID) {
		t.Errorf("nat rules left after TearDown:\n%s", rules)
	}
	if links := node.links(t); !slices.Equal(links, []string{"lo", DefaultBridgeName}) {
		t.Errorf("node links after TearDown = %v, want only lo and the bridge", links)
	}
	if att, err := c.Attached(); err != nil || len(att) != 0 {
		t.Errorf("Attached() after TearDown = %+v, %v; want none", att, err)
	}
}

func TestSetUpIsIdempotent(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.1.0/24")
	a := newTestPod(t, t.TempDir(), "a")

	ip := node.mustSetUp(t, c, a.ref, a.netns, nil)
	again, d, err := node.setUp(c, a.ref, a.netns, nil)
	if err != nil || again != ip {
		t.Fatalf("second SetUp = %q, %v; want %q", again, err, ip)
	}
	t.Logf("SetUp of a pod already set up took %v", d)
	if st := podIface(t, a.netns, "eth0"); !slices.Equal(st.Addrs, []string{ip}) {
		t.Errorf("eth0 addresses after a second SetUp = %v, want [%s]", st.Addrs, ip)
	}
	node.mustTearDown(t, c, a.ref, a.netns)
	node.mustTearDown(t, c, a.ref, a.netns) // twice: nothing left to do, no error
}

func TestTearDownReleasesIP(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	// A /30 has one pod address: the next pod gets it only once it is released.
	c := newTestCNI(t, "10.244.9.0/30")
	dir := t.TempDir()
	a, b := newTestPod(t, dir, "a"), newTestPod(t, dir, "b")

	ipA := node.mustSetUp(t, c, a.ref, a.netns, nil)
	if ipA != "10.244.9.2" {
		t.Fatalf("pod a got %s, want 10.244.9.2", ipA)
	}
	if _, _, err := node.setUp(c, b.ref, b.netns, nil); err == nil {
		t.Fatal("SetUp(b) in a full /30 succeeded")
	} else {
		t.Logf("SetUp(b) in a full CIDR: %v", err)
	}
	// The failed SetUp left nothing behind.
	if ifaceExists(t, b.netns, "eth0") {
		t.Error("the failed SetUp left eth0 in pod b")
	}
	if att, _ := c.Attached(); len(att) != 1 || att[0].Pod.UID != a.ref.UID {
		t.Errorf("Attached() after a failed SetUp = %+v, want only pod a", att)
	}

	node.mustTearDown(t, c, a.ref, a.netns)
	if ipB := node.mustSetUp(t, c, b.ref, b.netns, nil); ipB != ipA {
		t.Errorf("pod b got %s after a released it, want %s", ipB, ipA)
	}
	node.mustTearDown(t, c, b.ref, b.netns)
}

func TestTearDownWithNetNSGone(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.9.0/30")
	dir := t.TempDir()
	a, b := newTestPod(t, dir, "a"), newTestPod(t, dir, "b")

	ipA := node.mustSetUp(t, c, a.ref, a.netns, []PortMapping{{HostPort: 18081, ContainerPort: 80}})
	if err := removeNetNS(a.netns); err != nil {
		t.Fatal(err)
	}
	node.mustTearDown(t, c, a.ref, a.netns)
	if rules := node.natRules(t); strings.Contains(rules, a.ref.UID) || strings.Contains(rules, masqChain(NetworkName, a.ref.UID)) || strings.Contains(rules, "18081") {
		t.Errorf("nat rules of pod a left after TearDown without its namespace:\n%s", rules)
	}
	node.mustTearDown(t, c, a.ref, "") // again, and with no path at all
	if ipB := node.mustSetUp(t, c, b.ref, b.netns, nil); ipB != ipA {
		t.Errorf("pod b got %s, want the released %s", ipB, ipA)
	}
	node.mustTearDown(t, c, b.ref, b.netns)
}

func TestSetUpAfterNetNSRecreated(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.9.0/30")
	a := newTestPod(t, t.TempDir(), "a")

	ip := node.mustSetUp(t, c, a.ref, a.netns, nil)
	// A reboot: the namespace is new, the state directory is not.
	if err := removeNetNS(a.netns); err != nil {
		t.Fatal(err)
	}
	if err := makeNetNS(a.netns); err != nil {
		t.Fatal(err)
	}
	// With one address in the CIDR, getting it again shows the old one was
	// released.
	if again := node.mustSetUp(t, c, a.ref, a.netns, nil); again != ip {
		t.Errorf("SetUp in the new namespace = %s, want %s", again, ip)
	}
	if st := podIface(t, a.netns, "eth0"); !st.Up || !slices.Equal(st.Addrs, []string{ip}) {
		t.Errorf("eth0 in the new namespace = %+v, want up with [%s]", st, ip)
	}
	node.mustTearDown(t, c, a.ref, a.netns)
	if rules := node.natRules(t); strings.Contains(rules, a.ref.UID) {
		t.Errorf("nat rules left:\n%s", rules)
	}
}

func TestHostPort(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.1.0/24")
	a := newTestPod(t, t.TempDir(), "a")

	ip := node.mustSetUp(t, c, a.ref, a.netns, []PortMapping{
		{HostPort: 18080, ContainerPort: 8080, Protocol: "TCP"},
		{ContainerPort: 9090}, // no hostPort: nothing to map
	})
	rules := node.natRules(t)
	dnat := fmt.Sprintf("--dport 18080 -j DNAT --to-destination %s:8080", ip)
	if !strings.Contains(rules, dnat) {
		t.Fatalf("nat table has no %q:\n%s", dnat, rules)
	}
	if strings.Contains(rules, "9090") {
		t.Errorf("a port without hostPort was mapped:\n%s", rules)
	}
	// Through the DNAT: the node connects to its own bridge address.
	serveOnce(t, a.netns, ":8080", "hello from a")
	if got, err := fetch(node.path, "10.244.1.1:18080"); err != nil || got != "hello from a" {
		t.Errorf("node -> 10.244.1.1:18080 = %q, %v; want %q", got, err, "hello from a")
	}

	node.mustTearDown(t, c, a.ref, a.netns)
	if rules := node.natRules(t); strings.Contains(rules, "18080") {
		t.Errorf("hostPort rules left after TearDown:\n%s", rules)
	}
}

func TestSetPodCIDR(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.1.0/24")
	dir := t.TempDir()
	a, b := newTestPod(t, dir, "a"), newTestPod(t, dir, "b")

	node.mustSetUp(t, c, a.ref, a.netns, nil)
	if err := c.SetPodCIDR("10.244.1.0/24"); err != nil {
		t.Errorf("SetPodCIDR(same) = %v, want nil", err)
	}
	err := c.SetPodCIDR("10.244.2.0/24")
	if !errors.Is(err, ErrPodsAttached) {
		t.Fatalf("SetPodCIDR with a pod set up = %v, want ErrPodsAttached", err)
	}
	t.Logf("SetPodCIDR refused: %v", err)
	node.mustTearDown(t, c, a.ref, a.netns)

	if err := c.SetPodCIDR("10.244.2.0/24"); err != nil {
		t.Fatalf("SetPodCIDR after TearDown: %v", err)
	}
	if got := c.PodCIDR(); got != "10.244.2.0/24" {
		t.Errorf("PodCIDR() = %s", got)
	}
	conf, err := os.ReadFile(filepath.Join(c.confDir, confFileName))
	if err != nil || !strings.Contains(string(conf), `"subnet": "10.244.2.0/24"`) {
		t.Errorf("conflist after SetPodCIDR (%v):\n%s", err, conf)
	}
	node.mustSetUp(t, c, b.ref, b.netns, nil) // checks the IP is in the new CIDR
	out, err := exec.Command("ip", "-n", node.name, "-4", "-o", "addr", "show", "dev", DefaultBridgeName).CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "10.244.2.1/24") || strings.Contains(string(out), "10.244.1.1") {
		t.Errorf("bridge addresses after the CIDR change, want only 10.244.2.1/24:\n%s", out)
	}
	node.mustTearDown(t, c, b.ref, b.netns)
}

func TestConcurrentPods(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.1.0/24")
	dir := t.TempDir()
	const n = 8
	pods := make([]testPod, n)
	for i := range pods {
		pods[i] = newTestPod(t, dir, fmt.Sprintf("p%d", i))
	}
	type res struct {
		ip  string
		err error
	}
	results := make(chan res, n)
	start := time.Now()
	for _, p := range pods {
		go func() {
			ip, _, err := node.setUp(c, p.ref, p.netns, nil)
			results <- res{ip, err}
		}()
	}
	seen := map[string]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Errorf("SetUp: %v", r.err)
			continue
		}
		if seen[r.ip] {
			t.Errorf("IP %s given twice", r.ip)
		}
		seen[r.ip] = true
	}
	t.Logf("%d concurrent SetUps took %v", n, time.Since(start))
	for _, p := range pods {
		node.mustTearDown(t, c, p.ref, p.netns)
	}
}

func TestMissingPlugins(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir")
	c, err := New(Options{BinDir: missing, RootDir: dir, PodCIDR: "10.244.1.0/24", Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("New without plugins: %v (want the error from Ready)", err)
	}
	err = c.Ready()
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("Ready() = %v, want ErrNotReady", err)
	}
	for _, s := range []string{missing, "no such directory", "bridge", "apt-get install -y containernetworking-plugins"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Ready() error does not mention %q: %v", s, err)
		}
	}
	t.Logf("Ready: %v", err)
	pod := PodRef{UID: "uid-1", Namespace: "default", Name: "a"}
	if _, err := c.SetUp(t.Context(), pod, "/proc/self/ns/net", nil); !errors.Is(err, ErrNotReady) {
		t.Errorf("SetUp without plugins = %v, want ErrNotReady", err)
	}

	// Some plugins only.
	partial := filepath.Join(dir, "partial")
	if err := os.MkdirAll(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"bridge", "loopback"} {
		if err := os.WriteFile(filepath.Join(partial, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c, err = New(Options{BinDir: partial, RootDir: dir, PodCIDR: "10.244.1.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(); !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "host-local, portmap not found in "+partial+";") {
		t.Errorf("Ready() with some plugins = %v, want host-local and portmap named", err)
	}
}

func TestReady(t *testing.T) {
	for _, p := range requiredPlugins {
		if _, err := os.Stat(filepath.Join(DefaultBinDir, p)); err != nil {
			t.Skipf("CNI plugin %s missing from %s: apt-get install -y containernetworking-plugins", p, DefaultBinDir)
		}
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("iptables missing: apt-get install -y containernetworking-plugins")
	}
	c := newTestCNI(t, "10.244.1.0/24")
	if err := c.Ready(); err != nil {
		t.Fatalf("Ready() = %v", err)
	}
	if err := c.Ready(); err != nil { // checked versions are remembered
		t.Fatalf("second Ready() = %v", err)
	}
}

func TestSetUpWithoutNetNS(t *testing.T) {
	requireCNI(t)
	c := newTestCNI(t, "10.244.1.0/24")
	pod := PodRef{UID: "uid-1", Namespace: "default", Name: "a"}
	_, err := c.SetUp(t.Context(), pod, filepath.Join(t.TempDir(), "missing"), nil)
	if !errors.Is(err, ErrNoNetNS) {
		t.Errorf("SetUp with a missing namespace = %v, want ErrNoNetNS", err)
	}
	// The node's own namespace is refused before any plugin runs; the test
	// runs it inside a test node, so a broken check cannot reach the host.
	node := newTestNode(t)
	if _, _, err := node.setUp(c, pod, node.path, nil); !errors.Is(err, ErrNoNetNS) {
		t.Errorf("SetUp in the node's namespace = %v, want ErrNoNetNS", err)
	}
	if _, err := node.tearDown(c, pod, node.path); !errors.Is(err, ErrNoNetNS) {
		t.Errorf("TearDown in the node's namespace = %v, want ErrNoNetNS", err)
	}
	if links := node.links(t); !slices.Equal(links, []string{"lo"}) {
		t.Errorf("node links = %v, want only lo", links)
	}
}

// ifaceExists reports whether an interface exists in a namespace.
func ifaceExists(t testing.TB, netns, name string) bool {
	t.Helper()
	var found bool
	err := withNetNS(netns, func() error {
		_, err := net.InterfaceByName(name)
		found = err == nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// BenchmarkSetUpTearDown measures one pod's SetUp and TearDown, with the
// bridge already there, without ports and with one hostPort.
func BenchmarkSetUpTearDown(b *testing.B) {
	requireCNI(b)
	for _, bc := range []struct {
		name  string
		ports []PortMapping
	}{
		{"no-ports", nil},
		{"hostPort", []PortMapping{{HostPort: 18080, ContainerPort: 80}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			node := newTestNode(b)
			c := newTestCNI(b, "10.244.1.0/24")
			dir := b.TempDir()
			warm := newTestPod(b, dir, "warm") // creates the bridge
			node.mustSetUp(b, c, warm.ref, warm.netns, nil)
			b.Cleanup(func() { node.mustTearDown(b, c, warm.ref, warm.netns) })
			p := newTestPod(b, dir, "p")
			var up, down time.Duration
			for b.Loop() {
				ip, d, err := node.setUp(c, p.ref, p.netns, bc.ports)
				if err != nil || ip == "" {
					b.Fatal(err)
				}
				up += d
				d, err = node.tearDown(c, p.ref, p.netns)
				if err != nil {
					b.Fatal(err)
				}
				down += d
			}
			b.ReportMetric(float64(up.Microseconds())/float64(b.N)/1000, "ms-setup/op")
			b.ReportMetric(float64(down.Microseconds())/float64(b.N)/1000, "ms-teardown/op")
		})
	}
}
