package nodelifecycle

import (
	"sync"
	"time"

	"skiff/pkg/api"
)

// Reasons and messages of the conditions the controller sets, as Kubernetes'.
const (
	reasonStatusUnknown      = "NodeStatusUnknown"
	messageStatusUnknown     = "Kubelet stopped posting node status."
	reasonStatusNeverUpdated = "NodeStatusNeverUpdated"
	messageNeverUpdated      = "Kubelet never posted node status."
)

// unknownConditions are the conditions that turn Unknown when a node goes silent.
var unknownConditions = []string{api.NodeReady, api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure}

// heartbeats remembers, per node, the heartbeat values last seen and the local
// time at which one of them last changed. Only that local time is compared with
// the local clock: the timestamps a node writes come from its own clock, which
// may be off by any amount.
type heartbeats struct {
	mu    sync.Mutex
	nodes map[string]*heartbeat
}

type heartbeat struct {
	ready  time.Time // the Ready condition's lastHeartbeatTime, as last seen
	lease  time.Time // the node Lease's spec.renewTime, as last seen
	probed time.Time // local time of the last change, or of the first sighting
}

func newHeartbeats() *heartbeats { return &heartbeats{nodes: map[string]*heartbeat{}} }

// observe records the node's current heartbeat values, seen at now, and returns
// the local time of its latest heartbeat. A node seen for the first time counts
// as having just beaten, as in Kubernetes, so a restarted controller gives every
// node a full grace period. A value that disappears (a deleted Lease) is not a
// heartbeat.
func (h *heartbeats) observe(node string, ready, lease, now time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	hb, ok := h.nodes[node]
	if !ok {
		h.nodes[node] = &heartbeat{ready: ready, lease: lease, probed: now}
		return now
	}
	if (!ready.IsZero() && !ready.Equal(hb.ready)) || (!lease.IsZero() && !lease.Equal(hb.lease)) {
		hb.probed = now
	}
	hb.ready, hb.lease = ready, lease
	return hb.probed
}

// forget drops a deleted node.
func (h *heartbeats) forget(node string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.nodes, node)
}

// condition returns the condition of type typ, or nil.
func condition(s *api.NodeStatus, typ string) *api.NodeCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == typ {
			return &s.Conditions[i]
		}
	}
	return nil
}

// readyStatus is the status of the Ready condition, or "" when there is none.
func readyStatus(s *api.NodeStatus) string {
	if c := condition(s, api.NodeReady); c != nil {
		return c.Status
	}
	return ""
}

// gracePeriod is how long the node may be silent before it is marked Unknown.
func (o Options) gracePeriod(n *api.Node) time.Duration {
	if condition(&n.Status, api.NodeReady) == nil {
		return o.StartupGracePeriod
	}
	return o.MonitorGracePeriod
}

// markUnknown sets Ready, MemoryPressure, DiskPressure and PIDPressure to
// Unknown, as the Kubernetes node lifecycle controller does for a node whose
// agent went silent, and reports whether anything changed. lastHeartbeatTime is
// left alone: it is the node's to write, and a change to it would read as a
// heartbeat.
func markUnknown(s *api.NodeStatus, now time.Time) bool {
	changed := false
	for _, typ := range unknownConditions {
		c := condition(s, typ)
		if c == nil {
			s.Conditions = append(s.Conditions, api.NodeCondition{
				Type: typ, Status: api.ConditionUnknown, Reason: reasonStatusNeverUpdated, Message: messageNeverUpdated,
				LastTransitionTime: api.NewTime(now),
			})
			changed = true
			continue
		}
		if c.Status != api.ConditionUnknown {
			c.Status, c.Reason, c.Message = api.ConditionUnknown, reasonStatusUnknown, messageStatusUnknown
			c.LastTransitionTime = api.NewTime(now)
			changed = true
		}
	}
	return changed
}
