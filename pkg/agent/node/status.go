package node

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"time"

	"skiff/pkg/api"
)

// snapshot is what one status update reports, gathered before writing so a
// conflict retry writes the same observation.
type snapshot struct {
	facts    hostFacts
	factsErr error
	obs      observation
	// runtimeVersion is empty when the runtime did not answer; the Node then
	// keeps the version it had.
	runtimeVersion string
	// images is nil when they could not be listed; the Node then keeps its
	// list.
	images []api.ContainerImage
}

// observe runs the checks the conditions are computed from: the runtime's
// Version, the network and readiness checks, and the host facts.
func (m *Manager) observe(ctx context.Context) (observation, string, hostFacts, error) {
	var obs observation
	rctx, cancel := context.WithTimeout(ctx, runtimeTimeout)
	version, err := m.opts.Runtime.Version(rctx)
	cancel()
	obs.runtimeErr = err
	if m.opts.NetworkReady != nil {
		ok, reason, msg := m.opts.NetworkReady()
		obs.network = &checkResult{ok: ok, reason: reason, message: msg}
	}
	if m.opts.Ready != nil {
		ok, reason, msg := m.opts.Ready()
		obs.ready = &checkResult{ok: ok, reason: reason, message: msg}
	}
	facts, ferr := m.readHost(m.opts.RootDir)
	if ferr == nil {
		obs.facts = &facts
	}
	return obs, version, facts, ferr
}

// snapshot observes everything a status update reports.
func (m *Manager) snapshot(ctx context.Context) snapshot {
	var s snapshot
	s.obs, s.runtimeVersion, s.facts, s.factsErr = m.observe(ctx)
	if s.obs.runtimeErr == nil {
		rctx, cancel := context.WithTimeout(ctx, runtimeTimeout)
		infos, err := m.opts.Runtime.ListImages(rctx)
		cancel()
		if err != nil {
			m.log.Warn("could not list images", "err", err)
		} else {
			s.images = nodeImages(infos)
			if s.images == nil {
				s.images = []api.ContainerImage{}
			}
		}
	}
	return s
}

// applyStatus writes the snapshot into n's status at the current time. What
// the snapshot lacks (host facts, runtime version, images) n keeps, as it
// keeps the conditions of other owners.
func (m *Manager) applyStatus(n *api.Node, s snapshot) {
	now := api.NewTime(m.opts.Now().UTC().Truncate(time.Second))
	st := &n.Status
	info := &st.NodeInfo
	if s.factsErr == nil {
		st.Capacity = capacity(s.facts, m.opts.MaxPods)
		st.Allocatable = allocatable(st.Capacity, m.opts.SystemReserved)
		info.KernelVersion = s.facts.KernelVersion
		info.OSImage = s.facts.OSImage
		info.MachineID = s.facts.MachineID
		info.SystemUUID = s.facts.SystemUUID
		info.BootID = s.facts.BootID
	}
	info.OperatingSystem = goruntime.GOOS
	info.Architecture = goruntime.GOARCH
	info.KubeletVersion = m.opts.AgentVersion
	if s.runtimeVersion != "" {
		info.ContainerRuntimeVersion = s.runtimeVersion
	}
	st.Addresses = addresses(m.nodeIP, m.hostname)
	st.DaemonEndpoints.KubeletEndpoint.Port = m.opts.DaemonPort
	if s.images != nil {
		st.Images = s.images
	}
	st.Conditions = mergeConditions(st.Conditions, desiredConditions(s.obs), now)
}

// writeStatus writes the snapshot through the status subresource, starting
// from the last known Node. On a conflict it reads the Node again and
// reapplies the snapshot, up to maxStatusAttempts times. A Node that no
// longer exists is an error for which api.IsNotFound holds.
func (m *Manager) writeStatus(ctx context.Context, s snapshot) error {
	var err error
	for attempt := 1; attempt <= maxStatusAttempts; attempt++ {
		if attempt > 1 && !sleep(ctx, backoff(attempt-1, time.Second)) {
			return ctx.Err()
		}
		err = m.tryWriteStatus(ctx, s)
		if !api.IsConflict(err) {
			return err
		}
		m.conflicts.Add(1)
		m.setNode(nil)
		m.log.Debug("node status update conflicted; reading the node again", "attempt", attempt)
	}
	return fmt.Errorf("node: status update: %d conflicts in a row: %w", maxStatusAttempts, err)
}

func (m *Manager) tryWriteStatus(ctx context.Context, s snapshot) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	base := m.cachedNode()
	if base == nil {
		n, err := m.nodes.Get(ctx, m.opts.NodeName)
		if err != nil {
			return err
		}
		m.setNode(n)
		base = n
	}
	n := api.DeepCopy(base)
	m.applyStatus(n, s)
	out, err := m.nodes.UpdateStatus(ctx, n)
	if err != nil {
		return err
	}
	m.setNode(out)
	return nil
}

// syncStatus observes and writes the status; if the Node was deleted it
// registers it again.
func (m *Manager) syncStatus(ctx context.Context) error {
	err := m.writeStatus(ctx, m.snapshot(ctx))
	if api.IsNotFound(err) {
		m.setNode(nil)
		m.log.Warn("the Node was deleted; registering it again")
		return m.register(ctx)
	}
	return err
}

// changed reports whether the conditions the agent owns now differ from what
// the last known Node says, so the status should be written before the next
// periodic update.
func (m *Manager) changed(ctx context.Context) bool {
	n := m.cachedNode()
	if n == nil {
		return true
	}
	obs, _, _, _ := m.observe(ctx)
	return conditionsChanged(n.Status.Conditions, desiredConditions(obs))
}

// Run renews the node's Lease every LeaseRenewInterval and writes the Node's
// status every StatusUpdateInterval, and as soon as a check (run every
// CheckInterval) changes a condition. Failed writes are retried with
// back-off; no call blocks for longer than a request timeout. Call Register
// first. Run returns nil when ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	m.log.Info("node heartbeat started", "leaseRenewInterval", m.opts.LeaseRenewInterval,
		"statusUpdateInterval", m.opts.StatusUpdateInterval, "checkInterval", m.opts.CheckInterval)
	var wg sync.WaitGroup
	wg.Go(func() { m.runLease(ctx) })
	m.runStatus(ctx)
	wg.Wait()
	return nil
}

// runStatus is the status loop.
func (m *Manager) runStatus(ctx context.Context) {
	update := time.NewTimer(m.opts.StatusUpdateInterval)
	defer update.Stop()
	check := time.NewTicker(m.opts.CheckInterval)
	defer check.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-check.C:
			// While failing, the back-off timer decides when to try again.
			if failures > 0 || !m.changed(ctx) {
				continue
			}
		case <-update.C:
		}
		wait := m.opts.StatusUpdateInterval
		if err := m.syncStatus(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait = backoff(failures, m.opts.StatusUpdateInterval)
			m.log.Warn("could not update node status", "err", err, "retryIn", wait)
		} else {
			failures = 0
		}
		update.Reset(wait)
	}
}
