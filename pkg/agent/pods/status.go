package pods

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// Condition reasons.
const (
	ReasonContainersNotInitialized = "ContainersNotInitialized"
	ReasonContainersNotReady       = "ContainersNotReady"
	ReasonPodCompleted             = "PodCompleted"
	ReasonReadinessGatesNotReady   = "ReadinessGatesNotReady"
)

// ownedConditions are the condition types the node agent sets; others in
// the API (readiness gates, DisruptionTarget) are kept as they are.
var ownedConditions = map[string]bool{
	api.PodScheduled: true, api.PodInitialized: true, api.ContainersReady: true, api.PodReady: true,
}

// buildStatus computes the pod's status from what the worker knows. final
// says the pod's containers were all stopped for good (deletion, deadline):
// the phase is then Succeeded or Failed.
func (w *worker) buildStatus(pod *api.Pod, final bool) api.PodStatus {
	prev := pod.Status
	if w.lastStatus != nil {
		prev = *w.lastStatus
	}
	start := apiTime(w.startTime)
	st := api.PodStatus{
		StartTime: &start,
		QOSClass:  pod.Status.QOSClass,
		Reason:    w.podReason,
		Message:   w.podMessage,
	}
	if st.QOSClass == "" {
		st.QOSClass = api.QOSClass(&pod.Spec)
	}
	if ip := w.m.deps.NodeIP; ip != "" {
		st.HostIP, st.HostIPs = ip, []api.HostIP{{IP: ip}}
	}
	if w.podIP != "" {
		st.PodIP, st.PodIPs = w.podIP, []api.PodIP{{IP: w.podIP}}
	}
	for i := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, w.containerStatus(pod, &pod.Spec.InitContainers[i], true, final))
	}
	for i := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, w.containerStatus(pod, &pod.Spec.Containers[i], false, final))
	}
	st.Phase = podPhase(pod, &st, final)
	if w.podReason == ReasonDeadlineExceeded {
		st.Phase = api.PodFailed
	}
	st.Conditions = conditions(pod, &st, prev.Conditions, w.now())
	return st
}

// containerStatus reports one container as Kubernetes does.
func (w *worker) containerStatus(pod *api.Pod, c *api.Container, init, final bool) api.ContainerStatus {
	cs := w.containers[c.Name]
	notStarted := false
	out := api.ContainerStatus{Name: c.Name, Image: c.Image, Started: &notStarted}
	if cs != nil && cs.image.Ref != "" {
		out.Image, out.ImageID = cs.image.Ref, imageID(cs.image)
	}
	if cs == nil || cs.cur == nil {
		if init && w.initDone {
			// Completed before the agent restarted and since removed.
			for _, s := range pod.Status.InitContainerStatuses {
				if s.Name == c.Name {
					return s
				}
			}
			out.State.Terminated = &api.ContainerStateTerminated{Reason: runtime.ReasonCompleted}
			out.Ready = true
			return out
		}
		reason, msg := ReasonContainerCreating, ""
		if len(pod.Spec.InitContainers) > 0 {
			reason = ReasonPodInitializing
		}
		switch {
		case cs != nil && cs.waitReason != "":
			reason, msg = cs.waitReason, cs.waitMessage
		case w.podErr != nil:
			msg = w.podErr.Error()
		}
		out.State.Waiting = &api.ContainerStateWaiting{Reason: reason, Message: msg}
		return out
	}
	cur := cs.cur
	out.ContainerID = w.m.containerID(cur.id)
	out.RestartCount = int32(cur.attempt)
	if cs.image.Ref == "" && cur.image != "" {
		out.Image = cur.image
	}
	if cs.prev != nil {
		out.LastState.Terminated = w.terminated(cs.prev)
	}
	switch {
	case !cur.exited():
		out.State.Running = &api.ContainerStateRunning{StartedAt: apiTime(cur.st.StartedAt)}
		started, ready := true, false
		if !init {
			started, ready = w.probeState(c, cs)
		}
		out.Started, out.Ready = &started, started && ready
	case cs.waitReason != "" && !final:
		out.State.Waiting = &api.ContainerStateWaiting{Reason: cs.waitReason, Message: cs.waitMessage}
		out.LastState.Terminated = w.terminated(cur)
	default:
		out.State.Terminated = w.terminated(cur)
		out.Ready = init && cur.st.ExitCode == 0
	}
	return out
}

// probeState is whether a running container has started (startup probe)
// and is ready (readiness probe).
func (w *worker) probeState(c *api.Container, cs *ctrState) (started, ready bool) {
	if cs.probes != nil && cs.probesFor == cs.cur.id {
		r := cs.probes.results()
		return r.started, r.ready
	}
	started, ready = c.StartupProbe == nil, c.ReadinessProbe == nil
	if s := cs.seed; s != nil {
		started = started || (s.Started != nil && *s.Started)
		ready = ready || s.Ready
	}
	return started, ready
}

func (w *worker) terminated(inst *instance) *api.ContainerStateTerminated {
	reason := inst.st.Reason
	if reason == "" {
		reason = runtime.ReasonError
		if inst.st.ExitCode == 0 {
			reason = runtime.ReasonCompleted
		}
	}
	return &api.ContainerStateTerminated{
		ExitCode:    inst.st.ExitCode,
		Reason:      reason,
		StartedAt:   apiTime(inst.st.StartedAt),
		FinishedAt:  apiTime(inst.st.FinishedAt),
		ContainerID: w.m.containerID(inst.id),
	}
}

