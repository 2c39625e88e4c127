package podbench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func testPod(name, node string, phase string, waiting string) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name}, Spec: api.PodSpec{NodeName: node}, Status: api.PodStatus{Phase: phase}}
	if waiting != "" {
		p.Status.ContainerStatuses = []api.ContainerStatus{{Name: "sleep", State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: waiting}}}}
	}
	return p
}

func TestTracker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tr := newTracker(2)
	tr.creating("a", at(0))
	tr.creating("b", at(10))
	tr.observe(testPod("other", "n", api.PodRunning, ""), at(5)) // not ours
	tr.observe(testPod("a", "", api.PodPending, ""), at(20))
	tr.observe(testPod("a", "n", api.PodPending, ""), at(100))
	tr.observe(testPod("b", "n", api.PodPending, "ContainerCreating"), at(110))
	tr.observe(testPod("a", "n", api.PodRunning, ""), at(300))
	tr.observe(testPod("a", "n", api.PodRunning, ""), at(900)) // later updates do not count
	tr.observe(testPod("b", "n", api.PodPending, "CreateContainerError"), at(400))
	if got := tr.trouble(); !strings.Contains(got, "1 of 2 pods running") || !strings.Contains(got, "b: bound, not running (CreateContainerError: )") {
		t.Errorf("trouble() = %q", got)
	}
	select {
	case <-tr.all:
		t.Fatal("all closed with one pod running")
	default:
	}
	tr.observe(testPod("b", "n", api.PodRunning, ""), at(510))
	<-tr.all
	got := tr.result()
	want := result{startup: []time.Duration{300 * time.Millisecond, 500 * time.Millisecond},
		bind: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}, allRun: 510 * time.Millisecond, creating: 10 * time.Millisecond}
	sortResult(&got)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	figs := got.figures(2, 20, 30)
	names := map[string]float64{}
	for _, f := range figs {
		names[f.Name] = f.Value
	}
	for name, v := range map[string]float64{"podstart_n2_p50_ms": 300, "podstart_n2_p99_ms": 500, "podstart_n2_all_running_ms": 510,
		"podstart_n2_bound_p50_ms": 100, "agent_rss_idle": 20, "podstart_n2_agent_rss": 30} {
		if names[name] != v {
			t.Errorf("figure %s = %v, want %v (all: %v)", name, names[name], v, figs)
		}
	}
}

func sortResult(r *result) {
	slices.Sort(r.startup)
	slices.Sort(r.bind)
}

func TestConfigValidate(t *testing.T) {
	good := Config{BinDir: "bin", ImageScript: "hack/images/busybox.sh", Image: DefaultImage, Pods: 50, Timeout: time.Minute}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate() of a good config = %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"no bin":     func(c *Config) { c.BinDir = "" },
		"no image":   func(c *Config) { c.ImageScript, c.ImageArchive = "", "" },
		"no ref":     func(c *Config) { c.Image = "" },
		"no pods":    func(c *Config) { c.Pods = 0 },
		"no timeout": func(c *Config) { c.Timeout = 0 },
	} {
		c := good
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", name)
		}
	}
}
