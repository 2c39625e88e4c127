// Package node keeps the node agent's own Node object and its heartbeat. It
// registers the Node (labels, capacity and allocatable, addresses, system
// info, images), renews the node's Lease in kube-node-lease, keeps the Node's
// conditions (Ready and the pressure conditions) current, and tells the agent
// the pod CIDR the control plane gave the node. See README.md.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// Well-known labels the node agent sets on its Node.
const (
	LabelHostname = "kubernetes.io/hostname"
	LabelOS       = "kubernetes.io/os"
	LabelArch     = "kubernetes.io/arch"
)

// Timeouts for single calls, so that a hung apiserver or runtime delays a
// heartbeat but never stops the loops.
const (
	requestTimeout = 10 * time.Second
	runtimeTimeout = 5 * time.Second
)

// maxStatusAttempts bounds the conflict retries of one status update, as the
// kubelet's nodeStatusUpdateRetry.
const maxStatusAttempts = 5

// Manager registers the node and keeps its Node and Lease current. Its methods
// are safe for concurrent use.
type Manager struct {
	opts     Options
	log      *slog.Logger
	nodes    *client.Resource[*api.Node]
	leases   *client.Resource[*api.Lease]
	readHost hostReader
	nodeIP   string
	hostname string

	mu sync.Mutex
	// node is the Node as last read or written: the base of the next status
	// update (a stale one costs a conflict and a fresh read) and what change
	// detection compares with. Nil when unknown.
	node    *api.Node
	podCIDR string

	// lease is the Lease as last read or written; only the lease loop uses it.
	lease *api.Lease

	// conflicts counts status updates that met a conflict, for tests.
	conflicts atomic.Int64
}

// New checks the options and returns a Manager. It finds the node's IP now
// (ErrNoNodeIP when Options.InternalIP is empty and none can be found).
func New(opts Options) (*Manager, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	m := &Manager{
		opts:     opts,
		log:      opts.Logger.With("node", opts.NodeName),
		nodes:    client.Nodes(opts.Client),
		leases:   client.Leases(opts.Client, api.NamespaceNodeLease),
		readHost: readHost,
		nodeIP:   opts.InternalIP,
		hostname: opts.Hostname,
	}
	if m.nodeIP == "" {
		ip, err := detectNodeIP()
		if err != nil {
			return nil, err
		}
		m.nodeIP = ip.String()
	}
	if m.hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("node: hostname: %w", err)
		}
		m.hostname = strings.ToLower(h)
	}
	return m, nil
}

// NodeIP returns the node's InternalIP, as given or detected.
func (m *Manager) NodeIP() string { return m.nodeIP }

// Register creates the Node, or updates the Node of that name if it exists
// (another agent run, or someone else, created it): it sets the agent's labels
// and the whole status, and keeps the labels, taints and spec others set.
// It retries with back-off until it succeeds or ctx ends, except for errors
// that retrying cannot fix (the request is refused as forbidden or invalid),
// which it returns at once.
func (m *Manager) Register(ctx context.Context) error {
	if _, err := m.readHost(m.opts.RootDir); err != nil {
		return err
	}
	m.log.Info("registering node", "internalIP", m.nodeIP, "hostname", m.hostname, "maxPods", m.opts.MaxPods,
		"systemReserved", m.opts.SystemReserved, "labels", m.opts.Labels, "agentVersion", m.opts.AgentVersion,
		"daemonPort", m.opts.DaemonPort, "rootDir", m.opts.RootDir, "leaseDuration", m.opts.LeaseDuration,
		"leaseRenewInterval", m.opts.LeaseRenewInterval, "statusUpdateInterval", m.opts.StatusUpdateInterval)
	for failures := 1; ; failures++ {
		err := m.register(ctx)
		if err == nil {
			return nil
		}
		if permanent(err) || errors.Is(err, ErrNameInUse) {
			return fmt.Errorf("node: register %s: %w", m.opts.NodeName, err)
		}
		wait := backoff(failures, maxBackoff)
		m.log.Warn("could not register node; retrying", "err", err, "retryIn", wait)
		if !sleep(ctx, wait) {
			return fmt.Errorf("node: register %s: %w (last error: %v)", m.opts.NodeName, ctx.Err(), err)
		}
	}
}

