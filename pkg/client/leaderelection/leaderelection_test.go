package leaderelection_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/client/leaderelection"
)

// The Lease the tests compete for, and short durations so they run fast.
const (
	leaseNS       = "kube-system"
	leaseName     = "skiff-test"
	leaseDuration = time.Second
	renewDeadline = 700 * time.Millisecond
	retryPeriod   = 100 * time.Millisecond
)

func TestOneCandidateLeads(t *testing.T) {
	s := apiservertest.Start(t)
	rec := &terms{}
	a := startCandidate(t, s.Client, "a", rec.lead("a"))

	rec.waitLeader(t, "a")
	if !a.e.IsLeader() {
		t.Error("IsLeader() = false while leading")
	}
	first := getLease(t, s.Client)
	if got := holderOf(first); got != "a" {
		t.Errorf("holderIdentity = %q, want a", got)
	}
	if got := *first.Spec.LeaseDurationSeconds; got != 1 {
		t.Errorf("leaseDurationSeconds = %d, want 1", got)
	}
	if got := *first.Spec.LeaseTransitions; got != 0 {
		t.Errorf("leaseTransitions = %d, want 0 for a new Lease", got)
	}
	if first.Spec.AcquireTime == nil || first.Spec.RenewTime == nil {
		t.Fatalf("acquireTime and renewTime must be set: %+v", first.Spec)
	}
	waitFor(t, 5*time.Second, "the leader to renew", func() bool {
		l := getLease(t, s.Client)
		return l.Spec.RenewTime.After(first.Spec.RenewTime.Time) && l.Spec.AcquireTime.Equal(first.Spec.AcquireTime.Time)
	})

	if err := a.stop(t); err != nil {
		t.Fatalf("Run after ctx ended: %v, want nil", err)
	}
	if a.e.IsLeader() {
		t.Error("IsLeader() = true after Run returned")
	}
	if terms := rec.snapshot(); len(terms) != 1 || terms[0].exit.IsZero() {
		t.Errorf("lead must have returned before Run: %+v", terms)
	}
	if l := getLease(t, s.Client); l.Spec.HolderIdentity != nil {
		t.Errorf("holderIdentity = %q after release, want none", *l.Spec.HolderIdentity)
	}
}

// TestOneLeaderAtATime stops one leader after another: each releases the Lease, a
// waiting candidate takes it over well before it would expire, and no two lead
// callbacks ever run at once.
func TestOneLeaderAtATime(t *testing.T) {
	s := apiservertest.Start(t)
	rec := &terms{}
	candidates := map[string]*candidate{}
	for _, id := range []string{"a", "b", "c"} {
		candidates[id] = startCandidate(t, s.Client, id, rec.lead(id))
	}

	leader := rec.waitLeader(t, "")
	for len(candidates) > 0 {
		stopped := time.Now()
		if err := candidates[leader].stop(t); err != nil {
			t.Fatalf("%s: Run after ctx ended: %v, want nil", leader, err)
		}
		delete(candidates, leader)
		if len(candidates) == 0 {
			break
		}
		next := rec.waitLeader(t, "")
		if _, ok := candidates[next]; !ok {
			t.Fatalf("%s leads after it was stopped", next)
		}
		// Without the release the next candidate would wait for the Lease to expire:
		// at least leaseDuration-retryPeriod after the stop.
		terms := rec.snapshot()
		if took := terms[len(terms)-1].enter.Sub(stopped); took > 700*time.Millisecond {
			t.Errorf("%s took over %v after %s stopped, want well under the %v lease duration", next, took, leader, leaseDuration)
		}
		leader = next
	}

	terms := rec.snapshot()
	rec.checkNoOverlap(t)
	if len(terms) != 3 {
		t.Fatalf("got %d terms, want one per candidate: %+v", len(terms), terms)
	}
	l := getLease(t, s.Client)
	if got := *l.Spec.LeaseTransitions; got != 2 {
		t.Errorf("leaseTransitions = %d, want 2 after two takeovers", got)
	}
	if l.Spec.HolderIdentity != nil {
		t.Errorf("holderIdentity = %q after the last leader stopped, want none", *l.Spec.HolderIdentity)
	}
}

