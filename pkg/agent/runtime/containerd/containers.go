package containerd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd"
	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/containers"
	cerrdefs "github.com/containerd/containerd/errdefs"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"skiff/pkg/agent/runtime"
)

// newID returns a random container ID (32 hex digits).
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// StartContainer implements runtime.ContainerService.
func (r *Runtime) StartContainer(ctx context.Context, cfg runtime.ContainerConfig) (_ string, retErr error) {
	ctx = r.nsCtx(ctx)
	if err := validateContainerConfig(cfg); err != nil {
		return "", err
	}
	labels, err := encodeLabels(cfg)
	if err != nil {
		return "", err
	}
	name, err := normalizeRef(cfg.Image)
	if err != nil {
		return "", err
	}
	img, err := r.client.GetImage(ctx, name)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return "", fmt.Errorf("%w: image %s: %w", runtime.ErrCreateContainer, name, runtime.ErrNotFound)
		}
		return "", fmt.Errorf("%w: image %s: %w", runtime.ErrCreateContainer, name, err)
	}
	if err := r.unpack(ctx, img); err != nil {
		return "", fmt.Errorf("%w: %w", runtime.ErrCreateContainer, err)
	}
	imgSpec, err := img.Spec(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: image %s: %w", runtime.ErrCreateContainer, name, err)
	}

	id := newID()
	opts, err := specOpts(cfg, imgSpec.Config, r.cgroupsPath(cfg.PodUID, id), r.swapLimit)
	if err != nil {
		return "", err
	}
	ioCreator := cio.NullIO
	if cfg.LogPath != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.LogPath), 0o755); err != nil {
			return "", fmt.Errorf("%w: log directory: %w", runtime.ErrCreateContainer, err)
		}
		ioCreator = cio.LogFile(cfg.LogPath)
	}

	// Hold the container's lock until its start is recorded, so the exit of a
	// short-lived process is not finalized before.
	unlock, err := r.locks.Lock(ctx, id)
	if err != nil {
		return "", err
	}
	defer unlock()

	c, err := r.client.NewContainer(ctx, id,
		containerd.WithImageName(img.Name()),
		containerd.WithSnapshotter(r.snapshotter),
		containerd.WithNewSnapshot(id, img),
		containerd.WithNewSpec(opts...),
		containerd.WithContainerLabels(labels),
		containerd.WithRuntime(runcRuntime, nil),
	)
	if err != nil {
		// NewContainer removes the snapshot it prepared when it fails.
		return "", fmt.Errorf("%w: %w", runtime.ErrCreateContainer, err)
	}
	defer func() {
		if retErr != nil {
			cctx, cancel := cleanupCtx(ctx)
			defer cancel()
			if err := r.removeContainer(cctx, c); err != nil {
				r.log.Warn("cleaning up after failed start", "container", id, "err", err)
			}
		}
	}()

	task, err := c.NewTask(ctx, ioCreator)
	if err != nil {
		return "", fmt.Errorf("%w: %w", runtime.ErrCreateContainer, err)
	}
	// The process starts during task.Start; taking the time before keeps
	// StartedAt <= FinishedAt for processes that exit at once.
	startedAt := time.Now()
	if err := task.Start(ctx); err != nil {
		return "", fmt.Errorf("%w: %w", runtime.ErrCreateContainer, err)
	}
	if err := r.setLabels(ctx, id, map[string]string{labelStartedAt: formatTime(startedAt)}); err != nil {
		return "", fmt.Errorf("%w: recording start: %w", runtime.ErrCreateContainer, err)
	}
	r.log.Debug("started container", "container", id, "pod", cfg.PodNamespace+"/"+cfg.PodName, "name", cfg.Name, "pid", task.Pid())
	return id, nil
}

// ContainerStatus implements runtime.ContainerService.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.Status, error) {
	ctx = r.nsCtx(ctx)
	rec, err := r.getContainer(ctx, id)
	if err != nil {
		return runtime.Status{}, err
	}
	p, err := r.taskProcess(ctx, id)
	if err != nil && !errdefs.IsNotFound(err) {
		return runtime.Status{}, fmt.Errorf("container %s: task: %w", id, err)
	}
	if p != nil {
		switch p.Status {
		case tasktypes.Status_RUNNING, tasktypes.Status_PAUSED, tasktypes.Status_PAUSING:
			s := runtime.Status{ID: id, State: runtime.StateRunning, Pid: p.Pid, CreatedAt: rec.CreatedAt,
				StartedAt: parseTime(rec.Labels[labelStartedAt])}
			if s.StartedAt.IsZero() {
				s.StartedAt = rec.CreatedAt // the agent stopped between start and recording it
			}
			return s, nil
		case tasktypes.Status_CREATED:
			return runtime.Status{ID: id, State: runtime.StateCreated, CreatedAt: rec.CreatedAt}, nil
		case tasktypes.Status_STOPPED:
			if err := r.finalize(ctx, id); err != nil {
				return runtime.Status{}, err
			}
			if rec, err = r.getContainer(ctx, id); err != nil {
				return runtime.Status{}, err
			}
		default:
			return runtime.Status{ID: id, State: runtime.StateUnknown, CreatedAt: rec.CreatedAt}, nil
		}
	}
	return statusFromLabels(id, rec.CreatedAt, rec.Labels), nil
}

