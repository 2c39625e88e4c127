// Package fake is an in-memory runtime.Runtime for unit tests of the node
// agent's pod worker. It keeps real state — images, a registry to pull from,
// sandboxes, containers — with the same errors and state transitions as the
// containerd runtime, and lets the test decide what processes do: exit with a
// code, get OOM-killed, ignore SIGTERM, fail to start.
package fake

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"skiff/pkg/agent/runtime"
)

// Runtime is the fake. The zero value is not usable; call New.
type Runtime struct {
	mu         sync.Mutex
	now        func() time.Time
	images     map[string]runtime.ImageInfo // present on the node, by ref
	registry   map[string]runtime.ImageInfo // pullable, by ref
	pullErrs   map[string]error
	startErrs  map[string]error // by container name
	sandboxes  map[string]runtime.Sandbox
	containers map[string]*container
	nextID     int
	pulls      []string
	started    []runtime.ContainerConfig
}

type container struct {
	cfg        runtime.ContainerConfig
	info       runtime.Container
	status     runtime.Status
	ignoreTERM bool
	stops      []time.Duration
}

var _ runtime.Runtime = (*Runtime)(nil)

// New returns an empty fake runtime whose clock is time.Now.
func New() *Runtime {
	return &Runtime{
		now:        time.Now,
		images:     map[string]runtime.ImageInfo{},
		registry:   map[string]runtime.ImageInfo{},
		pullErrs:   map[string]error{},
		startErrs:  map[string]error{},
		sandboxes:  map[string]runtime.Sandbox{},
		containers: map[string]*container{},
	}
}

// SetClock sets the clock used for CreatedAt, StartedAt and FinishedAt.
func (f *Runtime) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// AddImage makes an image present on the node. Refs are compared as given:
// the fake does not normalize them.
func (f *Runtime) AddImage(ref string) runtime.ImageInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	info := imageInfo(ref)
	f.images[ref] = info
	return info
}

// AddRegistryImage makes an image pullable.
func (f *Runtime) AddRegistryImage(ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registry[ref] = imageInfo(ref)
}

// SetPullError makes pulls of ref fail with err (nil clears it).
func (f *Runtime) SetPullError(ref string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.pullErrs, ref)
		return
	}
	f.pullErrs[ref] = err
}

// FailStart makes the next StartContainer of a container with this name fail
// with err, wrapped in runtime.ErrCreateContainer.
func (f *Runtime) FailStart(name string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startErrs[name] = err
}

// Exit ends a running container's process with code; oomKilled marks it
// killed by the OOM killer.
func (f *Runtime) Exit(id string, code int32, oomKilled bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return fmt.Errorf("fake: container %s: %w", id, runtime.ErrNotFound)
	}
	if c.status.State != runtime.StateRunning {
		return fmt.Errorf("fake: container %s is %s, not running", id, c.status.State)
	}
	f.exit(c, code, oomKilled)
	return nil
}

// IgnoreSIGTERM makes the container's process ignore SIGTERM, so that
// StopContainer kills it (exit 137) once the grace period is over. The fake
// does not wait out the grace period; StopGraces reports what was asked.
func (f *Runtime) IgnoreSIGTERM(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		c.ignoreTERM = true
	}
}

// StopGraces returns the grace periods StopContainer was called with for id.
func (f *Runtime) StopGraces(id string) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		return slices.Clone(c.stops)
	}
	return nil
}

// Pulls returns the refs pulled so far, in order.
func (f *Runtime) Pulls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.pulls)
}

// Started returns the configs of all containers started so far, in order.
func (f *Runtime) Started() []runtime.ContainerConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.started)
}