// podPhase is the kubelet's getPhase over the container statuses. final: all
// containers were stopped for good, so the pod is Succeeded if every
// container completed and Failed otherwise.
func podPhase(pod *api.Pod, st *api.PodStatus, final bool) string {
	pendingInit, failedInit := 0, 0
	for _, s := range st.InitContainerStatuses {
		switch {
		case s.State.Running != nil:
			pendingInit++
		case s.State.Terminated != nil:
			if s.State.Terminated.ExitCode != 0 {
				failedInit++
			}
		case s.State.Waiting != nil && s.LastState.Terminated != nil:
			if s.LastState.Terminated.ExitCode != 0 {
				failedInit++
			}
		default:
			pendingInit++
		}
	}
	running, waiting, stopped, succeeded := 0, 0, 0, 0
	for _, s := range st.ContainerStatuses {
		switch {
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			if s.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case s.LastState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	policy := pod.Spec.RestartPolicy
	if failedInit > 0 && policy == api.RestartPolicyNever {
		return api.PodFailed
	}
	if final {
		if len(st.ContainerStatuses) > 0 && succeeded == len(st.ContainerStatuses) {
			return api.PodSucceeded
		}
		return api.PodFailed
	}
	switch {
	case pendingInit > 0, waiting > 0:
		return api.PodPending
	case running > 0:
		return api.PodRunning
	case stopped > 0:
		switch {
		case policy == api.RestartPolicyAlways || policy == "":
			return api.PodRunning // restarting
		case stopped == succeeded:
			return api.PodSucceeded
		case policy == api.RestartPolicyNever:
			return api.PodFailed
		}
		return api.PodRunning // OnFailure: restarting the failed ones
	}
	return api.PodPending
}

// conditions computes the conditions the agent owns, in the kubelet's
// order. A condition keeps its lastTransitionTime from prev unless its
// status changed.
func conditions(pod *api.Pod, st *api.PodStatus, prev []api.PodCondition, now time.Time) []api.PodCondition {
	var incomplete, unready []string
	for _, s := range st.InitContainerStatuses {
		if s.State.Terminated == nil || s.State.Terminated.ExitCode != 0 {
			incomplete = append(incomplete, s.Name)
		}
	}
	for _, s := range st.ContainerStatuses {
		if !s.Ready {
			unready = append(unready, s.Name)
		}
	}
	cond := func(typ, status, reason, msg string) api.PodCondition {
		t := apiTime(now)
		if p := findCondition(prev, typ); p != nil && p.Status == status && !p.LastTransitionTime.IsZero() {
			t = p.LastTransitionTime
		}
		return api.PodCondition{Type: typ, Status: status, Reason: reason, Message: msg, LastTransitionTime: t}
	}
	names := func(n []string) string { return "[" + strings.Join(n, " ") + "]" }

	initialized := cond(api.PodInitialized, api.ConditionTrue, "", "")
	if len(incomplete) > 0 {
		initialized = cond(api.PodInitialized, api.ConditionFalse, ReasonContainersNotInitialized,
			"containers with incomplete status: "+names(incomplete))
	}
	var containersReady, ready api.PodCondition
	switch {
	case st.Phase == api.PodSucceeded:
		containersReady = cond(api.ContainersReady, api.ConditionFalse, ReasonPodCompleted, "")
		ready = cond(api.PodReady, api.ConditionFalse, ReasonPodCompleted, "")
	case len(unready) > 0:
		msg := "containers with unready status: " + names(unready)
		containersReady = cond(api.ContainersReady, api.ConditionFalse, ReasonContainersNotReady, msg)
		ready = cond(api.PodReady, api.ConditionFalse, ReasonContainersNotReady, msg)
	default:
		containersReady = cond(api.ContainersReady, api.ConditionTrue, "", "")
		ready = cond(api.PodReady, api.ConditionTrue, "", "")
		if msg := unmetReadinessGates(pod); msg != "" {
			ready = cond(api.PodReady, api.ConditionFalse, ReasonReadinessGatesNotReady, msg)
		}
	}
	return []api.PodCondition{initialized, ready, containersReady, cond(api.PodScheduled, api.ConditionTrue, "", "")}
}

// unmetReadinessGates says which readiness gates are not True ("" if none).
func unmetReadinessGates(pod *api.Pod) string {
	var msgs []string
	for _, g := range pod.Spec.ReadinessGates {
		c := findCondition(pod.Status.Conditions, g.ConditionType)
		switch {
		case c == nil:
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType))
		case c.Status != api.ConditionTrue:
			msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %s", g.ConditionType, c.Status))
		}
	}
	return strings.Join(msgs, ", ")
}

func findCondition(conds []api.PodCondition, typ string) *api.PodCondition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// MergeStatus returns status as it should replace old in the API: conditions
// of types the node agent does not own (readiness gates, DisruptionTarget)
// and nominatedNodeName are kept from old, and a condition whose status did
// not change keeps old's lastTransitionTime.
func MergeStatus(old, status api.PodStatus) api.PodStatus {
	out := status
	out.Conditions = make([]api.PodCondition, 0, len(status.Conditions)+len(old.Conditions))
	for _, c := range status.Conditions {
		if o := findCondition(old.Conditions, c.Type); o != nil && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
			c.LastTransitionTime = o.LastTransitionTime
		}
		out.Conditions = append(out.Conditions, c)
	}
	for _, o := range old.Conditions {
		if !ownedConditions[o.Type] && findCondition(status.Conditions, o.Type) == nil {
			out.Conditions = append(out.Conditions, o)
		}
	}
	if out.NominatedNodeName == "" {
		out.NominatedNodeName = old.NominatedNodeName
	}
	if out.StartTime == nil {
		out.StartTime = old.StartTime
	}
	return out
}

// apiTime is t as the API keeps it: UTC, whole seconds.
func apiTime(t time.Time) api.Time {
	if t.IsZero() {
		return api.Time{}
	}
	return api.NewTime(t.UTC().Truncate(time.Second))
}

// jsonEqual compares two values as the API would store them.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
