package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"skiff/pkg/api"
)

// errNotHolder means the Lease is someone else's: for a candidate, one that has
// not expired; for the leader, one that was taken from it or deleted.
var errNotHolder = errors.New("leaderelection: not the holder")

// tryAcquireOrRenew makes one attempt to write the Lease with this candidate as
// holder: it creates a missing Lease, renews its own, and takes over one that is
// released or expired. Conflicting writes fail on the resourceVersion. leading says
// whether the caller holds the Lease; then a missing Lease or another holder is
// errNotHolder at once.
func (e *Elector) tryAcquireOrRenew(ctx context.Context, leading bool) error {
	cur, err := e.leases.Get(ctx, e.cfg.Name)
	if api.IsNotFound(err) {
		if leading {
			return fmt.Errorf("%w: the lease was deleted", errNotHolder)
		}
		created, err := e.leases.Create(ctx, e.newLease())
		if err != nil {
			return err
		}
		e.observe(created)
		return nil
	}
	if err != nil {
		return err
	}
	e.observe(cur)

	holder := holderOf(cur)
	takeOver := holder != e.cfg.Identity
	if takeOver {
		if leading {
			return fmt.Errorf("%w: %q holds it now", errNotHolder, holder)
		}
		if holder != "" && time.Since(e.observedAt) < e.leaseDuration(cur) {
			return fmt.Errorf("%w: %q holds it and it has not expired", errNotHolder, holder)
		}
	}
	now := api.NowMicro()
	next := *cur
	next.Spec.HolderIdentity = new(e.cfg.Identity)
	next.Spec.LeaseDurationSeconds = new(e.durationSeconds())
	next.Spec.RenewTime = &now
	if takeOver {
		next.Spec.AcquireTime = &now
		next.Spec.LeaseTransitions = new(valueOf(cur.Spec.LeaseTransitions) + 1)
	}
	updated, err := e.leases.Update(ctx, &next)
	if err != nil {
		return err
	}
	e.observe(updated)
	return nil
}

// release clears the holder of a Lease this Elector holds, so that the next
// candidate takes it at once. ctx may have ended: release has its own timeout. A
// failure is only logged: the Lease then expires as usual.
func (e *Elector) release(ctx context.Context) {
	if e.observed == nil || holderOf(e.observed) != e.cfg.Identity {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RenewDeadline)
	defer cancel()
	cur := e.observed
	for attempt := 1; ; attempt++ {
		now := api.NowMicro()
		next := *cur
		next.Spec.HolderIdentity = nil
		next.Spec.RenewTime = &now
		released, err := e.leases.Update(ctx, &next)
		if err == nil {
			e.observe(released)
			e.log.Info("released lease")
			return
		}
		// A renewal whose answer was lost when ctx ended may have written the
		// Lease after the version observed: read it again, and release it if
		// it is still ours.
		if api.IsConflict(err) && attempt < 3 {
			if cur, err = e.leases.Get(ctx, e.cfg.Name); err == nil {
				if holderOf(cur) != e.cfg.Identity {
					return
				}
				continue
			}
		}
		e.log.Warn("releasing lease failed", "err", err)
		return
	}
}

// observe records l as the latest state of the Lease, and restarts the expiry
// clock when it differs from what was seen before.
func (e *Elector) observe(l *api.Lease) {
	if e.observed != nil && l.ResourceVersion == e.observed.ResourceVersion {
		return
	}
	if h := holderOf(l); h != e.cfg.Identity && (e.observed == nil || h != holderOf(e.observed)) {
		e.log.Info("lease holder changed", "holder", h)
	}
	e.observed, e.observedAt = l, time.Now()
}

// newLease is the Lease this candidate creates when there is none.
func (e *Elector) newLease() *api.Lease {
	now := api.NowMicro()
	return &api.Lease{
		TypeMeta:   api.TypeMeta{Kind: "Lease", APIVersion: "coordination.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name},
		Spec: api.LeaseSpec{
			HolderIdentity:       new(e.cfg.Identity),
			LeaseDurationSeconds: new(e.durationSeconds()),
			AcquireTime:          &now,
			RenewTime:            &now,
			LeaseTransitions:     new(int32(0)),
		},
	}
}

// durationSeconds is LeaseDuration in whole seconds, rounded up.
func (e *Elector) durationSeconds() int32 {
	return int32((e.cfg.LeaseDuration + time.Second - 1) / time.Second)
}

// leaseDuration is how long l's holder promised to hold it without renewing: its
// leaseDurationSeconds, or this candidate's LeaseDuration if it has none.
func (e *Elector) leaseDuration(l *api.Lease) time.Duration {
	if s := valueOf(l.Spec.LeaseDurationSeconds); s > 0 {
		return time.Duration(s) * time.Second
	}
	return e.cfg.LeaseDuration
}

func holderOf(l *api.Lease) string { return valueOf(l.Spec.HolderIdentity) }

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