// register makes one attempt at creating or updating the Node.
func (m *Manager) register(ctx context.Context) error {
	snap := m.snapshot(ctx)
	if snap.factsErr != nil {
		return snap.factsErr
	}
	n := &api.Node{
		TypeMeta:   api.TypeMeta{Kind: "Node", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: m.opts.NodeName, Labels: m.labels()},
	}
	m.applyStatus(n, snap)
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	created, err := m.nodes.Create(rctx, n)
	if err == nil {
		m.setNode(created)
		m.log.Info("node registered", "uid", created.UID)
		return nil
	}
	if !api.IsAlreadyExists(err) {
		return err
	}
	cur, err := m.nodes.Get(rctx, m.opts.NodeName)
	if err != nil {
		return err
	}
	if err := m.checkNameClash(rctx, cur); err != nil {
		return err
	}
	if upd := api.DeepCopy(cur); m.mergeLabels(upd) {
		if cur, err = m.nodes.Update(rctx, upd); err != nil {
			return err
		}
	}
	m.setNode(cur)
	if err := m.writeStatus(ctx, snap); err != nil {
		return err
	}
	m.log.Info("existing node updated", "uid", cur.UID)
	return nil
}

// labels are the labels the agent sets: Options.Labels and the well-known
// ones, which win.
func (m *Manager) labels() map[string]string {
	l := make(map[string]string, len(m.opts.Labels)+3)
	for k, v := range m.opts.Labels {
		l[k] = v
	}
	l[LabelHostname] = m.opts.NodeName
	l[LabelOS] = goruntime.GOOS
	l[LabelArch] = goruntime.GOARCH
	return l
}

// mergeLabels sets the agent's labels on n, keeping all others, and reports
// whether anything changed.
func (m *Manager) mergeLabels(n *api.Node) bool {
	changed := false
	for k, v := range m.labels() {
		if cur, ok := n.Labels[k]; ok && cur == v {
			continue
		}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[k] = v
		changed = true
	}
	return changed
}

// cachedNode returns the last known Node (shared: do not change it), or nil.
func (m *Manager) cachedNode() *api.Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.node
}

// setNode records the Node as last read or written; nil forgets it.
func (m *Manager) setNode(n *api.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.node = n
	if n != nil {
		if c := podCIDROf(n); c != "" {
			m.podCIDR = c
		}
	}
}

// permanent reports whether retrying a request cannot help: the server
// refused it as malformed, unauthenticated, forbidden or invalid.
func permanent(err error) bool {
	switch api.CodeOf(err) {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// Back-off between retries: from minBackoff, doubling, up to a maximum.
const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 7 * time.Second // the kubelet's lease and registration maximum
)

// backoff returns the wait after the given number of consecutive failures
// (from 1), never more than limit.
func backoff(failures int, limit time.Duration) time.Duration {
	d := minBackoff
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// sleep waits for d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ErrNameInUse: the Node's name belongs to another machine that is alive.
var ErrNameInUse = errors.New("the node name is in use")

// checkNameClash refuses to take over a Node that another machine runs: one
// with another InternalIP whose agent renewed the node's Lease within the
// lease duration. The same machine coming back (same IP), or a machine
// replacing a dead one, may take the name, as in Kubernetes.
func (m *Manager) checkNameClash(ctx context.Context, cur *api.Node) error {
	theirs := api.NodeAddressOf(cur, api.NodeInternalIP)
	if theirs == "" || theirs == m.nodeIP {
		return nil
	}
	l, err := m.leases.Get(ctx, m.opts.NodeName)
	if api.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if l.Spec.RenewTime == nil {
		return nil
	}
	ago := m.opts.Now().Sub(l.Spec.RenewTime.Time)
	if ago > m.opts.LeaseDuration {
		return nil
	}
	return fmt.Errorf("%w: node %s is registered by another machine (InternalIP %s), whose agent renewed its lease %s ago. "+
		"Start this agent with another --node-name; or, if that machine is gone for good, `kubectl delete node %s` (or wait %s for its lease to lapse) and start again",
		ErrNameInUse, m.opts.NodeName, theirs, ago.Round(time.Second), m.opts.NodeName, m.opts.LeaseDuration)
}
