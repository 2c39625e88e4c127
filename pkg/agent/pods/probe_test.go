package pods

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"skiff/pkg/agent/runtime/fake"
	"skiff/pkg/api"
)

// execScript answers exec probes: per command, exit 0 or 1, and counts calls.
type execScript struct {
	mu    sync.Mutex
	codes map[string]int32
	calls map[string]int
}

func newExecScript() *execScript {
	return &execScript{codes: map[string]int32{}, calls: map[string]int{}}
}

func (s *execScript) set(cmd string, code int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[cmd] = code
}

func (s *execScript) count(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[cmd]
}

func (s *execScript) run(_ string, cmd []string) int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.Join(cmd, " ")
	s.calls[key]++
	return s.codes[key]
}

func withExec(h *harness) *execScript {
	s := newExecScript()
	h.deps.Runtime = &execRuntime{testRuntime: h.rt, exec: s.run}
	return s
}

func execProbe(cmd string, period, failures int32) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: []string{cmd}}},
		PeriodSeconds: period, FailureThreshold: failures, TimeoutSeconds: 1, SuccessThreshold: 1}
}

func TestReadinessProbeHTTP(t *testing.T) {
	h := newHarness(t)
	h.net.ip = "127.0.0.1"
	var code atomic.Int32
	code.Store(http.StatusOK)
	var paths sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path+" "+r.Header.Get("X-Probe"), true)
		w.WriteHeader(int(code.Load()))
	}))
	defer srv.Close()
	_, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)

	pod := makePod("ready").container(api.Container{
		Name:  "app",
		Ports: []api.ContainerPort{{Name: "http", ContainerPort: int32(port)}},
		ReadinessProbe: &api.Probe{
			ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/healthz", Port: api.FromString("http"),
				HTTPHeaders: []api.HTTPHeader{{Name: "X-Probe", Value: "yes"}}}},
			InitialDelaySeconds: 2, PeriodSeconds: 1, FailureThreshold: 1, SuccessThreshold: 2,
		},
	}).obj()
	h.start(pod)

	h.waitRunning(pod.UID, "app", 0)
	st := h.waitStatus(pod, "running, not ready yet", func(st api.PodStatus) bool { return st.Phase == api.PodRunning })
	if findStatus(st.ContainerStatuses, "app").Ready || condition(st, api.PodReady).Status != api.ConditionFalse {
		t.Errorf("ready before the probe passed: %+v", st)
	}
	st = h.waitStatus(pod, "Ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionTrue })
	if got := h.clock.Now().Sub(epoch); got < 3*time.Second {
		t.Errorf("ready after %s: initialDelaySeconds 2 and successThreshold 2 need 3 s", got)
	}
	if _, ok := paths.Load("/healthz yes"); !ok {
		t.Errorf("the probe did not GET /healthz with its header")
	}
	readySince := condition(st, api.PodReady).LastTransitionTime

	code.Store(http.StatusServiceUnavailable)
	st = h.waitStatus(pod, "not Ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionFalse })
	if c := condition(st, api.ContainersReady); c.Status != api.ConditionFalse || c.Reason != ReasonContainersNotReady {
		t.Errorf("ContainersReady = %+v", c)
	}
	if cs := findStatus(st.ContainerStatuses, "app"); cs.Ready || cs.State.Running == nil || cs.RestartCount != 0 {
		t.Errorf("a failing readiness probe should only make it not ready: %+v", cs)
	}
	if !condition(st, api.PodReady).LastTransitionTime.After(readySince.Time) {
		t.Errorf("lastTransitionTime did not move on the transition")
	}
	notReadySince := condition(st, api.PodReady).LastTransitionTime
	code.Store(http.StatusFound) // a redirect counts as success
	st = h.waitStatus(pod, "Ready again", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionTrue })
	if c := condition(st, api.PodScheduled); c.LastTransitionTime.After(notReadySince.Time) {
		t.Errorf("PodScheduled's lastTransitionTime moved without a transition")
	}
}

