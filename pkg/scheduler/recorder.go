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
}

type verdict struct {
	pod       *api.Pod
	breakdown *whypending.Breakdown
	at        time.Time
}

func newRecorder(c *client.Client, log *slog.Logger) *recorder {
	return &recorder{c: c, log: log, pending: map[string]verdict{}, written: map[string]verdict{}, wake: make(chan struct{}, 1)}
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

// Run writes queued verdicts until ctx ends.
func (r *recorder) Run(ctx context.Context) {
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
	ev := &api.Event{
		ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("%s.%x", p.Name, v.at.UnixNano()), Namespace: p.Namespace},
		InvolvedObject: api.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name,
			UID: p.UID, ResourceVersion: p.ResourceVersion},
		Reason: "FailedScheduling", Message: v.breakdown.Summary, Type: "Warning", Count: 1,
		Source:         api.EventSource{Component: api.DefaultSchedulerName},
		FirstTimestamp: api.NewTime(v.at), LastTimestamp: api.NewTime(v.at),
	}
	if _, err := client.Events(r.c, p.Namespace).Create(ctx, ev); err != nil && ctx.Err() == nil {
		r.log.Debug("could not record a FailedScheduling event", "pod", client.KeyOf(p), "err", err)
	}
}

// equalJSON compares two values by their JSON form.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