// TestLeaderSeesAnotherHolder overwrites the Lease with another holder, as a
// candidate with a skewed view might: the leader must stop at once, not at its
// renew deadline, and must not release a Lease that is no longer its own.
func TestLeaderSeesAnotherHolder(t *testing.T) {
	s := apiservertest.Start(t)
	rec := &terms{}
	a := startCandidate(t, s.Client, "a", rec.lead("a"))
	rec.waitLeader(t, "a")

	leases := client.Leases(s.Client, leaseNS)
	waitFor(t, 5*time.Second, "the Lease to be overwritten", func() bool {
		l := getLease(t, s.Client)
		now := api.NowMicro()
		l.Spec.HolderIdentity, l.Spec.RenewTime = new("intruder"), &now
		l.Spec.LeaseDurationSeconds = new(int32(3600))
		_, err := leases.Update(context.Background(), l)
		if err != nil && !api.IsConflict(err) {
			t.Fatalf("overwrite: %v", err)
		}
		return err == nil
	})
	overwritten := time.Now()

	if err := a.wait(t); !errors.Is(err, leaderelection.ErrLeaseLost) {
		t.Fatalf("Run = %v, want ErrLeaseLost", err)
	}
	if a.e.IsLeader() {
		t.Error("IsLeader() = true after leadership was lost")
	}
	terms := rec.snapshot()
	if took := terms[0].exit.Sub(overwritten); took > renewDeadline/2 {
		t.Errorf("lead's context was cancelled %v after the overwrite, want at once (well under %v)", took, renewDeadline)
	}
	if got := holderOf(getLease(t, s.Client)); got != "intruder" {
		t.Errorf("holderIdentity = %q, want intruder: the old leader must not release another's Lease", got)
	}
}

// TestLeaderCannotRenew cuts the leader off from the apiserver: it must stop leading
// before its Lease expires, and the other candidate takes over only after it has.
func TestLeaderCannotRenew(t *testing.T) {
	s := apiservertest.Start(t)
	rec := &terms{}
	cfg, err := client.LoadKubeconfig(s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	server, err := url.Parse(cfg.Server)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, server.Host)
	server.Host = p.addr()
	cfg.Server = server.String()
	viaProxy, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := startCandidate(t, viaProxy, "a", rec.lead("a"))
	rec.waitLeader(t, "a")
	b := startCandidate(t, s.Client, "b", rec.lead("b"))

	p.close()
	// a can write no more, so this is its last renewal.
	last := getLease(t, s.Client)
	if got := holderOf(last); got != "a" {
		t.Fatalf("holderIdentity = %q, want a", got)
	}
	if err := a.wait(t); !errors.Is(err, leaderelection.ErrLeaseLost) {
		t.Fatalf("a: Run = %v, want ErrLeaseLost", err)
	}
	if a.e.IsLeader() {
		t.Error("a: IsLeader() = true after leadership was lost")
	}
	expiry := last.Spec.RenewTime.Add(leaseDuration) // one machine, so one clock
	if exit := rec.snapshot()[0].exit; !exit.Before(expiry) {
		t.Errorf("a stopped leading at %v, after its Lease expired at %v", exit, expiry)
	}

	rec.waitLeader(t, "b")
	l := getLease(t, s.Client)
	if got := holderOf(l); got != "b" {
		t.Errorf("holderIdentity = %q, want b", got)
	}
	if got := *l.Spec.LeaseTransitions; got != 1 {
		t.Errorf("leaseTransitions = %d, want 1", got)
	}
	if !l.Spec.AcquireTime.After(expiry) {
		t.Errorf("b acquired the Lease at %v, before a's expired at %v", l.Spec.AcquireTime, expiry)
	}
	if !b.e.IsLeader() {
		t.Error("b: IsLeader() = false while leading")
	}
	rec.checkNoOverlap(t)
}

