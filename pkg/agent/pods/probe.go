package pods

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

type probeKind string

const (
	probeLiveness  probeKind = "Liveness"
	probeReadiness probeKind = "Readiness"
	probeStartup   probeKind = "Startup"
)

// Probe defaults, as API defaulting sets them (for pods that skipped it).
const (
	defaultProbePeriod    = 10 * time.Second
	defaultProbeTimeout   = time.Second
	defaultProbeFailures  = 3
	maxProbeOutputInBytes = 10 * 1024
)

// prober runs single checks. It is shared by all workers.
type prober struct {
	http   *http.Client
	execer Execer // nil if the runtime cannot exec
}

func newProber(rt runtime.Runtime) *prober {
	tr := &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // as the kubelet: probes check liveness, not identity
	}
	p := &prober{http: &http.Client{
		Transport: tr,
		// A redirect is an answer: 3xx counts as success and is not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	p.execer, _ = rt.(Execer)
	return p
}

// check runs probe once against a container and reports success, with a
// message on failure.
func (p *prober) check(ctx context.Context, probe *api.Probe, c *api.Container, containerID, podIP string) (bool, string) {
	timeout := seconds(probe.TimeoutSeconds, defaultProbeTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch h := probe.ProbeHandler; {
	case h.Exec != nil:
		if p.execer == nil {
			return false, ErrExecUnsupported.Error()
		}
		code, out, err := p.execer.ExecSync(ctx, containerID, h.Exec.Command, timeout)
		if err != nil {
			return false, fmt.Sprintf("exec probe %q: %v", strings.Join(h.Exec.Command, " "), err)
		}
		if code != 0 {
			return false, fmt.Sprintf("command %q exited with %d: %s", strings.Join(h.Exec.Command, " "), code, truncate(out))
		}
		return true, ""
	case h.HTTPGet != nil:
		return p.httpGet(ctx, h.HTTPGet, c, podIP)
	case h.TCPSocket != nil:
		port, err := resolvePort(h.TCPSocket.Port, c)
		if err != nil {
			return false, err.Error()
		}
		host := h.TCPSocket.Host
		if host == "" {
			host = podIP
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	case h.GRPC != nil:
		return false, "gRPC probes are not supported by Skiff"
	}
	return false, "the probe has no handler"
}

func (p *prober) httpGet(ctx context.Context, h *api.HTTPGetAction, c *api.Container, podIP string) (bool, string) {
	port, err := resolvePort(h.Port, c)
	if err != nil {
		return false, err.Error()
	}
	host := h.Host
	if host == "" {
		host = podIP
	}
	scheme := strings.ToLower(h.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	u, err = u.Parse(path)
	if err != nil {
		return false, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/skiff")
	req.Header.Set("Accept", "*/*")
	for _, hd := range h.HTTPHeaders {
		if strings.EqualFold(hd.Name, "Host") {
			req.Host = hd.Value
			continue
		}
		req.Header.Add(hd.Name, hd.Value)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProbeOutputInBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return true, ""
	}
	return false, fmt.Sprintf("HTTP probe failed with statuscode: %d: %s", resp.StatusCode, truncate(body))
}

// resolvePort turns a probe's port (a number or the name of a container port)
// into a number.
func resolvePort(p api.IntOrString, c *api.Container) (int, error) {
	if !p.IsString {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("invalid port %d", p.IntVal)
		}
		return int(p.IntVal), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil && n > 0 && n <= 65535 {
		return n, nil
	}
	return 0, fmt.Errorf("container %s has no port named %q", c.Name, p.StrVal)
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 1024 {
		s = s[:1024] + "..."
	}
	return s
}

func seconds(n int32, def time.Duration) time.Duration {
	if n <= 0 {
		return def
	}
	return time.Duration(n) * time.Second
}

// probeRun holds the probe results of one run of one container; its probe
// goroutines write them and the worker reads them.
type probeRun struct {
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool // startup probe passed, or there is none
	ready   bool // readiness probe passed, or there is none
	// failed names the liveness or startup probe that failed (the container
	// must be killed), with its last message.
	failed    probeKind
	failedMsg string
}

type probeResults struct {
	started, ready bool
	failed         probeKind
	failedMsg      string
}

func (r *probeRun) results() probeResults {
	if r == nil {
		return probeResults{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return probeResults{started: r.started, ready: r.ready, failed: r.failed, failedMsg: r.failedMsg}
}

func (r *probeRun) isStarted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started
}

// set records a probe's new result and reports whether anything changed.
func (r *probeRun) set(kind probeKind, ok bool, msg string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case kind == probeReadiness:
		changed := r.ready != ok
		r.ready = ok
		return changed
	case kind == probeStartup && ok:
		changed := !r.started
		r.started = true
		return changed
	case !ok && r.failed == "":
		r.failed, r.failedMsg = kind, msg
		return true
	}
	return false
}

func (r *probeRun) stop() {
	if r != nil {
		r.cancel()
	}
}

// startProbes starts one goroutine per probe of a running container. They
// stop with stop(), or when the manager stops.
func (w *worker) startProbes(c *api.Container, containerID string, startedAt time.Time, podIP string) *probeRun {
	ctx, cancel := context.WithCancel(w.ctx)
	r := &probeRun{cancel: cancel, started: c.StartupProbe == nil, ready: c.ReadinessProbe == nil}
	if startedAt.IsZero() {
		startedAt = w.now()
	}
	cc := *c
	for kind, p := range map[probeKind]*api.Probe{probeLiveness: c.LivenessProbe, probeReadiness: c.ReadinessProbe, probeStartup: c.StartupProbe} {
		if p == nil {
			continue
		}
		w.probes.Add(1)
		go func() {
			defer w.probes.Done()
			w.probeLoop(ctx, r, kind, p, &cc, containerID, podIP, startedAt)
		}()
	}
	return r
}

// probeLoop runs one probe with the kubelet's semantics: the first check
// initialDelaySeconds after the container started, then every periodSeconds;
// a result counts once it repeats successThreshold (readiness) or
// failureThreshold times; liveness and readiness wait for the startup probe;
// a failed liveness or startup probe, or a passed startup probe, ends the
// loop (a new container gets new probes).
func (w *worker) probeLoop(ctx context.Context, r *probeRun, kind probeKind, p *api.Probe, c *api.Container, containerID, podIP string, startedAt time.Time) {
	clock := w.m.deps.Clock
	period := seconds(p.PeriodSeconds, defaultProbePeriod)
	successes := max(int(p.SuccessThreshold), 1)
	if kind != probeReadiness {
		successes = 1
	}
	failures := int(p.FailureThreshold)
	if failures <= 0 {
		failures = defaultProbeFailures
	}
	next := startedAt.Add(time.Duration(p.InitialDelaySeconds) * time.Second)
	var last, seen bool
	run := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-clock.At(next):
		}
		next = clock.Now().Add(period)
		started := r.isStarted()
		if kind == probeStartup && started {
			return
		}
		if kind != probeStartup && !started {
			continue
		}
		ok, msg := w.m.prober.check(ctx, p, c, containerID, podIP)
		if ctx.Err() != nil {
			return
		}
		if seen && last == ok {
			run++
		} else {
			last, seen, run = ok, true, 1
		}
		if (!ok && run < failures) || (ok && run < successes) {
			continue
		}
		changed := r.set(kind, ok, msg)
		if !ok {
			w.log.Debug("probe failed", "probe", kind, "container", c.Name, "message", msg)
			// Once per failure, not per check: the recorder does not
			// aggregate as the kubelet's does.
			if changed {
				if pod := w.latestPod(); pod != nil {
					w.event(pod, api.EventTypeWarning, "Unhealthy", "%s probe failed: %s", kind, msg)
				}
			}
		}
		if changed {
			w.poke()
		}
		if (!ok && kind != probeReadiness) || (ok && kind == probeStartup) {
			return
		}
	}
}
