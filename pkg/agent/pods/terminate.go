package pods

import (
	"context"
	"errors"
	"os"
	"time"

	"skiff/pkg/api"
)

// termination records the steps of a pod's termination that are done, so a
// step that failed is retried without repeating the others.
type termination struct {
	started, stopped, statusWritten, removed, networkDown, sandboxRemoved, dirRemoved bool
}

// terminate stops a pod that is being deleted (or was deleted from the API):
// SIGTERM to every container with the grace period, SIGKILL after it (both
// by StopContainer), a final status, then it removes the containers, tears
// down the network, removes the sandbox and the pod's directory, and finally
// deletes the pod object with grace period 0. Each step is retried with
// back-off until it succeeds.
func (w *worker) terminate(ctx context.Context, pod *api.Pod, gone bool) time.Time {
	t := &w.term
	rt := w.m.deps.Runtime
	retry := func(step string, err error) time.Time {
		if ctx.Err() == nil {
			w.log.Warn("terminating pod: "+step, "err", err)
		}
		return w.retryAfterError("terminate")
	}
	if !t.started {
		t.started = true
		w.log.Info("terminating pod", "grace", gracePeriod(pod), "deletedFromAPI", gone)
	}
	if !t.stopped {
		if err := w.stopAll(ctx, pod, gracePeriod(pod)); err != nil {
			return retry("stopping containers", err)
		}
		t.stopped = true
	}
	if !gone && !t.statusWritten {
		for _, cs := range w.containers {
			cs.waitReason, cs.waitMessage = "", ""
		}
		if err := w.publish(ctx, pod, w.buildStatus(pod, true)); err != nil && !errors.Is(err, ErrPodGone) {
			return retry("writing the final status", err)
		}
		t.statusWritten = true
	}
	if !t.removed {
		var errs []error
		for _, cs := range w.containers {
			for _, inst := range []*instance{cs.cur, cs.prev} {
				if inst != nil {
					errs = append(errs, rt.RemoveContainer(ctx, inst.id))
				}
			}
		}
		for _, inst := range w.orphans {
			errs = append(errs, rt.RemoveContainer(ctx, inst.id))
		}
		if err := errors.Join(errs...); err != nil {
			return retry("removing containers", err)
		}
		t.removed = true
	}
	if w.sandbox != nil && !t.networkDown {
		if err := w.m.deps.Network.TearDown(ctx, podRef(pod), w.sandbox.NetNSPath); err != nil {
			return retry("tearing down the network", err)
		}
		w.networkUp = false
		t.networkDown = true
	}
	if !t.sandboxRemoved {
		if err := rt.RemoveSandbox(ctx, w.uid); err != nil {
			return retry("removing the sandbox", err)
		}
		t.sandboxRemoved = true
	}
	if !t.dirRemoved {
		if err := os.RemoveAll(PodDir(w.m.deps.RootDir, w.uid)); err != nil {
			return retry("removing the pod directory", err)
		}
		t.dirRemoved = true
	}
	if !gone {
		if err := w.m.deps.Status.DeletePod(ctx, pod); err != nil {
			return retry("deleting the pod object", err)
		}
	}
	w.log.Info("pod terminated and cleaned up")
	w.done = true
	return time.Time{}
}
