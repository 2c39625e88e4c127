// Package scheduler binds pending pods to nodes. The decision for one pod is
// made by a framework.Profile from a read-only Snapshot (a pure engine); this
// package is the plumbing around it: informers feed a cache of nodes and pods
// and a queue of pending pods; the loop pops a pod, decides, assumes the pod on
// its node in the cache so the next cycle counts it, and binds in the
// background. See README.md for a diagram.
package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/scheduler/framework"
)

// Scheduler is a running scheduler with one or more profiles.
type Scheduler struct {
	client   *client.Client
	profiles map[string]*framework.Profile
	log      *slog.Logger
	metrics  *Metrics

	cache    *cache
	queue    *queue
	snapshot *framework.Snapshot
	pods     *client.Informer[*api.Pod]
	nodes    *client.Informer[*api.Node]
	// nextStart rotates where filtering starts from cycle to cycle.
	nextStart int
	// recorder writes why pods are pending.
	recorder *recorder
	binding  sync.WaitGroup
}

// New returns a scheduler for profiles (all must share one QueueSort plugin).
func New(c *client.Client, profiles []*framework.Profile, log *slog.Logger, m *Metrics) (*Scheduler, error) {
	if len(profiles) == 0 {
		return nil, errors.New("scheduler: no profiles")
	}
	s := &Scheduler{client: c, profiles: map[string]*framework.Profile{}, log: log, metrics: m,
		cache: newCache(), snapshot: framework.NewEmptySnapshot()}
	for _, p := range profiles {
		if _, dup := s.profiles[p.Name]; dup {
			return nil, fmt.Errorf("scheduler: two profiles named %q", p.Name)
		}
		if p.QueueSort.Name() != profiles[0].QueueSort.Name() {
			return nil, fmt.Errorf("scheduler: profiles %q and %q use different queue sort plugins", profiles[0].Name, p.Name)
		}
		s.profiles[p.Name] = p
	}
	s.queue = newQueue(profiles[0].QueueSort.Less, time.Now)
	s.recorder = newRecorder(c, log)
	s.pods = client.NewInformer(client.Pods(c, ""), client.ListOptions{}, log)
	s.nodes = client.NewInformer(client.Nodes(c), client.ListOptions{}, log)
	s.pods.AddHandler(client.Handler[*api.Pod]{OnAdd: s.addPod, OnUpdate: s.updatePod, OnDelete: s.deletePod})
	s.nodes.AddHandler(client.Handler[*api.Node]{
		OnAdd:    func(n *api.Node) { s.cache.AddNode(n); s.queue.MoveAll() },
		OnUpdate: s.updateNode,
		OnDelete: func(n *api.Node) { s.cache.RemoveNode(n) },
	})
	return s, nil
}

// Run schedules until ctx ends, then waits for bindings in flight.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){s.pods.Run, s.nodes.Run, s.queue.Run, s.recorder.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	defer wg.Wait()
	if !s.pods.WaitForSync(ctx) || !s.nodes.WaitForSync(ctx) {
		return ctx.Err()
	}
	s.log.Info("scheduler caches synced", "nodes", s.cache.NumNodes())
	for ctx.Err() == nil {
		s.scheduleOne(ctx)
	}
	s.binding.Wait()
	return nil
}

// responsible reports whether a pending pod is for one of our profiles.
func (s *Scheduler) responsible(p *api.Pod) bool {
	_, ok := s.profiles[schedulerName(p)]
	return ok
}

func schedulerName(p *api.Pod) string {
	if p.Spec.SchedulerName == "" {
		return api.DefaultSchedulerName
	}
	return p.Spec.SchedulerName
}

func (s *Scheduler) addPod(p *api.Pod) {
	switch {
	case p.Spec.NodeName != "":
		s.cache.SetPod(p)
	case s.responsible(p) && p.DeletionTimestamp == nil:
		s.queue.Add(p)
	}
	s.updateQueueMetrics()
}

func (s *Scheduler) updatePod(old, p *api.Pod) {
	switch {
	case p.Spec.NodeName != "":
		if old.Spec.NodeName == "" {
			s.queue.Delete(p) // bound, by us or by someone else
		}
		s.cache.SetPod(p)
		if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			s.queue.MoveAll() // its resources are free
		}
	case s.responsible(p) && p.DeletionTimestamp == nil:
		s.queue.Update(old, p)
	default:
		s.queue.Delete(p)
	}
	s.updateQueueMetrics()
}

func (s *Scheduler) deletePod(p *api.Pod) {
	if p.Spec.NodeName != "" {
		s.cache.RemovePod(p)
		s.queue.MoveAll()
	} else {
		s.queue.Delete(p)
	}
	s.updateQueueMetrics()
}

func (s *Scheduler) updateNode(old, n *api.Node) {
	s.cache.AddNode(n)
	// Heartbeats change only status conditions and times; only what can let a
	// pod fit wakes the unschedulable ones.
	if n.Spec.Unschedulable != old.Spec.Unschedulable || !equalJSON(n.Spec.Taints, old.Spec.Taints) ||
		!equalJSON(n.Labels, old.Labels) || !equalJSON(n.Status.Allocatable, old.Status.Allocatable) {
		s.queue.MoveAll()
	}
}

