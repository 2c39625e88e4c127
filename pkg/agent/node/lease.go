package node

import (
	"context"
	"time"

	"skiff/pkg/api"
)

// runLease renews the Lease every LeaseRenewInterval; after a failure it
// retries sooner, with back-off, so one lost request does not cost a whole
// interval of the lease's duration.
func (m *Manager) runLease(ctx context.Context) {
	failures := 0
	for {
		wait := m.opts.LeaseRenewInterval
		if err := m.renewLease(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait = backoff(failures, min(maxBackoff, m.opts.LeaseRenewInterval))
			m.log.Warn("could not renew node lease", "err", err, "retryIn", wait)
		} else {
			failures = 0
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// renewLease makes one attempt at renewing the Lease kube-node-lease/<node>,
// creating it if it is missing. After a failed update the Lease is read again
// on the next attempt.
func (m *Manager) renewLease(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	now := api.MicroTime{Time: m.opts.Now().UTC().Truncate(time.Microsecond)}
	if m.lease == nil {
		l, err := m.leases.Get(ctx, m.opts.NodeName)
		if api.IsNotFound(err) {
			l = &api.Lease{
				TypeMeta:   api.TypeMeta{Kind: "Lease", APIVersion: "coordination.k8s.io/v1"},
				ObjectMeta: api.ObjectMeta{Name: m.opts.NodeName, Namespace: api.NamespaceNodeLease},
			}
			m.fillLease(l, now)
			if l, err = m.leases.Create(ctx, l); err != nil {
				return err
			}
			m.lease = l
			return nil
		}
		if err != nil {
			return err
		}
		m.lease = l
	}
	l := api.DeepCopy(m.lease)
	m.fillLease(l, now)
	out, err := m.leases.Update(ctx, l)
	if err != nil {
		m.lease = nil
		return err
	}
	m.lease = out
	return nil
}

// fillLease makes l the node's Lease renewed at now: held by the node, for
// LeaseDuration, owned by the Node (when it is known) so that deleting the Node
// deletes its Lease.
func (m *Manager) fillLease(l *api.Lease, now api.MicroTime) {
	holder := m.opts.NodeName
	secs := int32(m.opts.LeaseDuration / time.Second)
	l.Spec.HolderIdentity = &holder
	l.Spec.LeaseDurationSeconds = &secs
	l.Spec.RenewTime = &now
	n := m.cachedNode()
	if n == nil || n.UID == "" {
		return
	}
	refs := l.OwnerReferences[:0:0]
	for _, r := range l.OwnerReferences {
		if r.APIVersion != "v1" || r.Kind != "Node" {
			refs = append(refs, r)
		}
	}
	l.OwnerReferences = append(refs, api.OwnerReference{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID})
}
