package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/whypending"
)

// rewriteAfter is how often an unchanged verdict is written again, so the
// PodScheduled condition and the Event stay fresh without a write per attempt.
const rewriteAfter = time.Minute

// recorder tells users why pods are pending: for each pod that fits nowhere it
// patches the PodScheduled=False condition (with the Kubernetes summary) and
// the whypending annotation (the per-node breakdown) in one write to
// pods/status, and records a FailedScheduling Event. Writes happen on a worker,
// latest verdict per pod, so a burst of failures never slows scheduling.
type recorder struct {
	c   *client.Client
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]verdict // by pod key, waiting to be written
	written map[string]verdict // by pod key, last written
	wake    chan struct{}
	// scheduled holds "Successfully assigned" events to write. Events are
	// best effort: when it is full (a burst of thousands of pods), more are
	// dropped rather than slowing scheduling, as client-go's recorder does.
	scheduled chan *api.Event
}

// maxQueuedEvents bounds the Scheduled events waiting to be written.
const maxQueuedEvents = 1000

type verdict struct {
	pod       *api.Pod
	breakdown *whypending.Breakdown
	at        time.Time
}

func newRecorder(c *client.Client, log *slog.Logger) *recorder {
	return &recorder{c: c, log: log, pending: map[string]verdict{}, written: map[string]verdict{}, wake: make(chan struct{}, 1),
		scheduled: make(chan *api.Event, maxQueuedEvents)}
}

// Unschedulable queues the verdict for a pod that fits nowhere.
func (r *recorder) Unschedulable(p *api.Pod, fe *framework.FitError) {
	now := time.Now()
	v := verdict{pod: p, breakdown: whypending.FromDiagnosis(fe.Diagnosis, now), at: now}
	key := client.KeyOf(p)
	r.mu.Lock()
	last, seen := r.written[key]
	if seen && last.breakdown.Summary == v.breakdown.Summary && now.Sub(last.at) < rewriteAfter && last.pod.UID == p.UID {
		r.mu.Unlock()
		return
	}
	r.pending[key] = v
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Scheduled records that a pod was bound (the Event kubectl describe shows).
func (r *recorder) Scheduled(p *api.Pod, node string) {
	now := time.Now()
	ev := newEvent(p, now, "Normal", "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, node))
	select {
	case r.scheduled <- ev:
	default:
	}
	r.mu.Lock()
	delete(r.written, client.KeyOf(p))
	r.mu.Unlock()
}

// Run writes queued verdicts and events until ctx ends.
func (r *recorder) Run(ctx context.Context) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-r.scheduled:
				if _, err := client.Events(r.c, ev.Namespace).Create(ctx, ev); err != nil && ctx.Err() == nil {
					r.log.Debug("could not record a Scheduled event", "pod", ev.InvolvedObject.Name, "err", err)
				}
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		for {
			r.mu.Lock()
			var key string
			var v verdict
			for key, v = range r.pending {
				break
			}
			if key == "" {
				r.mu.Unlock()
				break
			}
			delete(r.pending, key)
			r.written[key] = v
			if len(r.written) > 100_000 {
				clear(r.written) // bound memory; at worst some verdicts are written twice
			}
			r.mu.Unlock()
			r.write(ctx, v)
		}
	}
}

func (r *recorder) write(ctx context.Context, v verdict) {
	p := v.pod
	patch := map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{whypending.Annotation: v.breakdown.Encode()}},
		"status": map[string]any{"conditions": []api.PodCondition{{
			Type: api.PodScheduled, Status: api.ConditionFalse, Reason: "Unschedulable",
			Message: v.breakdown.Summary, LastTransitionTime: api.NewTime(v.at),
		}}},
	}
	data, _ := json.Marshal(patch)
	if _, err := client.Pods(r.c, p.Namespace).Patch(ctx, p.Name, "application/strategic-merge-patch+json", data, "status"); err != nil && ctx.Err() == nil {
		r.log.Debug("could not record why a pod is pending", "pod", client.KeyOf(p), "err", err)
	}
	ev := newEvent(p, v.at, "Warning", "FailedScheduling", v.breakdown.Summary)
	if _, err := client.Events(r.c, p.Namespace).Create(ctx, ev); err != nil && ctx.Err() == nil {
		r.log.Debug("could not record a FailedScheduling event", "pod", client.KeyOf(p), "err", err)
	}
}

// newEvent is an Event about pod from the scheduler.
func newEvent(p *api.Pod, at time.Time, typ, reason, message string) *api.Event {
	return &api.Event{
		ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("%s.%x", p.Name, at.UnixNano()), Namespace: p.Namespace},
		InvolvedObject: api.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name,
			UID: p.UID, ResourceVersion: p.ResourceVersion},
		Reason: reason, Message: message, Type: typ, Count: 1,
		Source:         api.EventSource{Component: api.DefaultSchedulerName},
		FirstTimestamp: api.NewTime(at), LastTimestamp: api.NewTime(at),
	}
}

// equalJSON compares two values by their JSON form.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