// scheduleOne takes one pod through a scheduling cycle.
func (s *Scheduler) scheduleOne(ctx context.Context) {
	qpi, cycle := s.queue.Pop(ctx)
	if qpi == nil {
		return
	}
	pod := qpi.Pod
	if s.cache.IsAssumedOrBound(pod) {
		return
	}
	prof := s.profiles[schedulerName(pod)]
	start := time.Now()
	s.cache.UpdateSnapshot(s.snapshot)
	state := framework.NewCycleState(s.snapshot)
	res, next, err := prof.Schedule(ctx, state, pod, s.nextStart)
	s.nextStart = next
	if err != nil {
		s.fail(ctx, qpi, cycle, err, start)
		return
	}

	// Assume: the next cycle sees the pod on its node while the binding is in flight.
	assumed := *pod
	assumed.Spec.NodeName = res.NodeName
	s.cache.AssumePod(&assumed)
	if st := prof.RunReserve(ctx, state, &assumed, res.NodeName); !st.IsSuccess() {
		s.cache.ForgetPod(&assumed)
		s.fail(ctx, qpi, cycle, fmt.Errorf("reserve %s: %s", st.Plugin(), st.Message()), start)
		return
	}
	s.metrics.observeAttempt("scheduled", prof.Name, time.Since(start))
	s.binding.Add(1)
	go func() {
		defer s.binding.Done()
		st := prof.RunBind(ctx, state, &assumed, res.NodeName)
		if st.IsSuccess() {
			s.metrics.observeE2E(time.Since(time.Unix(0, qpi.Timestamp)))
			s.recorder.Scheduled(&assumed, res.NodeName)
			return
		}
		s.log.Warn("binding failed", "pod", client.KeyOf(pod), "node", res.NodeName, "plugin", st.Plugin(), "err", st.Message())
		prof.RunUnreserve(ctx, state, &assumed, res.NodeName)
		s.cache.ForgetPod(&assumed)
		s.metrics.observeAttempt("error", prof.Name, 0)
		if latest, ok := s.latest(pod); ok {
			qpi.Pod = latest
			s.queue.Backoff(qpi)
		}
	}()
}

// fail handles a pod that was not scheduled: it goes back to the queue, and if
// it fits nowhere the reasons are written to the pod for its owner to read.
func (s *Scheduler) fail(ctx context.Context, qpi *framework.QueuedPodInfo, cycle int64, err error, start time.Time) {
	prof := schedulerName(qpi.Pod)
	latest, ok := s.latest(qpi.Pod)
	var fe *framework.FitError
	if errors.As(err, &fe) {
		s.metrics.observeAttempt("unschedulable", prof, time.Since(start))
		if ok {
			s.recorder.Unschedulable(latest, fe)
		}
	} else {
		s.metrics.observeAttempt("error", prof, time.Since(start))
		s.log.Error("scheduling failed", "pod", client.KeyOf(qpi.Pod), "err", err)
	}
	if !ok {
		return // deleted or bound meanwhile
	}
	qpi.Pod = latest
	if fe != nil {
		s.queue.Unschedulable(qpi, cycle)
	} else {
		s.queue.Backoff(qpi)
	}
	s.updateQueueMetrics()
}

// latest returns the informer's current copy of a pending pod, or false if it
// is gone or already bound.
func (s *Scheduler) latest(p *api.Pod) (*api.Pod, bool) {
	cur, ok := s.pods.Get(client.KeyOf(p))
	if !ok || cur.Spec.NodeName != "" || cur.DeletionTimestamp != nil || cur.UID != p.UID {
		return nil, false
	}
	return cur, true
}

func (s *Scheduler) updateQueueMetrics() {
	if s.metrics == nil {
		return
	}
	a, b, u := s.queue.Len()
	s.metrics.setQueue(a, b, u)
}

// NewHandle is what plugins may call on the scheduler: binding through c.
func NewHandle(c *client.Client) framework.Handle { return handle{c} }

type handle struct{ c *client.Client }

// DeletePod deletes a preemption victim; its grace period is its own.
func (h handle) DeletePod(ctx context.Context, pod *api.Pod) error {
	return client.Pods(h.c, pod.Namespace).Delete(ctx, pod.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &pod.UID}})
}

// NominateNode patches status.nominatedNodeName.
func (h handle) NominateNode(ctx context.Context, pod *api.Pod, node string) error {
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"nominatedNodeName": node}})
	_, err := client.Pods(h.c, pod.Namespace).Patch(ctx, pod.Name, "application/merge-patch+json", patch, "status")
	return err
}

// Bind posts pods/binding.
func (h handle) Bind(ctx context.Context, pod *api.Pod, node string) error {
	return client.Bind(ctx, h.c, &api.Binding{
		ObjectMeta: api.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     api.ObjectReference{Kind: "Node", Name: node},
	})
}