// EnsureImage implements runtime.ImageService.
func (f *Runtime) EnsureImage(ctx context.Context, ref string, policy runtime.PullPolicy, _ *runtime.Auth) (runtime.ImageInfo, error) {
	if err := ctx.Err(); err != nil {
		return runtime.ImageInfo{}, err
	}
	if ref == "" {
		return runtime.ImageInfo{}, fmt.Errorf("%w: empty image reference", runtime.ErrInvalidConfig)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch policy {
	case "", runtime.PullIfNotPresent, runtime.PullNever:
		if info, ok := f.images[ref]; ok {
			return info, nil
		}
		if policy == runtime.PullNever {
			return runtime.ImageInfo{}, fmt.Errorf("%w: %s", runtime.ErrImageNeverPull, ref)
		}
	case runtime.PullAlways:
	default:
		return runtime.ImageInfo{}, fmt.Errorf("%w: pull policy %q", runtime.ErrInvalidConfig, policy)
	}
	if err := f.pullErrs[ref]; err != nil {
		return runtime.ImageInfo{}, fmt.Errorf("%w: %s: %w", runtime.ErrImagePull, ref, err)
	}
	info, ok := f.registry[ref]
	if !ok {
		return runtime.ImageInfo{}, fmt.Errorf("%w: %s: not found in registry", runtime.ErrImagePull, ref)
	}
	f.pulls = append(f.pulls, ref)
	f.images[ref] = info
	info.Pulled = time.Millisecond
	return info, nil
}

// ImportImage implements runtime.ImageService. The fake cannot read archives:
// it needs ref, and reads r only for the image's size.
func (f *Runtime) ImportImage(ctx context.Context, r io.Reader, ref string) ([]runtime.ImageInfo, error) {
	if ref == "" {
		return nil, fmt.Errorf("%w: the fake runtime needs a reference to import", runtime.ErrInvalidConfig)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, err
	}
	info := imageInfo(ref)
	info.Size = n
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[ref] = info
	return []runtime.ImageInfo{info}, nil
}

// ListImages implements runtime.ImageService, sorted by ref.
func (f *Runtime) ListImages(ctx context.Context) ([]runtime.ImageInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Collect(maps.Values(f.images))
	slices.SortFunc(out, func(a, b runtime.ImageInfo) int { return cmp.Compare(a.Ref, b.Ref) })
	return out, nil
}

// CreateSandbox implements runtime.SandboxService.
func (f *Runtime) CreateSandbox(ctx context.Context, cfg runtime.SandboxConfig) (runtime.Sandbox, error) {
	if cfg.PodUID == "" {
		return runtime.Sandbox{}, fmt.Errorf("%w: empty pod UID", runtime.ErrInvalidConfig)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sb := runtime.Sandbox{ID: cfg.PodUID, NetNSPath: "/fake/netns/" + cfg.PodUID}
	f.sandboxes[sb.ID] = sb
	return sb, nil
}

// RemoveSandbox implements runtime.SandboxService.
func (f *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sandboxes, id)
	return nil
}

// ListSandboxes implements runtime.SandboxService, sorted by ID.
func (f *Runtime) ListSandboxes(ctx context.Context) ([]runtime.Sandbox, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Collect(maps.Values(f.sandboxes))
	slices.SortFunc(out, func(a, b runtime.Sandbox) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// StartContainer implements runtime.ContainerService. The container runs
// until Exit, StopContainer or RemoveContainer.
func (f *Runtime) StartContainer(ctx context.Context, cfg runtime.ContainerConfig) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if cfg.PodUID == "" || cfg.Name == "" || cfg.Image == "" {
		return "", fmt.Errorf("%w: pod UID, name and image are required", runtime.ErrInvalidConfig)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.images[cfg.Image]; !ok {
		return "", fmt.Errorf("%w: image %s: %w", runtime.ErrCreateContainer, cfg.Image, runtime.ErrNotFound)
	}
	if err, ok := f.startErrs[cfg.Name]; ok {
		delete(f.startErrs, cfg.Name)
		return "", fmt.Errorf("%w: %w", runtime.ErrCreateContainer, err)
	}
	f.nextID++
	id := fmt.Sprintf("fake-%04d", f.nextID)
	now := f.now()
	f.containers[id] = &container{
		cfg: cfg,
		info: runtime.Container{
			ID: id, PodUID: cfg.PodUID, PodNamespace: cfg.PodNamespace, PodName: cfg.PodName,
			Name: cfg.Name, Attempt: cfg.Attempt, Image: cfg.Image, LogPath: cfg.LogPath,
			Labels: maps.Clone(cfg.Labels), CreatedAt: now,
		},
		status: runtime.Status{ID: id, State: runtime.StateRunning, Pid: uint32(1000 + f.nextID), CreatedAt: now, StartedAt: now},
	}
	f.started = append(f.started, cfg)
	return id, nil
}

// ContainerStatus implements runtime.ContainerService.
func (f *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return runtime.Status{}, fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	return c.status, nil
}

// StopContainer implements runtime.ContainerService: a running container exits
// with 143 (SIGTERM), or 137 (SIGKILL) when grace is 0 or it ignores SIGTERM.
func (f *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	c.stops = append(c.stops, grace)
	if c.status.State != runtime.StateRunning {
		return nil
	}
	code := int32(143)
	if grace <= 0 || c.ignoreTERM {
		code = 137
	}
	f.exit(c, code, false)
	return nil
}

// RemoveContainer implements runtime.ContainerService.
func (f *Runtime) RemoveContainer(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	return nil
}

// ListContainers implements runtime.ContainerService, sorted by ID (start order).
func (f *Runtime) ListContainers(ctx context.Context) ([]runtime.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]runtime.Container, 0, len(f.containers))
	for _, c := range f.containers {
		info := c.info
		info.Labels = maps.Clone(info.Labels)
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b runtime.Container) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Version implements runtime.Runtime.
func (f *Runtime) Version(ctx context.Context) (string, error) { return "fake://1.0.0", nil }

func (f *Runtime) exit(c *container, code int32, oomKilled bool) {
	c.status.State = runtime.StateExited
	c.status.Pid = 0
	c.status.ExitCode = code
	c.status.OOMKilled = oomKilled
	c.status.FinishedAt = f.now()
	switch {
	case oomKilled:
		c.status.Reason = runtime.ReasonOOMKilled
	case code == 0:
		c.status.Reason = runtime.ReasonCompleted
	default:
		c.status.Reason = runtime.ReasonError
	}
}

func imageInfo(ref string) runtime.ImageInfo {
	id := fmt.Sprintf("sha256:%064x", hash(ref))
	return runtime.ImageInfo{Ref: ref, Digest: id, ID: id, Size: 1 << 20}
}

// hash is FNV-1a, to give each ref a stable fake digest.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
