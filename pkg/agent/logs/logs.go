// Package logs serves containers' log files over the node agent's gRPC API
// (skiff.agent.v1.Agent in proto/agent.proto): Logs with tail, since, limit,
// follow, previous and timestamps, which the apiserver proxies for pods/log;
// and Exec, which runs commands in containers for pods/exec through an
// Executor.
// Where a log file is, and whether the attempt writing it has ended, is the pod
// worker's knowledge: it comes in through a Resolver, so this package knows
// nothing of pods beyond their names.
//
//	apiserver ──gRPC/TLS──▶ Serve ─▶ Service.Logs ─▶ Resolver(Target) ─▶ Source{Path, Done}
//	                                       └── tail/since, then poll the file while following
//
// Log files are raw bytes (containerd's cio.LogFile: stdout and stderr merged)
// with no per-line times, which shapes two options: since_seconds is decided
// for the whole file by its modification time, and timestamps are available
// only for lines read while following (see proto/agent.proto).
package logs

import (
	"context"
	"errors"
)

// Target names the log a request asks for.
type Target struct {
	// Namespace and Pod name the pod; PodUID is set when the caller knows it
	// (the apiserver always does) and should win when it is.
	Namespace, Pod, PodUID string
	// Container is the container's name in the pod spec; never empty.
	Container string
	// Previous asks for the attempt before the current one (the last restart's
	// predecessor), as `kubectl logs --previous` does.
	Previous bool
}

// Source is the log file of one container attempt.
type Source struct {
	// Path is the file containerd writes the attempt's output to, e.g.
	// RootDir/pods/<pod UID>/<container>/<attempt>.log.
	Path string
	// Done reports whether the attempt writing Path has ended and all its
	// output is in the file. Following stops at the end of the file once Done
	// has returned true. Nil means the attempt has already ended (a previous
	// attempt, an exited container). Done is called once per poll interval
	// from the request's goroutine, so it should be cheap (read a cached
	// state, not ask the runtime).
	Done func() bool
}

// Resolver finds the log a target names. It returns an error for which
// errors.Is(err, ErrNotFound) holds when the pod, the container or the asked
// attempt is not on this node, or has not started yet; use NotFound to make
// one, since its message reaches the user (kubectl prints it). Other errors are
// reported as internal. A Resolver must be safe for concurrent use.
type Resolver func(ctx context.Context, t Target) (Source, error)

// ErrNotFound is what a Resolver's error wraps when there is no such log.
var ErrNotFound = errors.New("logs: not found")

// NotFound returns an error that wraps ErrNotFound and whose text is msg, for
// example `previous terminated container "app" in pod "web" not found`.
func NotFound(msg string) error { return &notFoundError{msg: msg} }

type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }
