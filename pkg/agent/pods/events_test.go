package pods

import (
	"testing"
	"time"

	"skiff/pkg/api"
)

// TestEvents: the agent records what `kubectl describe pod` shows: the image
// present, the container created and started, the crash-loop back-off, a
// failed liveness probe and the kill it causes, and the stop on deletion.
func TestEvents(t *testing.T) {
	h := newHarness(t)
	h.step = time.Second
	script := withExec(h)
	crash := makePod("crash").container(api.Container{Name: "app"}).obj()
	live := makePod("live").container(api.Container{Name: "web", LivenessProbe: execProbe("alive", 1, 1)}).obj()
	h.start(crash, live)

	id := h.waitRunning(crash.UID, "app", 0)
	for _, want := range [][]string{
		{"crash Normal Pulled: Container image", "already present on machine"},
		{"crash Normal Created: Created container app"},
		{"crash Normal Started: Started container app"},
	} {
		h.eventually("event "+want[0], func() bool { return h.events.has(want...) })
	}
	if err := h.rt.Exit(id, 1, false); err != nil {
		t.Fatal(err)
	}
	h.waitRunning(crash.UID, "app", 1) // the first restart is immediate
	cur, _ := h.current(crash.UID, "app")
	if err := h.rt.Exit(cur.ID, 1, false); err != nil {
		t.Fatal(err)
	}
	h.eventually("a BackOff event", func() bool {
		return h.events.has("crash Warning BackOff: Back-off restarting failed container app in pod crash_")
	})

	h.waitRunning(live.UID, "web", 0)
	script.set("alive", 1) // fails from now on: each run is killed in turn
	for _, want := range []string{
		"live Warning Unhealthy: Liveness probe failed: command",
		"live Normal Killing: Container web failed Liveness probe, will be restarted",
	} {
		h.eventually("event "+want, func() bool { return h.events.has(want) })
	}
}
