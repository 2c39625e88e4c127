package containerd

import (
	"context"
	"fmt"
	"time"

	apievents "github.com/containerd/containerd/api/events"
	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/events"
	"github.com/containerd/typeurl/v2"
)

// maxConcurrentFinalize bounds the finalizations the event watcher runs at once.
const maxConcurrentFinalize = 4

// watchEvents follows containerd's task exit and OOM events for this namespace
// until ctx ends: an OOM kill is recorded in the container's labels, an exit is
// finalized (recorded, task deleted). When the subscription breaks it
// resubscribes, and after each (re)subscription it finalizes tasks that
// stopped meanwhile, such as those that exited while the agent was down.
func (r *Runtime) watchEvents(ctx context.Context) {
	defer r.wg.Done()
	sem := make(chan struct{}, maxConcurrentFinalize)
	backoff := 100 * time.Millisecond
	for {
		subCtx, cancel := context.WithCancel(ctx)
		ch, errs := r.client.Subscribe(subCtx,
			fmt.Sprintf(`namespace==%q,topic=="/tasks/exit"`, r.ns),
			fmt.Sprintf(`namespace==%q,topic=="/tasks/oom"`, r.ns))
		r.finalizeStopped(ctx, sem)
		err := r.handleEvents(ctx, ch, errs, sem)
		cancel()
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("containerd event subscription ended; resubscribing", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (r *Runtime) handleEvents(ctx context.Context, ch <-chan *events.Envelope, errs <-chan error, sem chan struct{}) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errs:
			if err == nil {
				err = fmt.Errorf("subscription closed")
			}
			return err
		case env := <-ch:
			if env == nil || env.Event == nil {
				continue
			}
			ev, err := typeurl.UnmarshalAny(env.Event)
			if err != nil {
				r.log.Warn("decoding containerd event", "topic", env.Topic, "err", err)
				continue
			}
			switch e := ev.(type) {
			case *apievents.TaskOOM:
				r.log.Info("container OOM-killed", "container", e.ContainerID)
				if err := r.setLabels(ctx, e.ContainerID, map[string]string{labelOOMKilled: "true"}); err != nil {
					r.log.Debug("recording OOM kill", "container", e.ContainerID, "err", err)
				}
			case *apievents.TaskExit:
				if e.ID != e.ContainerID {
					continue // an exec'd process, not the container's
				}
				r.goFinalize(ctx, sem, e.ContainerID)
			}
		}
	}
}

// goFinalize finalizes a container in the background, at most cap(sem) at once.
func (r *Runtime) goFinalize(ctx context.Context, sem chan struct{}, id string) {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() { <-sem }()
		if err := r.finalize(ctx, id); err != nil && ctx.Err() == nil {
			r.log.Warn("recording container exit", "container", id, "err", err)
		}
	}()
}

// finalizeStopped finalizes every stopped task of the namespace.
func (r *Runtime) finalizeStopped(ctx context.Context, sem chan struct{}) {
	resp, err := r.client.TaskService().List(ctx, &tasksapi.ListTasksRequest{})
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("listing tasks", "err", err)
		}
		return
	}
	for _, p := range resp.Tasks {
		if p.Status == tasktypes.Status_STOPPED && p.ID == p.ContainerID {
			r.goFinalize(ctx, sem, p.ContainerID)
		}
	}
}
