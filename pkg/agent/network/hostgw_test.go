package network

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
)

// TestHostGWRoutesPeers: each peer's pod CIDR is routed via its node IP with
// Skiff's route protocol, a peer that left loses its route, traffic to the
// peers is exempt from masquerading, and RemoveHostGW takes it all away.
func TestHostGWRoutesPeers(t *testing.T) {
	requireCNI(t)
	n := newTestNode(t)
	// The node's own link on the "lab network": one end of a veth pair stands in.
	for _, args := range [][]string{
		{"link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer"},
		{"link", "set", "eth0-peer", "up"},
		{"addr", "add", "10.99.0.11/24", "dev", "eth0"},
		{"link", "set", "eth0", "up"},
	} {
		if out, err := exec.Command("ip", append([]string{"-n", n.name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	routes := func() string {
		out, err := exec.Command("ip", "-n", n.name, "route", "show", "proto", "66").CombinedOutput()
		if err != nil {
			t.Fatalf("ip route show: %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	ctx := context.Background()
	h := NewHostGW(netip.MustParsePrefix("10.244.1.0/24"), testLogger(t))
	peer := func(node, cidr, ip string) Peer {
		return Peer{Node: node, PodCIDR: netip.MustParsePrefix(cidr), NodeIP: netip.MustParseAddr(ip)}
	}
	self := peer("n1", "10.244.1.0/24", "10.99.0.11")
	n2, n3 := peer("n2", "10.244.2.0/24", "10.99.0.12"), peer("n3", "10.244.3.0/24", "10.99.0.13")
	far := peer("far", "10.244.9.0/24", "192.168.5.5")

	err := withNetNS(n.path, func() error { return h.Sync(ctx, []Peer{self, n2, n3, far}) })
	if err == nil || !strings.Contains(err.Error(), "node far's IP 192.168.5.5 is not on a network") || !strings.Contains(err.Error(), "one L2 network") {
		t.Errorf("Sync with an unreachable peer: err = %v, want one naming node far and the L2 requirement", err)
	}
	// `ip route show proto 66` lists only Skiff's routes, without the proto.
	want := "10.244.2.0/24 via 10.99.0.12 dev eth0\n10.244.3.0/24 via 10.99.0.13 dev eth0"
	if got := routes(); strings.ReplaceAll(got, " \n", "\n") != want {
		t.Errorf("routes after Sync:\n%s\nwant:\n%s", got, want)
	}
	nat := n.natRules(t)
	for _, rule := range []string{"-A POSTROUTING -s 10.244.1.0/24", "-A SKIFF-HOSTGW -d 10.244.2.0/24 -j ACCEPT", "-A SKIFF-HOSTGW -d 10.244.3.0/24 -j ACCEPT"} {
		if !strings.Contains(nat, rule) {
			t.Errorf("nat table lacks %q:\n%s", rule, nat)
		}
	}

	// n2 leaves and n3 moves to another IP.
	n3.NodeIP = netip.MustParseAddr("10.99.0.33")
	if err := withNetNS(n.path, func() error { return h.Sync(ctx, []Peer{self, n3}) }); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := strings.TrimSpace(routes()); got != "10.244.3.0/24 via 10.99.0.33 dev eth0" {
		t.Errorf("routes after n2 left and n3 moved: %q", got)
	}
	if nat := n.natRules(t); strings.Contains(nat, "10.244.2.0/24") || strings.Count(nat, "-j SKIFF-HOSTGW") != 1 {
		t.Errorf("nat table after n2 left (want no n2 rule, one jump):\n%s", nat)
	}

	if err := withNetNS(n.path, func() error { return RemoveHostGW(ctx) }); err != nil {
		t.Fatalf("RemoveHostGW: %v", err)
	}
	if got := routes(); got != "" {
		t.Errorf("routes after RemoveHostGW: %q", got)
	}
	if nat := n.natRules(t); strings.Contains(nat, "SKIFF-HOSTGW") {
		t.Errorf("nat table after RemoveHostGW still has the chain:\n%s", nat)
	}
}

// TestRemoveAllMasq: reset removes masquerade rules and chains that the
// bridge plugin made per pod (agents before the node-wide chain set ipMasq)
// and that were never torn down, and leaves other rules alone.
func TestRemoveAllMasq(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	ipt := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"netns", "exec", node.name, "iptables", "-w", "-t", "nat"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %v: %s", args, err, out)
		}
	}
	// Two pods' rules as the bridge plugin writes them.
	for i, uid := range []string{"uid-a", "uid-b"} {
		chain := masqChain(NetworkName, uid)
		comment := fmt.Sprintf("name: %q id: %q", NetworkName, uid)
		ip := fmt.Sprintf("10.244.9.%d", i+2)
		ipt("-N", chain)
		ipt("-A", chain, "-d", "10.244.9.0/24", "-m", "comment", "--comment", comment, "-j", "ACCEPT")
		ipt("-A", chain, "!", "-d", "224.0.0.0/4", "-m", "comment", "--comment", comment, "-j", "MASQUERADE")
		ipt("-A", "POSTROUTING", "-s", ip, "-m", "comment", "--comment", comment, "-j", chain)
	}
	ipt("-A", "POSTROUTING", "-s", "192.0.2.7", "-j", "RETURN")
	if err := withNetNS(node.path, func() error { return RemoveAllMasq(context.Background()) }); err != nil {
		t.Fatalf("RemoveAllMasq: %v", err)
	}
	rules := node.natRules(t)
	if strings.Contains(rules, "CNI-") || strings.Contains(rules, "uid-a") {
		t.Errorf("masquerade rules left after RemoveAllMasq:\n%s", rules)
	}
	if !strings.Contains(rules, "-A POSTROUTING -s 192.0.2.7/32 -j RETURN") {
		t.Errorf("RemoveAllMasq removed an unrelated rule:\n%s", rules)
	}
}

// TestEnsureMasquerade: one chain for the node's pods, rebuilt for a new pod
// CIDR without leaving the old jump, and removed by RemoveMasquerade.
func TestEnsureMasquerade(t *testing.T) {
	requireCNI(t)
	node := newTestNode(t)
	c := newTestCNI(t, "10.244.9.0/24")
	ctx := context.Background()
	for range 2 { // idempotent
		if err := withNetNS(node.path, func() error { return c.EnsureMasquerade(ctx) }); err != nil {
			t.Fatalf("EnsureMasquerade: %v", err)
		}
	}
	if rules := node.natRules(t); strings.Count(rules, "-j SKIFF-MASQ") != 1 || !strings.Contains(rules, "-A SKIFF-MASQ -d 10.244.9.0/24 -j RETURN") {
		t.Errorf("after EnsureMasquerade twice, want one jump and the pod CIDR exempt:\n%s", rules)
	}
	if err := c.SetPodCIDR("10.244.10.0/24"); err != nil {
		t.Fatal(err)
	}
	if err := withNetNS(node.path, func() error { return c.EnsureMasquerade(ctx) }); err != nil {
		t.Fatalf("EnsureMasquerade after SetPodCIDR: %v", err)
	}
	rules := node.natRules(t)
	if strings.Contains(rules, "10.244.9.0/24") || !strings.Contains(rules, "-A POSTROUTING -s 10.244.10.0/24") {
		t.Errorf("after the pod CIDR changed:\n%s", rules)
	}
	if err := withNetNS(node.path, func() error { return RemoveMasquerade(ctx) }); err != nil {
		t.Fatalf("RemoveMasquerade: %v", err)
	}
	if rules := node.natRules(t); strings.Contains(rules, "SKIFF-MASQ") {
		t.Errorf("after RemoveMasquerade:\n%s", rules)
	}
	if err := withNetNS(node.path, func() error { return RemoveMasquerade(ctx) }); err != nil {
		t.Errorf("RemoveMasquerade when already gone: %v", err)
	}
}
