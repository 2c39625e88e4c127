package node

import (
	"context"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// podCIDRWatchTimeout bounds one watch of the Node; the wait then reads the
// Node again and watches anew.
const podCIDRWatchTimeout = 5 * time.Minute

// PodCIDR returns the last pod CIDR seen in the Node's spec (Register, status
// updates and WaitForPodCIDR read the Node), or "" if none was seen yet. The
// control plane sets it once; it changes only if the Node is deleted and
// registered again and then given another one.
func (m *Manager) PodCIDR() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.podCIDR
}

// WaitForPodCIDR returns the node's pod CIDR for configuring pod networking:
// spec.podCIDR when the control plane has set it, else fallback (the
// --pod-cidr flag) if it is not empty, else it waits, watching the Node,
// until spec.podCIDR is set. It returns "" only when ctx ends.
//
// A fallback is returned at once when the Node has no pod CIDR yet, so give one
// only on clusters whose control plane does not allocate pod CIDRs; otherwise
// the node could configure a CIDR the control plane then assigns elsewhere.
func (m *Manager) WaitForPodCIDR(ctx context.Context, fallback string) string {
	if c := m.PodCIDR(); c != "" {
		return c
	}
	failures := 0
	for {
		gctx, cancel := context.WithTimeout(ctx, requestTimeout)
		n, err := m.nodes.Get(gctx, m.opts.NodeName)
		cancel()
		if err == nil {
			m.notePodCIDR(n)
			if c := podCIDROf(n); c != "" {
				return c
			}
		}
		if fallback != "" {
			m.log.Info("the Node has no podCIDR; using the configured pod CIDR", "podCIDR", fallback, "err", err)
			return fallback
		}
		if err == nil {
			m.log.Info("waiting for the control plane to assign a podCIDR")
			start := time.Now()
			if c := m.watchPodCIDR(ctx, n.ResourceVersion); c != "" {
				return c
			}
			if time.Since(start) > time.Second {
				failures = 0
			} else {
				failures++
			}
		} else {
			failures++
			m.log.Warn("could not read the Node for its podCIDR", "err", err)
		}
		if ctx.Err() != nil {
			return ""
		}
		if failures > 0 && !sleep(ctx, backoff(failures, maxBackoff)) {
			return ""
		}
	}
}

// watchPodCIDR watches the Node from resourceVersion and returns its pod CIDR
// once set, or "" when the watch ends first.
func (m *Manager) watchPodCIDR(ctx context.Context, resourceVersion string) string {
	ctx, cancel := context.WithTimeout(ctx, podCIDRWatchTimeout)
	defer cancel()
	timeout := int64(podCIDRWatchTimeout / time.Second)
	events, err := m.nodes.Watch(ctx, client.ListOptions{
		FieldSelector:   "metadata.name=" + m.opts.NodeName,
		ResourceVersion: resourceVersion,
		TimeoutSeconds:  &timeout,
	})
	if err != nil {
		m.log.Warn("could not watch the Node for its podCIDR", "err", err)
		return ""
	}
	for ev := range events {
		if ev.Type == api.Error || (ev.Type != api.Added && ev.Type != api.Modified) {
			continue
		}
		m.notePodCIDR(ev.Object)
		if c := podCIDROf(ev.Object); c != "" {
			return c
		}
	}
	return ""
}

// notePodCIDR records the pod CIDR of a Node read outside the status path.
func (m *Manager) notePodCIDR(n *api.Node) {
	if c := podCIDROf(n); c != "" {
		m.mu.Lock()
		m.podCIDR = c
		m.mu.Unlock()
	}
}

// podCIDROf returns spec.podCIDR, or the first of spec.podCIDRs.
func podCIDROf(n *api.Node) string {
	if n.Spec.PodCIDR != "" {
		return n.Spec.PodCIDR
	}
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs[0]
	}
	return ""
}
