package agent

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"skiff/pkg/agent/network"
	"skiff/pkg/api"
	"skiff/pkg/client"
)

// hostGWResync is how often the routes are rebuilt even without Node changes:
// it retries after errors and restores a route someone deleted by hand.
const hostGWResync = 30 * time.Second

// runHostGW keeps a route to every other node's pod CIDR, via that node's
// InternalIP, current from the Node objects (see network.HostGW).
func runHostGW(ctx context.Context, c *client.Client, self, podCIDR string, log *slog.Logger, wg *sync.WaitGroup) error {
	cidr, err := netip.ParsePrefix(podCIDR)
	if err != nil {
		return err
	}
	h := network.NewHostGW(cidr, log)
	poke := make(chan struct{}, 1)
	notify := func() {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
	inf := client.NewInformer(client.Nodes(c), client.ListOptions{}, log)
	inf.AddHandler(client.Handler[*api.Node]{
		OnAdd: func(*api.Node) { notify() },
		OnUpdate: func(old, n *api.Node) {
			if old.Spec.PodCIDR != n.Spec.PodCIDR || api.NodeAddressOf(old, api.NodeInternalIP) != api.NodeAddressOf(n, api.NodeInternalIP) {
				notify()
			}
		},
		OnDelete: func(*api.Node) { notify() },
	})
	wg.Add(2)
	go func() { defer wg.Done(); inf.Run(ctx) }()
	go func() {
		defer wg.Done()
		if !inf.WaitForSync(ctx) {
			return
		}
		tick := time.NewTicker(hostGWResync)
		defer tick.Stop()
		for {
			if err := h.Sync(ctx, peers(inf.List(), self)); err != nil {
				log.Error("host-gw routes to other nodes' pods", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-poke:
			case <-tick.C:
			}
		}
	}()
	return nil
}

// peers are the nodes other than self with a pod CIDR and an InternalIP.
func peers(nodes []*api.Node, self string) []network.Peer {
	var out []network.Peer
	for _, n := range nodes {
		cidr, err1 := netip.ParsePrefix(n.Spec.PodCIDR)
		ip, err2 := netip.ParseAddr(api.NodeAddressOf(n, api.NodeInternalIP))
		if n.Name == self || err1 != nil || err2 != nil {
			continue
		}
		out = append(out, network.Peer{Node: n.Name, PodCIDR: cidr, NodeIP: ip})
	}
	return out
}
