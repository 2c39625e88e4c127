// Package containerd implements the node agent's runtime.Runtime on containerd
// (Go client v1.7, daemon 1.6 or later) with runc, on Linux. It keeps
// everything in one containerd namespace of its own, records pod and container
// names in containerd labels so a restarted agent can re-adopt its containers,
// and is the only package of the agent that imports containerd. See README.md.
package containerd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"sync"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/identifiers"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/errdefs"

	"skiff/pkg/agent/keylock"
	"skiff/pkg/agent/runtime"
)

// Defaults for Options.
const (
	DefaultAddress   = "/run/containerd/containerd.sock"
	DefaultNamespace = "skiff"
	// DefaultSnapshotter is containerd's default on Linux.
	DefaultSnapshotter = "overlayfs"
	// runcRuntime is the containerd shim that runs containers with runc.
	runcRuntime = "io.containerd.runc.v2"
	// dialTimeout bounds connecting to containerd in New.
	dialTimeout = 10 * time.Second
)

// Options configure a Runtime.
type Options struct {
	// Address is containerd's socket; default DefaultAddress.
	Address string
	// Namespace is the containerd namespace that holds everything this runtime
	// creates; default DefaultNamespace.
	Namespace string
	// Snapshotter unpacks images and holds container root filesystems; default
	// DefaultSnapshotter.
	Snapshotter string
	// RootDir is the agent's state directory (required); sandbox network
	// namespaces are mounted under RootDir/netns, and the FIFOs of commands
	// run with Exec live under RootDir/fifo.
	RootDir string
	// CgroupParent is the cgroup under which each pod gets "pod<UID>" and each
	// container a cgroup below that; default "/" + Namespace.
	CgroupParent string
	// PlainHTTPRegistries are registry hosts ("127.0.0.1:5000") pulled from
	// over plain HTTP instead of HTTPS.
	PlainHTTPRegistries []string
	// Logger receives the runtime's logs; default discards them.
	Logger *slog.Logger

	// noEvents turns off watching task events, so tests can check that exits
	// and OOM kills are also found without them.
	noEvents bool
}

func (o *Options) setDefaults() {
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Snapshotter == "" {
		o.Snapshotter = DefaultSnapshotter
	}
	if o.CgroupParent == "" {
		o.CgroupParent = "/" + o.Namespace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports what is wrong with the options, after defaults.
func (o *Options) Validate() error {
	var errs []error
	if o.RootDir == "" || !filepath.IsAbs(o.RootDir) {
		errs = append(errs, fmt.Errorf("root dir %q must be an absolute path", o.RootDir))
	}
	if err := identifiers.Validate(o.Namespace); err != nil {
		errs = append(errs, fmt.Errorf("namespace: %w", err))
	}
	if !path.IsAbs(o.CgroupParent) || path.Clean(o.CgroupParent) == "/" {
		errs = append(errs, fmt.Errorf("cgroup parent %q must be an absolute path below /", o.CgroupParent))
	}
	return errors.Join(errs...)
}

// Runtime is the containerd implementation of runtime.Runtime.
type Runtime struct {
	client       *containerd.Client
	ns           string
	snapshotter  string
	netnsDir     string
	fifoDir      string // FIFOs of exec processes' streams, a directory per process
	cgroupParent string
	cgroups      cgroups
	swapLimit    bool // set memory+swap = memory limit, so containers do not swap
	plainHTTP    map[string]bool
	log          *slog.Logger
	locks        keylock.Set

	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var _ runtime.Runtime = (*Runtime)(nil)

// New connects to containerd, makes sure the namespace exists and starts
// watching task events (exits and OOM kills). Close releases it; containers
// keep running.
func New(ctx context.Context, opts Options) (*Runtime, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("containerd runtime: %w", err)
	}
	client, err := containerd.New(opts.Address,
		containerd.WithDefaultNamespace(opts.Namespace),
		containerd.WithDefaultRuntime(runcRuntime),
		containerd.WithTimeout(dialTimeout))
	if err != nil {
		return nil, fmt.Errorf("containerd runtime: connecting to %s: %w", opts.Address, err)
	}
	r := &Runtime{
		client:       client,
		ns:           opts.Namespace,
		snapshotter:  opts.Snapshotter,
		netnsDir:     filepath.Join(opts.RootDir, "netns"),
		fifoDir:      filepath.Join(opts.RootDir, "fifo"),
		cgroupParent: path.Clean(opts.CgroupParent),
		cgroups:      newCgroups(cgroupRoot),
		plainHTTP:    make(map[string]bool),
		log:          opts.Logger,
	}
	r.swapLimit = r.cgroups.swapControl()
	for _, h := range opts.PlainHTTPRegistries {
		r.plainHTTP[h] = true
	}
	if err := client.NamespaceService().Create(r.nsCtx(ctx), r.ns, nil); err != nil && !errdefs.IsAlreadyExists(err) {
		client.Close()
		return nil, fmt.Errorf("containerd runtime: creating namespace %s: %w", r.ns, err)
	}
	r.log.Info("containerd runtime", "address", opts.Address, "namespace", r.ns,
		"snapshotter", r.snapshotter, "netnsDir", r.netnsDir, "cgroupParent", r.cgroupParent,
		"cgroupV2", r.cgroups.unified, "plainHTTPRegistries", opts.PlainHTTPRegistries)

	ectx, stop := context.WithCancel(r.nsCtx(context.Background()))
	r.stop = stop
	if !opts.noEvents {
		r.wg.Add(1)
		go r.watchEvents(ectx)
	}
	return r, nil
}

// Close stops watching events and closes the connection to containerd. It does
// not stop containers. Calling it again does nothing.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() {
		r.stop()
		r.wg.Wait()
		r.closeErr = r.client.Close()
	})
	return r.closeErr
}

// Namespace returns the containerd namespace of this runtime.
func (r *Runtime) Namespace() string { return r.ns }

// Version implements runtime.Runtime.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	v, err := r.client.Version(r.nsCtx(ctx))
	if err != nil {
		return "", fmt.Errorf("containerd version: %w", err)
	}
	return "containerd://" + v.Version, nil
}

// nsCtx puts this runtime's namespace into ctx for containerd calls.
func (r *Runtime) nsCtx(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, r.ns)
}

// cleanupCtx is for undoing work after ctx failed: not cancelled with it, but
// bounded.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
