package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"skiff/pkg/agent/runtime"
	"skiff/proto/agentv1"
)

// Executor runs a command in the container a target names (Target.Previous
// is never set) with the streams of opts, and returns its exit code once it
// has exited. Errors: one wrapping ErrNotFound (made with NotFound, its text
// reaches the user) when the pod or the container is not on this node;
// runtime.ErrNotRunning when the container is not running;
// runtime.ErrInvalidConfig when the command cannot be started (its text
// reaches the user); ctx's error when ctx ended first (the command is killed).
// Anything else is reported as internal. An Executor must be safe for
// concurrent use.
type Executor func(ctx context.Context, t Target, opts runtime.ExecOptions) (exitCode int32, err error)

// WithExecutor makes the service answer Exec by running commands with ex
// (without it, Exec answers Unimplemented).
func WithExecutor(ex Executor) Option { return func(c *config) { c.exec = ex } }

// resizeQueue is how many terminal sizes wait for the runtime; when it is
// full, new sizes wait for room (a client resizing faster than the runtime
// applies it slows its own stream).
const resizeQueue = 4

// Exec implements agentv1.AgentServer: the first message names the container
// and the command; then stdin data, close_stdin and resizes flow in, stdout
// and stderr flow out, and the exit code is the last message. The command
// is killed when the client cancels.
func (s *Service) Exec(stream agentv1.Agent_ExecServer) error {
	if s.cfg.exec == nil {
		return status.Error(codes.Unimplemented, "exec is not enabled on this node agent")
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	t, err := parseExecStart(start)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}

	// One goroutine sends at a time (gRPC streams allow one sender).
	var sendMu sync.Mutex
	send := func(m *agentv1.ExecResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(m)
	}
	opts := runtime.ExecOptions{
		Cmd:    start.GetCommand(),
		TTY:    start.GetTty(),
		Stdout: streamWriter(func(b []byte) error { return send(&agentv1.ExecResponse{Msg: &agentv1.ExecResponse_Stdout{Stdout: b}}) }),
		Stderr: streamWriter(func(b []byte) error { return send(&agentv1.ExecResponse{Msg: &agentv1.ExecResponse_Stderr{Stderr: b}}) }),
	}
	var stdinW *io.PipeWriter
	if start.GetStdin() {
		var stdinR *io.PipeReader
		stdinR, stdinW = io.Pipe()
		// Ends a Read the runtime may still have pending when Exec returns.
		defer stdinR.Close()
		opts.Stdin = stdinR
	}
	resize := make(chan runtime.TerminalSize, resizeQueue)
	opts.Resize = resize

	// The client's messages after the first.
	go func() {
		closeStdin := func() {
			if stdinW != nil {
				stdinW.Close()
			}
		}
		defer closeStdin()
		for {
			m, err := stream.Recv()
			if err != nil {
				// EOF: the client sends nothing more, so stdin has ended too.
				// Anything else: the call is over.
				return
			}
			switch msg := m.GetMsg().(type) {
			case *agentv1.ExecRequest_Stdin:
				if stdinW == nil {
					continue // no stdin was asked for: drop it
				}
				if _, err := stdinW.Write(msg.Stdin); err != nil {
					continue // the command's stdin is closed; drain the rest
				}
			case *agentv1.ExecRequest_CloseStdin:
				if msg.CloseStdin {
					closeStdin()
				}
			case *agentv1.ExecRequest_Resize:
				sz := runtime.TerminalSize{Width: clampSize(msg.Resize.GetWidth()), Height: clampSize(msg.Resize.GetHeight())}
				select {
				case resize <- sz:
				case <-ctx.Done():
					return
				}
			}
		}
	}()

	code, err := s.cfg.exec(ctx, t, opts)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return s.execStatus(err, t)
	}
	return send(&agentv1.ExecResponse{Msg: &agentv1.ExecResponse_ExitCode{ExitCode: code}})
}

// execStatus maps an Executor's error to a gRPC status.
func (s *Service) execStatus(err error, t Target) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, runtime.ErrNotRunning):
		return status.Errorf(codes.FailedPrecondition, "container %q in pod %q is not running", t.Container, podName(t))
	case errors.Is(err, runtime.ErrInvalidConfig):
		return status.Errorf(codes.InvalidArgument, "cannot run the command in container %q of pod %q: %v", t.Container, podName(t), err)
	}
	s.cfg.log.Error("exec failed", "pod", podName(t), "uid", t.PodUID, "container", t.Container, "err", err)
	return status.Errorf(codes.Internal, "running the command in container %q of pod %q failed on the node; see the node agent's log", t.Container, podName(t))
}

// parseExecStart validates the first message of an Exec call.
func parseExecStart(start *agentv1.ExecStart) (Target, error) {
	if start == nil {
		return Target{}, errors.New("invalid exec request: the first message must be start")
	}
	t := Target{Namespace: start.GetNamespace(), Pod: start.GetPodName(), PodUID: start.GetPodUid(), Container: start.GetContainer()}
	var errs []string
	if t.Container == "" {
		errs = append(errs, "container is required")
	}
	if t.PodUID == "" && (t.Namespace == "" || t.Pod == "") {
		errs = append(errs, "pod_uid or namespace and pod_name are required")
	}
	if len(start.GetCommand()) == 0 || start.GetCommand()[0] == "" {
		errs = append(errs, "command is required")
	}
	if len(errs) > 0 {
		return t, fmt.Errorf("invalid exec request: %s", strings.Join(errs, "; "))
	}
	return t, nil
}

func clampSize(n uint32) uint16 { return uint16(min(n, 0xffff)) }

// streamWriter sends what is written to it as messages; a failed send (the
// client is gone) fails the write, which ends the runtime's copy.
type streamWriter func([]byte) error

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
