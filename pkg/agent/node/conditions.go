package node

import (
	"fmt"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// Condition reasons. They are the kubelet's, so tools and documentation that
// know Kubernetes read them unchanged; the messages name the node agent.
const (
	ReasonReady                 = "KubeletReady"
	ReasonNotReady              = "KubeletNotReady"
	ReasonSufficientMemory      = "KubeletHasSufficientMemory"
	ReasonInsufficientMemory    = "KubeletHasInsufficientMemory"
	ReasonNoDiskPressure        = "KubeletHasNoDiskPressure"
	ReasonDiskPressure          = "KubeletHasDiskPressure"
	ReasonSufficientPID         = "KubeletHasSufficientPID"
	ReasonInsufficientPID       = "KubeletHasInsufficientPID"
	ReasonNetworkPluginNotReady = "NetworkPluginNotReady"
	// ReasonNetworkReady is NetworkUnavailable=False's reason, once the pod
	// network is configured (the kubelet leaves this condition to network
	// plugins, which use their own reasons, such as "CalicoIsUp").
	ReasonNetworkReady = "NetworkReady"
)

// Pressure thresholds: below these the pressure conditions turn True. Memory
// and disk are the kubelet's default hard eviction thresholds
// (memory.available<100Mi, nodefs.available<10%); the kubelet has no default
// PID threshold, 10% of pid_max is Skiff's.
var memoryAvailableThreshold = resource.MustParse("100Mi")

const (
	diskAvailablePercent = 10
	pidAvailablePercent  = 10
)

// checkResult is the outcome of one readiness check.
type checkResult struct {
	ok              bool
	reason, message string
}

// observation is what the conditions are computed from.
type observation struct {
	// runtimeErr is the error of the runtime's Version call.
	runtimeErr error
	// network is the pod network check; nil when there is none.
	network *checkResult
	// ready is the extra readiness check; nil when there is none.
	ready *checkResult
	// facts are the host's; nil when they could not be read, and then the
	// pressure conditions keep what they said.
	facts *hostFacts
}

// desiredConditions computes the conditions the node agent owns, without
// times, in the order the kubelet reports them.
func desiredConditions(o observation) []api.NodeCondition {
	var out []api.NodeCondition
	if o.network == nil || o.network.ok {
		out = append(out, api.NodeCondition{Type: api.NodeNetworkUnavailable, Status: api.ConditionFalse,
			Reason: ReasonNetworkReady, Message: "pod network is configured"})
	} else {
		out = append(out, api.NodeCondition{Type: api.NodeNetworkUnavailable, Status: api.ConditionTrue,
			Reason: or(o.network.reason, ReasonNetworkPluginNotReady), Message: o.network.message})
	}
	if f := o.facts; f != nil {
		out = append(out, memoryCondition(f), diskCondition(f), pidCondition(f))
	}

	var reasons, msgs []string
	if o.runtimeErr != nil {
		reasons = append(reasons, ReasonNotReady)
		msgs = append(msgs, "container runtime is down: "+o.runtimeErr.Error())
	}
	if o.network != nil && !o.network.ok {
		reasons = append(reasons, or(o.network.reason, ReasonNetworkPluginNotReady))
		msgs = append(msgs, "container runtime network not ready: "+or(o.network.message, "network is not configured"))
	}
	if o.ready != nil && !o.ready.ok {
		reasons = append(reasons, or(o.ready.reason, ReasonNotReady))
		msgs = append(msgs, or(o.ready.message, "readiness check failed"))
	}
	ready := api.NodeCondition{Type: api.NodeReady, Status: api.ConditionTrue, Reason: ReasonReady,
		Message: "node agent is posting ready status"}
	if len(reasons) > 0 {
		ready.Status, ready.Reason, ready.Message = api.ConditionFalse, reasons[0], strings.Join(msgs, "; ")
	}
	return append(out, ready)
}

// memoryCondition, diskCondition and pidCondition compute the pressure
// conditions. Their messages depend on nothing but the status, so that a
// changing measurement does not count as a change to report.
func memoryCondition(f *hostFacts) api.NodeCondition {
	avail := resource.NewQuantity(f.MemoryAvailableBytes, resource.BinarySI)
	if avail.Cmp(memoryAvailableThreshold) < 0 {
		return api.NodeCondition{Type: api.NodeMemoryPressure, Status: api.ConditionTrue, Reason: ReasonInsufficientMemory,
			Message: "node has less than " + memoryAvailableThreshold.String() + " of memory available"}
	}
	return api.NodeCondition{Type: api.NodeMemoryPressure, Status: api.ConditionFalse, Reason: ReasonSufficientMemory,
		Message: "node agent has sufficient memory available"}
}

func diskCondition(f *hostFacts) api.NodeCondition {
	if f.DiskBytes > 0 && f.DiskAvailableBytes*100 < f.DiskBytes*diskAvailablePercent {
		return api.NodeCondition{Type: api.NodeDiskPressure, Status: api.ConditionTrue, Reason: ReasonDiskPressure,
			Message: fmt.Sprintf("node has less than %d%% of its disk available", diskAvailablePercent)}
	}
	return api.NodeCondition{Type: api.NodeDiskPressure, Status: api.ConditionFalse, Reason: ReasonNoDiskPressure,
		Message: "node agent has no disk pressure"}
}

func pidCondition(f *hostFacts) api.NodeCondition {
	if f.PIDMax > 0 && (f.PIDMax-f.PIDsInUse)*100 < f.PIDMax*pidAvailablePercent {
		return api.NodeCondition{Type: api.NodePIDPressure, Status: api.ConditionTrue, Reason: ReasonInsufficientPID,
			Message: fmt.Sprintf("node has less than %d%% of its process IDs available", pidAvailablePercent)}
	}
	return api.NodeCondition{Type: api.NodePIDPressure, Status: api.ConditionFalse, Reason: ReasonSufficientPID,
		Message: "node agent has sufficient PID available"}
}

// mergeConditions returns current with the desired conditions applied at now:
// every desired condition gets lastHeartbeatTime now, and lastTransitionTime
// now only if its status differs from the current one (or it is new).
// Conditions others own (types not in desired) are kept as they are.
func mergeConditions(current, desired []api.NodeCondition, now api.Time) []api.NodeCondition {
	out := make([]api.NodeCondition, len(current), len(current)+len(desired))
	copy(out, current)
	for _, d := range desired {
		d.LastHeartbeatTime = now
		d.LastTransitionTime = now
		i := conditionIndex(out, d.Type)
		if i < 0 {
			out = append(out, d)
			continue
		}
		if out[i].Status == d.Status && !out[i].LastTransitionTime.IsZero() {
			d.LastTransitionTime = out[i].LastTransitionTime
		}
		out[i] = d
	}
	return out
}

// conditionsChanged reports whether any desired condition differs, in
// anything but its times, from what cur says.
func conditionsChanged(cur, desired []api.NodeCondition) bool {
	for _, d := range desired {
		i := conditionIndex(cur, d.Type)
		if i < 0 || cur[i].Status != d.Status || cur[i].Reason != d.Reason || cur[i].Message != d.Message {
			return true
		}
	}
	return false
}

func conditionIndex(conds []api.NodeCondition, typ string) int {
	for i, c := range conds {
		if c.Type == typ {
			return i
		}
	}
	return -1
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
