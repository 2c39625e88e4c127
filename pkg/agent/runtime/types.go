package runtime

import (
	"io"
	"time"
)

// PullPolicy says when EnsureImage pulls. The values are Kubernetes'
// imagePullPolicy strings, so a container's policy converts directly.
type PullPolicy string

const (
	// PullAlways asks the registry every time and pulls what changed.
	PullAlways PullPolicy = "Always"
	// PullIfNotPresent pulls only when the image is absent.
	PullIfNotPresent PullPolicy = "IfNotPresent"
	// PullNever never pulls: the image must have been imported or pulled before.
	PullNever PullPolicy = "Never"
)

// Auth is a credential for one registry, as found in an imagePullSecret.
type Auth struct {
	Username string
	Password string
	// IdentityToken, if set, is used as an OAuth2 refresh token instead of the
	// password (Docker's "identitytoken").
	IdentityToken string
}

// ImageInfo describes an image present on the node.
type ImageInfo struct {
	// Ref is the normalized reference, e.g. "docker.io/library/busybox:1.36".
	Ref string
	// Digest is the digest of the manifest (or index) Ref points to, so
	// "<repository>@<Digest>" is the image's repo digest.
	Digest string
	// ID is the digest of the image config, the same for every name of the image
	// (Kubernetes' imageID).
	ID string
	// Size is the size in bytes of the image's content for this node's platform.
	Size int64
	// Pulled is how long EnsureImage took to pull it; 0 when it was present.
	Pulled time.Duration
}

// SandboxConfig describes the pod a sandbox is created for.
type SandboxConfig struct {
	PodUID       string
	PodNamespace string
	PodName      string
}

// Sandbox is a pod's network namespace.
type Sandbox struct {
	// ID is the pod UID.
	ID string
	// NetNSPath is the path of the network namespace: pass it as
	// ContainerConfig.NetNSPath and to CNI.
	NetNSPath string
}

// ContainerConfig is everything StartContainer needs to run one container of a pod.
type ContainerConfig struct {
	PodUID       string
	PodNamespace string
	PodName      string
	// Name is the container's name in the pod spec.
	Name string
	// Attempt counts the restarts of this container in the pod (0 for the first
	// run); it is recorded so a restarted agent can recover restartCount.
	Attempt uint32

	// Image is the reference of a present image, normally ImageInfo.Ref.
	Image string
	// Command and Args follow Kubernetes: Command replaces the image's
	// Entrypoint and Args its Cmd; see ProcessArgs.
	Command []string
	Args    []string
	// Env is added to the image's environment, replacing variables of the same
	// name; later entries win.
	Env []EnvVar
	// WorkingDir replaces the image's working directory when set.
	WorkingDir string
	// Hostname is the container's hostname, normally the pod name.
	Hostname string

	// NetNSPath is the pod sandbox's network namespace (Sandbox.NetNSPath).
	// Empty gives the container a network namespace of its own, with no
	// interface but a down loopback.
	NetNSPath string
	// Resources are the cgroup limits; the zero value sets none.
	Resources Resources
	// Mounts are bind mounts of host paths into the container.
	Mounts []Mount

	// LogPath is the absolute path of the file that receives the container's
	// stdout and stderr (appended; directories are created). The runtime
	// writes it, not the agent, so output is kept while the agent is down.
	// Empty discards the output.
	LogPath string
	// Labels are extra labels recorded with the container and returned by
	// ListContainers. Keys starting with "io.skiff." are reserved.
	Labels map[string]string
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string
	Value string
}

// Resources are a container's cgroup settings; see ResourcesFor for the mapping
// from Kubernetes requests and limits. Zero fields are not set.
type Resources struct {
	// CPUShares is the relative CPU weight (cgroup v1 cpu.shares).
	CPUShares uint64
	// CPUQuota is the CPU time in microseconds the container may use per
	// CPUPeriod; with CPUPeriod 100000, 50000 is half a CPU.
	CPUQuota  int64
	CPUPeriod uint64
	// MemoryLimit is the memory limit in bytes; above it the kernel's OOM killer
	// kills a process of the container.
	MemoryLimit int64
}

// Mount binds a host path into a container.
type Mount struct {
	HostPath      string
	ContainerPath string
	ReadOnly      bool
}

// Container is a container as listed by ListContainers.
type Container struct {
	ID           string
	PodUID       string
	PodNamespace string
	PodName      string
	Name         string
	Attempt      uint32
	Image        string
	LogPath      string
	// Labels are the extra labels given in ContainerConfig.Labels.
	Labels    map[string]string
	CreatedAt time.Time
}

// State is a container's lifecycle state.
type State string

const (
	// StateCreated: the container exists but its process has not started.
	StateCreated State = "created"
	// StateRunning: the process runs.
	StateRunning State = "running"
	// StateExited: the process has exited; ExitCode and FinishedAt say how and when.
	StateExited State = "exited"
	// StateUnknown: the runtime cannot tell.
	StateUnknown State = "unknown"
)

// Reasons for an exited container, as Kubernetes shows them in
// containerStatuses[].state.terminated.reason.
const (
	ReasonCompleted = "Completed"
	ReasonError     = "Error"
	ReasonOOMKilled = "OOMKilled"
	// ReasonUnknown: the container's process is gone but its exit was not
	// recorded (e.g. the node rebooted); ExitCode is 255.
	ReasonUnknown = "Unknown"
)

// Status is a container's state as ContainerStatus reports it.
type Status struct {
	ID    string
	State State
	// Pid is the main process's host PID while it runs.
	Pid       uint32
	CreatedAt time.Time
	// StartedAt is set once the process started.
	StartedAt time.Time
	// FinishedAt, ExitCode, OOMKilled and Reason are set once it exited.
	FinishedAt time.Time
	ExitCode   int32
	// OOMKilled reports that the kernel's OOM killer killed a process of the
	// container because it reached its memory limit.
	OOMKilled bool
	// Reason is ReasonCompleted, ReasonError, ReasonOOMKilled or ReasonUnknown
	// for an exited container, empty otherwise.
	Reason string
}

// ExecOptions describe a command to run in a running container with
// ExecService.Exec.
type ExecOptions struct {
	// Cmd is the command and its arguments; it runs with the environment,
	// working directory and user of the container's main process.
	Cmd []string
	// Stdin, if not nil, is copied to the command's standard input; its EOF
	// closes the command's stdin. Nil gives the command no stdin.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output; nil discards it. They are
	// written from different goroutines. With TTY, everything goes to Stdout.
	Stdout, Stderr io.Writer
	// TTY runs the command on a terminal (stdin, stdout and stderr are the
	// terminal; TERM=xterm is set).
	TTY bool
	// Resize, if not nil, delivers terminal sizes while the command runs
	// (with TTY only; others are ignored).
	Resize <-chan TerminalSize
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Width, Height uint16
}
