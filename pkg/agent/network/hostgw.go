package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RouteProtocol marks the routes HostGW installs (the kernel keeps it as the
// route's "proto"), so it can tell them from everyone else's and remove the
// stale ones: `ip route show proto 66` lists them.
const RouteProtocol = netlink.RouteProtocol(66)

// noMasqChain is the nat chain that keeps pod-to-pod traffic between nodes
// unmasqueraded (the bridge plugin's ipMasq would otherwise rewrite the source
// to the node IP for everything outside the node's own pod CIDR).
const noMasqChain = "SKIFF-HOSTGW"

// Peer is another node's pod network: its pod CIDR is reached through its
// node IP.
type Peer struct {
	Node    string
	PodCIDR netip.Prefix
	NodeIP  netip.Addr
}

// HostGW routes the other nodes' pod CIDRs to their node IPs, as flannel's
// host-gw backend does: every node is a router for its own pods, and all
// nodes must share one L2 network so each node IP is a direct next hop.
type HostGW struct {
	podCIDR netip.Prefix // this node's, not routed
	log     *slog.Logger

	mu     sync.Mutex
	synced []Peer // the last peers applied, to skip identical syncs
}

// NewHostGW returns a HostGW for a node whose own pod CIDR is podCIDR.
func NewHostGW(podCIDR netip.Prefix, log *slog.Logger) *HostGW {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &HostGW{podCIDR: podCIDR, log: log}
}

// Sync makes the routing table hold exactly one route per peer (dst its pod
// CIDR, via its node IP) among the routes marked RouteProtocol, and keeps
// traffic from this node's pods to theirs unmasqueraded. Peers whose node IP
// is not on a directly connected network get an error naming them; the others
// are still routed.
func (h *HostGW) Sync(ctx context.Context, peers []Peer) error {
	peers = slices.Clone(peers)
	slices.SortFunc(peers, func(a, b Peer) int { return strings.Compare(a.Node, b.Node) })
	h.mu.Lock()
	defer h.mu.Unlock()
	if slices.Equal(peers, h.synced) {
		return nil
	}

	var errs []error
	want := map[string]Peer{}
	for _, p := range peers {
		if p.PodCIDR == h.podCIDR || !p.PodCIDR.IsValid() || !p.NodeIP.IsValid() {
			continue
		}
		route := &netlink.Route{Dst: ipNet(p.PodCIDR), Gw: net.IP(p.NodeIP.AsSlice()), Protocol: RouteProtocol}
		if err := netlink.RouteReplace(route); err != nil {
			if errors.Is(err, unix.ENETUNREACH) {
				err = fmt.Errorf("node %s's IP %s is not on a network this node is directly connected to: host-gw routing needs all nodes on one L2 network", p.Node, p.NodeIP)
			} else {
				err = fmt.Errorf("route %s via %s (node %s): %w", p.PodCIDR, p.NodeIP, p.Node, err)
			}
			errs = append(errs, err)
			continue
		}
		want[p.PodCIDR.String()] = p
	}

	// Remove the routes of nodes that are gone or changed their CIDR.
	existing, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: RouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("list host-gw routes: %w", err)
	}
	for _, r := range existing {
		p, ok := want[r.Dst.String()]
		if ok && r.Gw.Equal(net.IP(p.NodeIP.AsSlice())) {
			continue
		}
		if err := netlink.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("remove stale route %s via %s: %w", r.Dst, r.Gw, err))
		} else {
			h.log.Info("removed host-gw route", "dst", r.Dst.String(), "via", r.Gw.String())
		}
	}
	if err := h.syncNoMasq(ctx, want); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		h.synced = peers
		h.log.Info("host-gw routes", "peers", len(want))
	}
	return errors.Join(errs...)
}

// syncNoMasq rebuilds the SKIFF-HOSTGW nat chain: traffic from this node's
// pods to a peer's pod CIDR is accepted before the bridge plugin's masquerade
// rules see it, so the receiving pod sees the sender's pod IP.
func (h *HostGW) syncNoMasq(ctx context.Context, want map[string]Peer) error {
	ipt := func(args ...string) (string, error) {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, "iptables", append([]string{"-w", "-t", "nat"}, args...)...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	if msg, err := ipt("-N", noMasqChain); err != nil && !strings.Contains(msg, "exists") {
		return fmt.Errorf("iptables -N %s: %v: %s", noMasqChain, err, strings.TrimSpace(msg))
	}
	jump := []string{"POSTROUTING", "-s", h.podCIDR.String(), "-j", noMasqChain, "-m", "comment", "--comment", "skiff host-gw: pod to pod is not masqueraded"}
	if _, err := ipt(append([]string{"-C"}, jump...)...); err != nil {
		if msg, err := ipt(append([]string{"-I"}, jump...)...); err != nil {
			return fmt.Errorf("iptables -I POSTROUTING: %v: %s", err, strings.TrimSpace(msg))
		}
	}
	if msg, err := ipt("-F", noMasqChain); err != nil {
		return fmt.Errorf("iptables -F %s: %v: %s", noMasqChain, err, strings.TrimSpace(msg))
	}
	for cidr := range want {
		if msg, err := ipt("-A", noMasqChain, "-d", cidr, "-j", "ACCEPT"); err != nil {
			return fmt.Errorf("iptables -A %s: %v: %s", noMasqChain, err, strings.TrimSpace(msg))
		}
	}
	return nil
}

// RemoveHostGW deletes every route HostGW installed and its nat chain
// (nodeagent reset).
func RemoveHostGW(ctx context.Context) error {
	var errs []error
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: RouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("list host-gw routes: %w", err)
	}
	for _, r := range routes {
		if err := netlink.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, err)
		}
	}
	// The jump rule names the pod CIDR, which reset does not know: find it.
	out, err := exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-S", "POSTROUTING").Output()
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "-j "+noMasqChain) {
				args := append([]string{"-w", "-t", "nat", "-D"}, strings.Fields(strings.TrimPrefix(line, "-A "))...)
				args = unquote(args)
				if out, err := exec.CommandContext(ctx, "iptables", args...).CombinedOutput(); err != nil {
					errs = append(errs, fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, out))
				}
			}
		}
		exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-F", noMasqChain).Run()
		exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-X", noMasqChain).Run()
	}
	return errors.Join(errs...)
}

// unquote joins the words of a quoted comment that iptables -S printed
// ("skiff host-gw: ..." comes back split on spaces) into one argument.
func unquote(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, `"`) && !strings.HasSuffix(a[1:], `"`) {
			for i+1 < len(args) {
				i++
				a += " " + args[i]
				if strings.HasSuffix(args[i], `"`) {
					break
				}
			}
		}
		out = append(out, strings.Trim(a, `"`))
	}
	return out
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// RemoveBridge deletes the node's pod bridge (CNI DEL leaves it), if present.
func RemoveBridge(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil
		}
		return fmt.Errorf("find bridge %s: %w", name, err)
	}
	if err := netlink.LinkDel(link); err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}
