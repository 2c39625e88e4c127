// Package leaderelection lets one of several processes lead at a time, by holding
// a Lease (coordination.k8s.io/v1), as client-go's leaderelection does for
// kube-scheduler and kube-controller-manager.
//
// Candidates poll the Lease every RetryPeriod. Every write carries the
// resourceVersion that was read, so of two candidates racing for the Lease exactly
// one wins. A candidate takes over a Lease held by someone else only once it has seen
// the Lease unchanged for the holder's leaseDurationSeconds, timed by its own clock
// from the moment it saw the last change: timestamps written by other machines are
// never compared with the local clock. A Lease whose holder is cleared (released) is
// taken at once.
//
// The leader renews every RetryPeriod. It stops leading at once, cancelling the
// context of its lead function, when it sees another holder or has not renewed for
// RenewDeadline. That deadline counts from the start of the last renewal that
// succeeded, which is before the write other candidates time their wait from; since
// RenewDeadline < LeaseDuration, the old leader has stopped before anyone may take
// over, provided lead returns within LeaseDuration-RenewDeadline of its context
// ending.
package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// ErrLeaseLost is returned by Run when leadership was lost while ctx was still
// live: the Lease could not be renewed within RenewDeadline, or another holder
// took it. The process should exit, as kube-scheduler does, so that it restarts as a
// fresh candidate.
var ErrLeaseLost = errors.New("leaderelection: lease lost")

// Run is New followed by Elector.Run.
func Run(ctx context.Context, cfg Config, lead func(ctx context.Context)) error {
	e, err := New(cfg)
	if err != nil {
		return err
	}
	return e.Run(ctx, lead)
}

// Elector competes for one Lease on behalf of one identity.
type Elector struct {
	cfg     Config
	leases  *client.Resource[*api.Lease]
	log     *slog.Logger
	leading atomic.Bool
	running atomic.Bool

	// Only the goroutine in Run uses these.
	observed   *api.Lease // the Lease as last read or written
	observedAt time.Time  // when observed last changed, by the local clock
}

// New checks cfg, fills in default durations, and returns an Elector.
func New(cfg Config) (*Elector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Elector{
		cfg:    cfg,
		leases: client.Leases(cfg.Client, cfg.Namespace),
		log:    cfg.Logger.With("lease", cfg.Namespace+"/"+cfg.Name, "identity", cfg.Identity),
	}, nil
}

// IsLeader reports whether this Elector holds the Lease now. It turns false before
// lead's context is cancelled. It is safe to call from any goroutine.
func (e *Elector) IsLeader() bool { return e.leading.Load() }

// Run campaigns until ctx ends. Once it holds the Lease it calls lead in a new
// goroutine, with a context that is cancelled as soon as leadership is lost or ctx
// ends, and keeps renewing the Lease; lead should return promptly then. Run always
// waits for lead to return before it returns.
//
// Run returns nil when ctx ends; if it was leading it first releases the Lease,
// clearing spec.holderIdentity so another candidate takes over without waiting for
// it to expire. If lead returns while ctx is live, Run releases the Lease in the same
// way and returns nil. After losing leadership Run returns an error that wraps
// ErrLeaseLost. Run may be called again after it returns, but not concurrently.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("leaderelection: Run is already running")
	}
	defer e.running.Store(false)
	e.log.Info("leader election starting", "leaseDuration", e.cfg.LeaseDuration,
		"renewDeadline", e.cfg.RenewDeadline, "retryPeriod", e.cfg.RetryPeriod)

	renewed, ok := e.acquire(ctx)
	if !ok {
		return nil
	}
	e.log.Info("became leader")
	e.leading.Store(true)
	leaderCtx, cancel := context.WithCancel(ctx)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		lead(leaderCtx)
	}()

	err := e.renew(ctx, returned, renewed)
	e.leading.Store(false)
	cancel()
	<-returned
	if err != nil {
		e.log.Error("leadership lost", "err", err)
		return err
	}
	e.release(ctx)
	return nil
}

// acquire tries every RetryPeriod (with jitter, so candidates spread out) until it
// holds the Lease, and returns when the successful attempt started. It returns false
// if ctx ends first.
func (e *Elector) acquire(ctx context.Context) (renewed time.Time, ok bool) {
	for {
		start := time.Now()
		attemptCtx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
		err := e.tryAcquireOrRenew(attemptCtx, false)
		cancel()
		if err == nil {
			return start, true
		}
		if !errors.Is(err, errNotHolder) && !api.IsConflict(err) && !api.IsAlreadyExists(err) && ctx.Err() == nil {
			e.log.Warn("acquiring lease failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, false
		case <-time.After(e.cfg.RetryPeriod + rand.N(e.cfg.RetryPeriod/4+1)):
		}
	}
}

// renew renews the Lease every RetryPeriod, starting from a renewal that started
// at renewed. It returns nil when ctx ends or lead has returned, and an error wrapping
// ErrLeaseLost when another holder is seen or RenewDeadline has passed since the
// start of the last successful renewal.
func (e *Elector) renew(ctx context.Context, returned <-chan struct{}, renewed time.Time) error {
	for {
		deadline := renewed.Add(e.cfg.RenewDeadline)
		select {
		case <-ctx.Done():
			return nil
		case <-returned:
			return nil
		case <-time.After(min(e.cfg.RetryPeriod, time.Until(deadline))):
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w: not renewed within %v", ErrLeaseLost, e.cfg.RenewDeadline)
		}
		start := time.Now()
		attemptCtx, cancel := context.WithDeadline(ctx, deadline)
		err := e.tryAcquireOrRenew(attemptCtx, true)
		cancel()
		switch {
		case err == nil:
			renewed = start
		case errors.Is(err, errNotHolder):
			return fmt.Errorf("%w: %w", ErrLeaseLost, err)
		case ctx.Err() != nil:
			return nil
		default:
			e.log.Warn("renewing lease failed", "err", err)
		}
	}
}
