package pods

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"skiff/pkg/agent/network"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// Network sets up and tears down a pod's network in its sandbox's network
// namespace (CNI on a real node).
type Network interface {
	// SetUp attaches the pod's network namespace to the node's pod network,
	// with ports published on the node, and returns the pod's IP. For a pod
	// already set up in netnsPath it must return the pod's IP and change
	// nothing. The manager records the IP under the pod's directory and calls
	// SetUp again after an agent restart only when that record is missing.
	SetUp(ctx context.Context, pod network.PodRef, netnsPath string, ports []network.PortMapping) (ip string, err error)
	// TearDown releases what SetUp took (IP, port mappings). Tearing down a pod
	// that is not set up is not an error.
	TearDown(ctx context.Context, pod network.PodRef, netnsPath string) error
}

// StatusWriter publishes pod status to the API. Methods are called from many
// pod workers at once and must be safe for concurrent use.
type StatusWriter interface {
	// SetPodStatus makes status the status of pod (matched by namespace, name
	// and UID) in the API. status holds what the node agent owns; conditions of
	// other types in the API are kept (see MergeStatus). Writing a status the
	// API already has sends nothing. Errors: ErrPodGone when the pod is no
	// longer in the API (or a new pod has its name).
	SetPodStatus(ctx context.Context, pod *api.Pod, status api.PodStatus) error
	// DeletePod removes a pod whose containers are gone: a delete with grace
	// period 0 and the pod's UID as precondition. A pod that is already gone
	// (or replaced by a new pod of the same name) is not an error.
	DeletePod(ctx context.Context, pod *api.Pod) error
}

// Objects reads the ConfigMaps and Secrets that pods use (env, volumes, image
// pull secrets). A missing object is an error for which api.IsNotFound holds.
type Objects interface {
	GetSecret(ctx context.Context, namespace, name string) (*api.Secret, error)
	GetConfigMap(ctx context.Context, namespace, name string) (*api.ConfigMap, error)
}

// TokenRequester is optional on Objects: with it, service-account token
// projections (the kube-api-access-* volume) get a token from the
// TokenRequest API; without it the token file is left out.
type TokenRequester interface {
	// RequestToken posts req to serviceaccounts/NAME/token and returns the
	// issued token.
	RequestToken(ctx context.Context, namespace, serviceAccount string, req *api.TokenRequest) (*api.TokenRequest, error)
}

// Execer is optional on the Runtime: with it, exec probes run their command
// in the container; without it they fail with ErrExecUnsupported in their
// message.
type Execer interface {
	// ExecSync runs cmd in the running container id and waits up to timeout
	// for it to exit, returning its exit code and combined output. An error
	// means the command could not be run (or timed out), not that it failed.
	ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (exitCode int32, output []byte, err error)
}

// Clock is the manager's time source; tests use a fake one.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock has reached t, at once
	// if it already has.
	At(t time.Time) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                  { return time.Now() }
func (realClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// Errors.
var (
	// ErrPodGone: the pod is no longer in the API.
	ErrPodGone = errors.New("pods: pod is gone from the API")
	// ErrExecUnsupported: the runtime cannot run commands in containers.
	ErrExecUnsupported = errors.New("pods: the container runtime does not support exec")
)

// Deps is what a Manager works with.
type Deps struct {
	Runtime runtime.Runtime
	Network Network
	Status  StatusWriter
	Objects Objects

	// NodeName is this node's name; pods bound to other nodes are ignored.
	NodeName string
	// NodeIP is reported as the pods' hostIP and status.hostIP.
	NodeIP string
	// RootDir holds a directory per pod: RootDir/pods/<UID> (see PodDir).
	RootDir string

	// Events receives what happens to pods (Pulled, Created, Started,
	// Killing, BackOff, Unhealthy, Failed), as the kubelet records them for
	// `kubectl describe pod`. nil records nothing.
	Events EventSink

	// Clock defaults to the real time.
	Clock Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (d *Deps) validate() error {
	var errs []error
	if d.Runtime == nil {
		errs = append(errs, errors.New("Runtime is required"))
	}
	if d.Network == nil {
		errs = append(errs, errors.New("Network is required"))
	}
	if d.Status == nil {
		errs = append(errs, errors.New("Status is required"))
	}
	if d.Objects == nil {
		errs = append(errs, errors.New("Objects is required"))
	}
	if d.NodeName == "" {
		errs = append(errs, errors.New("NodeName is required"))
	}
	if !filepath.IsAbs(d.RootDir) {
		errs = append(errs, fmt.Errorf("RootDir %q must be an absolute path", d.RootDir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pods: %w", err)
	}
	if d.Clock == nil {
		d.Clock = realClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return nil
}

// EventSink records an Event about an object; *record.Recorder is one.
type EventSink interface {
	Eventf(obj api.Object, kind, typ, reason, format string, args ...any)
}
