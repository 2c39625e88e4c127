package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
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
// pods to a peer's pod CIDR is accepted before the masquerade rules see it,
// so the receiving pod sees the sender's pod IP. Its jump is inserted first
// in POSTROUTING.
func (h *HostGW) syncNoMasq(ctx context.Context, want map[string]Peer) error {
	var rules [][]string
	for cidr := range want {
		rules = append(rules, []string{"-d", cidr, "-j", "ACCEPT"})
	}
	slices.SortFunc(rules, func(a, b []string) int { return strings.Compare(a[1], b[1]) })
	return syncNATChain(ctx, noMasqChain, true, h.podCIDR, "skiff host-gw: pod to pod is not masqueraded", rules)
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
	if err := removeNATChain(ctx, noMasqChain); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
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