// StopContainer implements runtime.ContainerService.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	ctx = r.nsCtx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return containerErr(id, err)
	}
	task, err := c.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil // never started, or exited and finalized
	}
	if err != nil {
		return fmt.Errorf("container %s: task: %w", id, err)
	}
	exitC, err := task.Wait(ctx)
	if err != nil {
		return fmt.Errorf("container %s: wait: %w", id, err)
	}
	if grace > 0 {
		if err := task.Kill(ctx, syscall.SIGTERM); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("container %s: SIGTERM: %w", id, err)
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-exitC:
			return r.finalize(ctx, id)
		case <-t.C:
			r.log.Debug("grace period over, killing", "container", id, "grace", grace)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("container %s: SIGKILL: %w", id, err)
	}
	select {
	case <-exitC:
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.finalize(ctx, id)
}

// RemoveContainer implements runtime.ContainerService.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	ctx = r.nsCtx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	unlock, err := r.locks.Lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	return r.removeContainer(ctx, c)
}

// removeContainer kills and deletes the task, then deletes the container, its
// snapshot and its cgroup.
func (r *Runtime) removeContainer(ctx context.Context, c containerd.Container) error {
	cgroupsPath := r.containerCgroup(ctx, c)
	task, err := c.Task(ctx, nil)
	switch {
	case err == nil:
		if _, err := task.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("container %s: deleting task: %w", c.ID(), err)
		}
	case !errdefs.IsNotFound(err):
		return fmt.Errorf("container %s: task: %w", c.ID(), err)
	}
	if err := c.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("container %s: deleting: %w", c.ID(), err)
	}
	if err := r.cgroups.remove(cgroupsPath); err != nil {
		return fmt.Errorf("container %s: removing cgroup: %w", c.ID(), err)
	}
	return nil
}

// ListContainers implements runtime.ContainerService.
func (r *Runtime) ListContainers(ctx context.Context) ([]runtime.Container, error) {
	ctx = r.nsCtx(ctx)
	recs, err := r.client.ContainerService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]runtime.Container, 0, len(recs))
	for _, rec := range recs {
		out = append(out, decodeContainer(rec.ID, rec.Image, rec.CreatedAt, rec.Labels))
	}
	return out, nil
}

// finalize records the exit of a container whose task has stopped in the
// container's labels and deletes the task, which ends its shim. It is called
// on the exit event, and by ContainerStatus and StopContainer, whichever comes
// first; for a task that is gone or still running it does nothing.
func (r *Runtime) finalize(ctx context.Context, id string) error {
	unlock, err := r.locks.Lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	p, err := r.taskProcess(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("container %s: task: %w", id, err)
	}
	if p.Status != tasktypes.Status_STOPPED {
		return nil
	}
	rec, err := r.client.ContainerService().Get(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	// The cgroup still exists until the task is deleted: ask it whether the
	// kernel OOM-killed something (the /tasks/oom event may come late or have
	// been missed while the agent was down).
	oom := rec.Labels[labelOOMKilled] == "true"
	if !oom {
		cg, err := specCgroupsPath(rec)
		if err == nil {
			oom, err = r.cgroups.oomKilled(cg)
		}
		if err != nil {
			r.log.Warn("reading OOM kills", "container", id, "err", err)
		}
	}
	finished := time.Now()
	if p.ExitedAt != nil {
		finished = p.ExitedAt.AsTime()
	}
	if err := r.setLabels(ctx, id, exitLabels(p.ExitStatus, finished, oom)); err != nil {
		return fmt.Errorf("container %s: recording exit: %w", id, err)
	}
	if _, err := r.client.TaskService().Delete(ctx, &tasksapi.DeleteTaskRequest{ContainerID: id}); err != nil {
		if err := cerrdefs.FromGRPC(err); !errdefs.IsNotFound(err) {
			return fmt.Errorf("container %s: deleting task: %w", id, err)
		}
	}
	r.log.Debug("container exited", "container", id, "exitCode", p.ExitStatus, "oomKilled", oom)
	return nil
}

// taskProcess returns the state of the container's task (one call).
func (r *Runtime) taskProcess(ctx context.Context, id string) (*tasktypes.Process, error) {
	resp, err := r.client.TaskService().Get(ctx, &tasksapi.GetRequest{ContainerID: id})
	if err != nil {
		return nil, cerrdefs.FromGRPC(err)
	}
	return resp.Process, nil
}

func (r *Runtime) getContainer(ctx context.Context, id string) (containers.Container, error) {
	rec, err := r.client.ContainerService().Get(ctx, id)
	if err != nil {
		return containers.Container{}, containerErr(id, err)
	}
	return rec, nil
}

// setLabels adds or replaces labels of a container.
func (r *Runtime) setLabels(ctx context.Context, id string, labels map[string]string) error {
	paths := make([]string, 0, len(labels))
	for k := range labels {
		paths = append(paths, "labels."+k)
	}
	_, err := r.client.ContainerService().Update(ctx, containers.Container{ID: id, Labels: labels}, paths...)
	return err
}

// containerCgroup returns the container's cgroup path from its spec, or "".
func (r *Runtime) containerCgroup(ctx context.Context, c containerd.Container) string {
	info, err := c.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return ""
	}
	p, err := specCgroupsPath(info)
	if err != nil {
		r.log.Warn("reading container spec", "container", c.ID(), "err", err)
	}
	return p
}

// specCgroupsPath reads the cgroup path from a container's OCI spec.
func specCgroupsPath(rec containers.Container) (string, error) {
	if rec.Spec == nil {
		return "", nil
	}
	var s specs.Spec
	if err := json.Unmarshal(rec.Spec.GetValue(), &s); err != nil {
		return "", err
	}
	if s.Linux == nil {
		return "", nil
	}
	return s.Linux.CgroupsPath, nil
}

// containerErr maps containerd's not-found to runtime.ErrNotFound.
func containerErr(id string, err error) error {
	if errdefs.IsNotFound(err) {
		return fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	return fmt.Errorf("container %s: %w", id, err)
}
