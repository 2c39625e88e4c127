package nodelifecycle

import (
	"testing"
	"time"

	"skiff/pkg/api"
)

// TestNodeGoesSilentAndComesBack walks one node through its life on a fake
// clock, applying each plan as the controller would write it: silent past the
// grace period, tainted unreachable, its pods evicted on their tolerations'
// schedules, then back.
func TestNodeGoesSilentAndComesBack(t *testing.T) {
	o := Options{MonitorGracePeriod: 40 * time.Second, StartupGracePeriod: time.Minute, MonitorPeriod: 5 * time.Second}
	h := newHeartbeats()
	remote := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC) // the node's clock, far off
	node := makeNode("n1").cond(api.NodeReady, api.ConditionTrue).obj()
	node.Status.Conditions[0].LastHeartbeatTime = api.NewTime(remote)
	lease := remote

	pods := map[string]*api.Pod{
		"notReadyOnly": makePod("notReadyOnly", "n1").tolerate(taintNotReady, api.TaintEffectNoExecute).obj(),
		"tolerates1s":  makePod("tolerates1s", "n1").tolerate(taintUnreachable, api.TaintEffectNoExecute, 1).obj(),
		"tolerates5m":  makePod("tolerates5m", "n1").tolerate(taintUnreachable, api.TaintEffectNoExecute, 300).obj(),
		"forever":      makePod("forever", "n1").tolerate(taintUnreachable, api.TaintEffectNoExecute).obj(),
	}

	// reconcile is one pass of the controller at t0+d: observe, plan, "write".
	reconcile := func(d time.Duration) nodePlan {
		now := at(d)
		var ready time.Time
		if c := condition(&node.Status, api.NodeReady); c != nil {
			ready = c.LastHeartbeatTime.Time
		}
		p := planNode(node, h.observe("n1", ready, lease, now), o, now)
		node = p.node
		return p
	}
	evictions := func(d time.Duration) map[string]time.Duration {
		out := map[string]time.Duration{}
		for name, p := range pods {
			if when, ok := evictionTime(p, node.Spec.Taints, at(d)); ok {
				out[name] = when.Sub(t0)
			}
		}
		return out
	}

	// The agent renews its Lease every 10 s until t0+20s.
	for d := time.Duration(0); d <= 20*time.Second; d += 5 * time.Second {
		if d%(10*time.Second) == 0 {
			lease = remote.Add(d)
		}
		if p := reconcile(d); p.statusChanged || p.taintsChanged {
			t.Fatalf("t0+%v: healthy node changed: %+v", d, p)
		}
	}
	// Silent since t0+20s: still within the 40 s grace at t0+60s.
	if p := reconcile(60 * time.Second); p.statusChanged {
		t.Fatalf("t0+60s (40 s silent): marked Unknown before the grace period ran out")
	}
	p := reconcile(65 * time.Second)
	if !p.statusChanged || !p.becameNotReady || !p.taintsChanged {
		t.Fatalf("t0+65s (45 s silent): plan %+v, want Unknown, became not ready, tainted", p)
	}
	if got := readyStatus(&node.Status); got != api.ConditionUnknown {
		t.Fatalf("Ready = %s, want Unknown", got)
	}
	if !hasTaint(node, taintUnreachable, api.TaintEffectNoExecute) || !hasTaint(node, taintUnreachable, api.TaintEffectNoSchedule) {
		t.Fatalf("taints %v, want unreachable NoExecute and NoSchedule", taintStrings(node.Spec.Taints))
	}
	if p := reconcile(70 * time.Second); p.statusChanged || p.taintsChanged {
		t.Fatalf("t0+70s: nothing more to write, got %+v", p)
	}

	got := evictions(65 * time.Second)
	// The taints were added at t0+65s exactly; tolerations count from the end of that second.
	want := map[string]time.Duration{"notReadyOnly": 65 * time.Second, "tolerates1s": 67 * time.Second, "tolerates5m": 366 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("evictions %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("pod %s evicted at t0+%v, want t0+%v", name, got[name], w)
		}
	}

	// The agent comes back at t0+120s: new Lease, Ready=True.
	lease = remote.Add(2 * time.Minute)
	node.Status.Conditions[0] = api.NodeCondition{Type: api.NodeReady, Status: api.ConditionTrue, LastHeartbeatTime: api.NewTime(remote.Add(2 * time.Minute))}
	p = reconcile(120 * time.Second)
	if p.statusChanged || !p.taintsChanged {
		t.Fatalf("t0+120s: plan %+v, want taints removed only", p)
	}
	if len(node.Spec.Taints) != 0 {
		t.Errorf("taints %v after recovery, want none", taintStrings(node.Spec.Taints))
	}
	if got := evictions(120 * time.Second); len(got) != 0 {
		t.Errorf("evictions %v after recovery, want none (the 5-minute one is cancelled)", got)
	}

	// The agent reports Ready=False but keeps heartbeating: not-ready, not
	// Unknown. Pods that tolerate only unreachable go at once.
	lease = remote.Add(130 * time.Second)
	node.Status.Conditions[0].Status = api.ConditionFalse
	p = reconcile(130 * time.Second)
	if p.statusChanged || !hasTaint(node, taintNotReady, api.TaintEffectNoExecute) || hasTaint(node, taintUnreachable, api.TaintEffectNoExecute) {
		t.Fatalf("Ready=False: plan %+v, taints %v; want not-ready only", p, taintStrings(node.Spec.Taints))
	}
	got = evictions(130 * time.Second)
	for _, name := range []string{"tolerates1s", "tolerates5m", "forever"} {
		if got[name] != 130*time.Second {
			t.Errorf("Ready=False: pod %s (tolerates only unreachable) evicted at t0+%v, want at once (t0+130s)", name, got[name])
		}
	}
	if _, ok := got["notReadyOnly"]; ok {
		t.Errorf("Ready=False: pod notReadyOnly (tolerates not-ready forever) evicted, want kept")
	}
}

// TestNewNodeStartupGrace: a node that never posts Ready gets the startup grace
// period, then its conditions are added as never updated.
func TestNewNodeStartupGrace(t *testing.T) {
	o := Options{MonitorGracePeriod: 40 * time.Second, StartupGracePeriod: time.Minute}
	h := newHeartbeats()
	node := makeNode("n1").obj()
	if p := planNode(node, h.observe("n1", time.Time{}, time.Time{}, at(0)), o, at(0)); p.statusChanged {
		t.Fatal("new node marked at once")
	}
	if p := planNode(node, h.observe("n1", time.Time{}, time.Time{}, at(50*time.Second)), o, at(50*time.Second)); p.statusChanged {
		t.Fatal("new node marked within the startup grace period")
	}
	p := planNode(node, h.observe("n1", time.Time{}, time.Time{}, at(61*time.Second)), o, at(61*time.Second))
	if !p.statusChanged || p.becameNotReady {
		t.Fatalf("plan %+v, want marked Unknown, not \"became not ready\" (it never was ready)", p)
	}
	if c := condition(&p.node.Status, api.NodeReady); c == nil || c.Reason != reasonStatusNeverUpdated {
		t.Fatalf("Ready condition %+v, want reason %s", c, reasonStatusNeverUpdated)
	}
	if !hasTaint(p.node, taintUnreachable, api.TaintEffectNoExecute) {
		t.Errorf("taints %v, want unreachable NoExecute", taintStrings(p.node.Spec.Taints))
	}
}

func hasTaint(n *api.Node, key, effect string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}