func TestReadinessProbeTCP(t *testing.T) {
	h := newHarness(t)
	h.net.ip = "127.0.0.1"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	pod := makePod("tcp").container(api.Container{Name: "app", ReadinessProbe: &api.Probe{
		ProbeHandler:  api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(int32(port))}},
		PeriodSeconds: 1, FailureThreshold: 1,
	}}).obj()
	h.start(pod)
	h.waitStatus(pod, "Ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionTrue })
	ln.Close()
	h.waitStatus(pod, "not Ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionFalse })
}

// TestLivenessProbeRestarts: a failing liveness probe kills the container
// (with the probe's grace period) and it restarts; the restart counts.
func TestLivenessProbeRestarts(t *testing.T) {
	h := newHarness(t)
	script := withExec(h)
	probe := execProbe("alive", 1, 3)
	probe.TerminationGracePeriodSeconds = ptr(int64(7))
	pod := makePod("live").container(api.Container{Name: "app", LivenessProbe: probe}).obj()
	h.start(pod)
	first := h.waitRunning(pod.UID, "app", 0)
	h.eventually("a few passing probes", func() bool { return script.count("alive") >= 3 })
	if _, ok := h.current(pod.UID, "app"); !ok || len(h.started(pod.UID, "app")) != 1 {
		t.Fatalf("restarted while the liveness probe passed")
	}

	script.set("alive", 1)
	h.waitRunning(pod.UID, "app", 1)
	if graces := h.rt.StopGraces(first); !slices.Equal(graces, []time.Duration{7 * time.Second}) {
		t.Errorf("stopped with grace %v, want [7s]", graces)
	}
	st := h.waitStatus(pod, "restartCount 1", func(st api.PodStatus) bool {
		return findStatus(st.ContainerStatuses, "app").RestartCount == 1
	})
	if lt := findStatus(st.ContainerStatuses, "app").LastState.Terminated; lt == nil || lt.ExitCode != 143 {
		t.Errorf("lastState = %+v", lt)
	}
}

func TestLivenessProbeWithNeverPolicy(t *testing.T) {
	h := newHarness(t)
	script := withExec(h)
	script.set("alive", 1)
	pod := makePod("live").restart(api.RestartPolicyNever).container(api.Container{Name: "app", LivenessProbe: execProbe("alive", 1, 1)}).obj()
	h.start(pod)
	st := h.waitStatus(pod, "Failed", func(st api.PodStatus) bool { return st.Phase == api.PodFailed })
	if term := findStatus(st.ContainerStatuses, "app").State.Terminated; term == nil || term.ExitCode != 143 {
		t.Errorf("terminated = %+v", term)
	}
	if n := len(h.started(pod.UID, "app")); n != 1 {
		t.Errorf("started %d times, want once", n)
	}
}

// TestStartupProbeGates: liveness and readiness probes wait for the startup
// probe; the container is not started (nor ready) until it passes.
func TestStartupProbeGates(t *testing.T) {
	h := newHarness(t)
	script := withExec(h)
	script.set("started", 1)
	pod := makePod("slow").container(api.Container{
		Name:           "app",
		StartupProbe:   execProbe("started", 1, 30),
		LivenessProbe:  execProbe("alive", 1, 1),
		ReadinessProbe: execProbe("ready", 1, 1),
	}).obj()
	h.start(pod)
	h.waitRunning(pod.UID, "app", 0)
	h.eventually("startup probe tried", func() bool { return script.count("started") >= 5 })
	st, _ := h.status.last(pod.UID)
	cs := findStatus(st.ContainerStatuses, "app")
	if cs.Started == nil || *cs.Started || cs.Ready {
		t.Errorf("started/ready before the startup probe passed: %+v", cs)
	}
	if n := script.count("alive") + script.count("ready"); n != 0 {
		t.Errorf("liveness/readiness ran %d times before the startup probe passed", n)
	}

	script.set("started", 0)
	st = h.waitStatus(pod, "ready", func(st api.PodStatus) bool { return condition(st, api.PodReady).Status == api.ConditionTrue })
	if cs := findStatus(st.ContainerStatuses, "app"); cs.Started == nil || !*cs.Started {
		t.Errorf("started = %v", cs.Started)
	}
	h.eventually("liveness probe runs", func() bool { return script.count("alive") > 0 })
	n := script.count("started")
	h.idle(5 * time.Second)
	if script.count("started") != n {
		t.Errorf("the startup probe kept running after it passed")
	}
}

func TestStartupProbeFailureKills(t *testing.T) {
	h := newHarness(t)
	script := withExec(h)
	script.set("started", 1)
	pod := makePod("never").container(api.Container{Name: "app", StartupProbe: execProbe("started", 1, 3)}).obj()
	h.start(pod)
	h.waitRunning(pod.UID, "app", 1)
	if n := script.count("started"); n < 3 {
		t.Errorf("killed after %d startup probes, want failureThreshold 3", n)
	}
}

func TestExecProbeWithoutExecer(t *testing.T) {
	p := newProber(fake.New())
	ok, msg := p.check(context.Background(), execProbe("x", 1, 1), &api.Container{Name: "c"}, "id", "127.0.0.1")
	if ok || !strings.Contains(msg, "does not support exec") {
		t.Errorf("check = %v, %q", ok, msg)
	}
	ok, msg = p.check(context.Background(), &api.Probe{ProbeHandler: api.ProbeHandler{GRPC: &api.GRPCAction{Port: 1}}}, &api.Container{Name: "c"}, "id", "127.0.0.1")
	if ok || !strings.Contains(msg, "gRPC") {
		t.Errorf("grpc check = %v, %q", ok, msg)
	}
	_, err := resolvePort(api.FromString("nope"), &api.Container{Name: "c"})
	if err == nil {
		t.Errorf("resolved an unknown port name")
	}
}