// TestTakeOverWaitsByLocalClock starts a candidate next to a Lease held by a
// silent holder whose renewTime lies far in the future, as a skewed clock would
// write it: the candidate ignores the timestamp, waits one lease duration from when
// it first saw the Lease, and then takes it over.
func TestTakeOverWaitsByLocalClock(t *testing.T) {
	s := apiservertest.Start(t)
	future := api.MicroTime{Time: time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)}
	_, err := client.Leases(s.Client, leaseNS).Create(context.Background(), &api.Lease{
		ObjectMeta: api.ObjectMeta{Name: leaseName},
		Spec: api.LeaseSpec{
			HolderIdentity:       new("silent"),
			LeaseDurationSeconds: new(int32(1)),
			AcquireTime:          &future,
			RenewTime:            &future,
			LeaseTransitions:     new(int32(5)),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &terms{}
	started := time.Now()
	startCandidate(t, s.Client, "a", rec.lead("a"))
	rec.waitLeader(t, "a")
	if took := rec.snapshot()[0].enter.Sub(started); took < leaseDuration {
		t.Errorf("a took over after %v, before the %v lease duration", took, leaseDuration)
	}
	if got := *getLease(t, s.Client).Spec.LeaseTransitions; got != 6 {
		t.Errorf("leaseTransitions = %d, want 6", got)
	}
}

// TestLeadReturns: a lead function that returns by itself gives up the Lease.
func TestLeadReturns(t *testing.T) {
	s := apiservertest.Start(t)
	a := startCandidate(t, s.Client, "a", func(context.Context) {})
	if err := a.wait(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	l := getLease(t, s.Client)
	if l.Spec.HolderIdentity != nil {
		t.Errorf("holderIdentity = %q, want none", *l.Spec.HolderIdentity)
	}
}

// candidate is one Run in the background.
type candidate struct {
	e      *leaderelection.Elector
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, once done is closed
}

func startCandidate(t *testing.T, c *client.Client, id string, lead func(context.Context)) *candidate {
	t.Helper()
	e, err := leaderelection.New(leaderelection.Config{
		Client: c, Namespace: leaseNS, Name: leaseName, Identity: id,
		LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test-candidate", id),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cd := &candidate{e: e, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(cd.done)
		cd.err = e.Run(ctx, lead)
	}()
	t.Cleanup(func() { cd.stop(t) })
	return cd
}

// stop ends the candidate's context and returns what Run returned.
func (cd *candidate) stop(t *testing.T) error {
	cd.cancel()
	return cd.wait(t)
}

// wait returns what Run returned.
func (cd *candidate) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-cd.done:
		return cd.err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s")
		return nil
	}
}

// terms records when each candidate's lead callback ran.
type terms struct {
	mu  sync.Mutex
	all []term
}

type term struct {
	id          string
	enter, exit time.Time // exit is zero while lead runs
}

// lead returns a lead callback for id that records its term and runs until its
// context is cancelled.
func (r *terms) lead(id string) func(context.Context) {
	return func(ctx context.Context) {
		r.mu.Lock()
		i := len(r.all)
		r.all = append(r.all, term{id: id, enter: time.Now()})
		r.mu.Unlock()
		<-ctx.Done()
		r.mu.Lock()
		r.all[i].exit = time.Now()
		r.mu.Unlock()
	}
}

func (r *terms) snapshot() []term {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.all)
}

// waitLeader waits until want (any candidate if "") is leading and returns who is.
func (r *terms) waitLeader(t *testing.T, want string) string {
	t.Helper()
	var leader string
	waitFor(t, 10*time.Second, "leader "+want, func() bool {
		all := r.snapshot()
		if len(all) == 0 || !all[len(all)-1].exit.IsZero() {
			return false
		}
		leader = all[len(all)-1].id
		return want == "" || leader == want
	})
	return leader
}

// checkNoOverlap fails if any term began before the one before it ended.
func (r *terms) checkNoOverlap(t *testing.T) {
	t.Helper()
	all := r.snapshot()
	slices.SortFunc(all, func(a, b term) int { return a.enter.Compare(b.enter) })
	for i := 1; i < len(all); i++ {
		prev := all[i-1]
		if prev.exit.IsZero() || all[i].enter.Before(prev.exit) {
			t.Errorf("%s began leading at %v while %s led (%v to %v)", all[i].id, all[i].enter, prev.id, prev.enter, prev.exit)
		}
	}
}

func getLease(t *testing.T, c *client.Client) *api.Lease {
	t.Helper()
	l, err := client.Leases(c, leaseNS).Get(context.Background(), leaseName)
	if err != nil {
		t.Fatalf("get lease: %v", err)
	}
	return l
}

func holderOf(l *api.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// waitFor polls cond until it holds, or fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// proxy forwards TCP connections to the apiserver until it is closed; closing it
// also cuts the connections it carries, so its clients lose the apiserver at once.
type proxy struct {
	ln     net.Listener
	to     string
	mu     sync.Mutex
	closed bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, to string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, to: to}
	p.wg.Go(p.serve)
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.to)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			in.Close()
			out.Close()
			return
		}
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Go(func() { io.Copy(out, in); out.Close() })
		p.wg.Go(func() { io.Copy(in, out); in.Close() })
	}
}

// close stops accepting, cuts every connection, and waits for the copiers.
func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// testWriter sends logs to the test log, so only failing tests print them.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
