// Package runtime is the node agent's view of a container runtime: images, pod
// sandboxes (one network namespace per pod) and containers. The pod worker is
// written against the Runtime interface and unit-tested with the fake in
// runtime/fake; runtime/containerd implements it on containerd and is the only
// package of the agent that imports containerd.
package runtime

import (
	"context"
	"io"
	"time"
)

// Runtime is everything the node agent asks of a container runtime. All methods
// are safe for concurrent use, block until done or until ctx ends, and return
// errors that can be tested with errors.Is against the sentinels in errors.go.
type Runtime interface {
	ImageService
	SandboxService
	ContainerService

	// Version returns the runtime's name and version in the form that
	// Node.status.nodeInfo.containerRuntimeVersion uses, e.g. "containerd://1.6.20".
	Version(ctx context.Context) (string, error)
}

// ImageService manages the images present on the node.
type ImageService interface {
	// EnsureImage makes the image ref present (pulled and unpacked) according to
	// policy and returns it. ref is normalized as Docker does ("busybox" is
	// "docker.io/library/busybox:latest"); ImageInfo.Ref is the normalized form to
	// pass to StartContainer. An empty policy means PullIfNotPresent. auth, if not
	// nil, is presented to the image's registry. Errors: ErrImageNeverPull when the
	// image is absent and policy is PullNever; ErrImagePull wrapping the cause when
	// the pull fails (registry unreachable, image unknown, unauthorized);
	// ErrInvalidConfig for a malformed ref or an unknown policy.
	EnsureImage(ctx context.Context, ref string, policy PullPolicy, auth *Auth) (ImageInfo, error)

	// ImportImage reads an image archive (an OCI image layout or a Docker
	// save tar, as hack/images/busybox.sh builds) from r and makes its images
	// present and unpacked, for nodes without a registry. With ref empty the
	// images keep the full references recorded in the archive; otherwise the
	// archive is named ref and its manifest for this node's platform is what
	// runs, so give a ref only for an archive of one image. It returns the
	// imported images. Errors: ErrInvalidConfig for a malformed ref or an
	// archive that names no image when ref is empty.
	ImportImage(ctx context.Context, r io.Reader, ref string) ([]ImageInfo, error)

	// ListImages returns the images present on the node, for Node.status.images.
	ListImages(ctx context.Context) ([]ImageInfo, error)
}

// SandboxService manages pod sandboxes: the network namespace the containers
// of one pod share. Networking (CNI) is set up in it by the caller.
type SandboxService interface {
	// CreateSandbox creates the pod's network namespace, with its loopback
	// interface up. The sandbox ID is the pod UID. Creating a sandbox that
	// exists returns the existing one, so a restarted agent can call it again.
	// Errors: ErrInvalidConfig for a missing or unsafe pod UID.
	CreateSandbox(ctx context.Context, cfg SandboxConfig) (Sandbox, error)

	// RemoveSandbox removes the sandbox's network namespace and the pod's
	// runtime leftovers (its cgroup directory). Remove the pod's containers and
	// tear down its network first. Removing a sandbox that does not exist is not
	// an error.
	RemoveSandbox(ctx context.Context, id string) error

	// ListSandboxes returns the sandboxes present on the node, for cleaning up
	// after pods that were deleted while the agent was down.
	ListSandboxes(ctx context.Context) ([]Sandbox, error)
}

// ContainerService runs containers. A container is created and started in one
// step; its state is read with ContainerStatus and it stays (exited) until
// RemoveContainer. Containers keep running when the agent stops; a new agent
// finds them with ListContainers.
type ContainerService interface {
	// StartContainer creates and starts a container and returns its ID once the
	// process runs. The image must be present (see EnsureImage). Errors:
	// ErrInvalidConfig for a config that cannot be run; ErrCreateContainer when
	// the runtime fails to create or start it (e.g. the executable does not
	// exist), also wrapping ErrNotFound when the image is absent. On error
	// nothing is left behind.
	StartContainer(ctx context.Context, cfg ContainerConfig) (string, error)

	// ContainerStatus returns the container's state. Errors: ErrNotFound.
	ContainerStatus(ctx context.Context, id string) (Status, error)

	// StopContainer sends SIGTERM to the container's main process, waits up to
	// grace for it to exit and then sends SIGKILL to all its processes. It
	// returns once the container has exited; stopping an exited container is not
	// an error. Errors: ErrNotFound.
	StopContainer(ctx context.Context, id string, grace time.Duration) error

	// RemoveContainer removes the container, its process (killed if still
	// running), its root filesystem and its cgroup. Its log file is the caller's.
	// Removing a container that does not exist is not an error.
	RemoveContainer(ctx context.Context, id string) error

	// ListContainers returns every container of this runtime (this agent's
	// containerd namespace), with the pod and container names they were started
	// with. Containers not started by StartContainer have empty PodUID.
	ListContainers(ctx context.Context) ([]Container, error)
}

// ExecService runs commands in running containers, for exec probes and
// `kubectl exec`. It is optional: a Runtime that cannot exec does not
// implement it (find it with a type assertion).
type ExecService interface {
	// ExecSync runs cmd in the running container id and waits up to timeout
	// for it to exit. It returns the exit code and the combined stdout and
	// stderr, the first MaxExecSyncOutput bytes of it. A command still running
	// at the timeout is killed and ErrExecTimeout returned. Errors:
	// ErrNotFound, ErrNotRunning, ErrExecTimeout, ErrInvalidConfig for an
	// empty command; an exit code other than 0 is not an error.
	ExecSync(ctx context.Context, id string, cmd []string, timeout time.Duration) (exitCode int32, output []byte, err error)

	// Exec runs a command in the running container id with its streams
	// connected to opts, and returns its exit code once it has exited and its
	// output has been written. When ctx ends first the command is killed and
	// ctx's error returned. Exec does not wait for a Read of opts.Stdin that is
	// blocked when the command exits: the caller ends it (closes its source).
	// Errors as ExecSync, without ErrExecTimeout.
	Exec(ctx context.Context, id string, opts ExecOptions) (exitCode int32, err error)
}

// MaxExecSyncOutput is how much of a command's output ExecSync keeps.
const MaxExecSyncOutput = 16 * 1024
