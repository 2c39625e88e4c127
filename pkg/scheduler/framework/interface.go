// Package framework defines the scheduler's extension points and the read-only
// view of the cluster that plugins decide from. A scheduling cycle for one pod
// runs, in order:
//
//	PreFilter → Filter (every node, in parallel) → PostFilter (only if no node fits)
//	→ PreScore → Score → NormalizeScore → Reserve → Bind (asynchronously)
//
// Plugins are small types; each implements Plugin and one or more of the
// extension-point interfaces below, which the runtime finds by type assertion.
// Plugins never do I/O in Filter or Score: they read the Snapshot in the
// CycleState, which does not change during the cycle.
package framework

import (
	"context"
	"fmt"
	"strings"

	"skiff/pkg/api"
)

// Code is the outcome of a plugin call.
type Code int

const (
	// Success: the node passes, or the step succeeded.
	Success Code = iota
	// Unschedulable: the pod does not fit now, but may after the cluster changes
	// (or after preemption frees room).
	Unschedulable
	// UnschedulableAndUnresolvable: the pod cannot fit on this node however the
	// node's pods change (wrong labels, a taint it does not tolerate); preemption
	// skips such nodes.
	UnschedulableAndUnresolvable
	// Error: something went wrong that is not the pod's fault.
	Error
	// Skip: from PreFilter or PreScore, the plugin has nothing to do for this pod,
	// so its Filter or Score is not called.
	Skip
)

func (c Code) String() string {
	switch c {
	case Success:
		return "Success"
	case Unschedulable:
		return "Unschedulable"
	case UnschedulableAndUnresolvable:
		return "UnschedulableAndUnresolvable"
	case Error:
		return "Error"
	case Skip:
		return "Skip"
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Status is what a plugin says. A nil *Status means Success. Reasons are short,
// user-facing sentences in Kubernetes' words ("Insufficient cpu", "node(s) didn't
// match Pod's node affinity/selector"); the same reason from many nodes is
// counted in the FailedScheduling summary.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// NewStatus returns a status with a code and reasons.
func NewStatus(code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps an internal error.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// Code returns the status's code; a nil status is Success.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// IsSuccess reports whether s is nil or Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether s is Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether s says the pod does not fit.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// Reasons returns the user-facing reasons.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	return s.reasons
}

// Message joins the reasons.
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// Err returns the internal error of an Error status.
func (s *Status) Err() error {
	if s == nil {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	if s.code == Error {
		return fmt.Errorf("%s", s.Message())
	}
	return nil
}

// Plugin names the plugin that returned s (set by the runtime).
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// WithPlugin records which plugin returned s and returns s.
func (s *Status) WithPlugin(name string) *Status {
	if s != nil {
		s.plugin = name
	}
	return s
}

// MaxNodeScore is the highest score a Score plugin (after normalizing) gives;
// scores run from MinNodeScore to MaxNodeScore.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is anything the framework can run; Name is its name in the config.
type Plugin interface {
	Name() string
}

// QueueSortPlugin orders the active queue. Exactly one is enabled per scheduler.
type QueueSortPlugin interface {
	Plugin
	// Less reports whether a should be scheduled before b.
	Less(a, b *QueuedPodInfo) bool
}

// PreFilterPlugin runs once per cycle before any Filter, typically to compute
// what its Filter needs into the CycleState. Unschedulable rejects the pod on
// every node; Skip means its Filter need not run for this pod.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *api.Pod) *Status
}

// FilterPlugin says whether the pod may run on one node. It is called
// concurrently for different nodes and must not change shared state.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *api.Pod, node *NodeInfo) *Status
}

// PostFilterPlugin runs when no node passed the filters, for example to preempt
// lower-priority pods. It returns the node the pod is nominated to, if any.
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *api.Pod, filtered NodeToStatus) (nominatedNode string, status *Status)
}

// PreScorePlugin runs once before Score with the nodes that passed filtering.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks a node that passed filtering. It is called concurrently for
// different nodes. Scores must be in [MinNodeScore, MaxNodeScore] unless the
// plugin is also a ScoreNormalizer.
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *api.Pod, node *NodeInfo) (int64, *Status)
}

// ScoreNormalizer is a ScorePlugin that rescales all its scores at once, after
// every node was scored, into [MinNodeScore, MaxNodeScore].
type ScoreNormalizer interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *api.Pod, scores NodeScoreList) *Status
}

// ReservePlugin is told when the scheduler assumes the pod on a node (Reserve),
// and when that is undone because a later step failed (Unreserve).
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string)
}

// BindPlugin binds the pod to the node in the apiserver. It runs outside the
// scheduling cycle, so the next pod is scheduled meanwhile. Skip passes the pod
// to the next BindPlugin.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status
}

// NodeScore is one node's score.
type NodeScore struct {
	Name  string
	Score int64
}

// NodeScoreList is the scores of one plugin for every feasible node.
type NodeScoreList []NodeScore

// NodeToStatus is why each node was rejected, by node name.
type NodeToStatus map[string]*Status

// QueuedPodInfo is a pod waiting in the scheduling queue.
type QueuedPodInfo struct {
	Pod *api.Pod
	// Timestamp is when the pod was added to the queue (or last moved back to it).
	Timestamp int64 // unix nanoseconds
	// Attempts counts scheduling attempts so far.
	Attempts int
}

// DefaultNormalizeScore scales scores so the highest becomes MaxNodeScore; with
// reverse, the lowest raw score gets MaxNodeScore instead (for plugins that
// count something bad, like intolerable taints). All-zero scores stay 0, or
// all become MaxNodeScore with reverse.
func DefaultNormalizeScore(reverse bool, scores NodeScoreList) {
	var highest int64
	for _, s := range scores {
		highest = max(highest, s.Score)
	}
	for i := range scores {
		s := int64(0)
		if highest > 0 {
			s = MaxNodeScore * scores[i].Score / highest
		}
		if reverse {
			s = MaxNodeScore - s
		}
		scores[i].Score = s
	}
}
