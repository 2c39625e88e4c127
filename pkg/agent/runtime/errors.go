package runtime

import "errors"

// Errors returned by Runtime implementations, wrapped with details; test them
// with errors.Is.
var (
	// ErrNotFound: the container, sandbox or image does not exist.
	ErrNotFound = errors.New("runtime: not found")
	// ErrInvalidConfig: the request cannot be carried out as given.
	ErrInvalidConfig = errors.New("runtime: invalid config")
	// ErrImageNeverPull: the image is absent and the pull policy is Never
	// (Kubernetes' ErrImageNeverPull).
	ErrImageNeverPull = errors.New("runtime: image is not present and pull policy is Never")
	// ErrImagePull: pulling the image failed (Kubernetes' ErrImagePull); the
	// cause is wrapped too.
	ErrImagePull = errors.New("runtime: pulling image failed")
	// ErrCreateContainer: the runtime failed to create or start the container
	// (Kubernetes' CreateContainerError / RunContainerError); the cause is wrapped too.
	ErrCreateContainer = errors.New("runtime: creating container failed")
	// ErrNotRunning: the container exists but its process is not running, so
	// nothing can be run in it.
	ErrNotRunning = errors.New("runtime: container is not running")
	// ErrExecTimeout: a command run by ExecSync did not exit within its
	// timeout and was killed.
	ErrExecTimeout = errors.New("runtime: command timed out")
)
