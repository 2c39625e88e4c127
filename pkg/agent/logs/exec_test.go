package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/pki"
	"skiff/proto/agentv1"
)

// fakeExec is an Executor with a few commands of its own, run in the one
// container "uid-1/app":
//
//	cat           copies stdin to stdout
//	fail CODE     writes "oops" to stderr and exits with CODE
//	size          prints the first terminal size it gets
//	wait          writes "started", then blocks until ctx ends
//	bad           cannot start
//	stopped       the container is not running
type fakeExec struct {
	mu      sync.Mutex
	targets []Target
	// killed is closed when a command ends because its ctx did.
	killed chan struct{}
}

func (f *fakeExec) exec(ctx context.Context, t Target, opts runtime.ExecOptions) (int32, error) {
	f.mu.Lock()
	f.targets = append(f.targets, t)
	f.mu.Unlock()
	if t.PodUID != "uid-1" || t.Container != "app" {
		return -1, NotFound(fmt.Sprintf("container %q in pod %q has not started on this node", t.Container, t.Pod))
	}
	switch opts.Cmd[0] {
	case "cat":
		if opts.Stdin == nil {
			return 0, nil
		}
		_, err := io.Copy(opts.Stdout, opts.Stdin)
		return 0, err
	case "fail":
		io.WriteString(opts.Stderr, "oops\n")
		var code int32
		fmt.Sscan(opts.Cmd[1], &code)
		return code, nil
	case "size":
		select {
		case sz := <-opts.Resize:
			fmt.Fprintf(opts.Stdout, "%dx%d tty=%v", sz.Width, sz.Height, opts.TTY)
			return 0, nil
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	case "wait":
		io.WriteString(opts.Stdout, "started")
		<-ctx.Done()
		close(f.killed)
		return -1, ctx.Err()
	case "bad":
		return -1, fmt.Errorf("%w: exec: \"bad\": executable file not found in $PATH", runtime.ErrInvalidConfig)
	case "stopped":
		return -1, fmt.Errorf("container x: %w", runtime.ErrNotRunning)
	}
	return -1, errors.New("unexpected failure with a secret detail")
}

// execResult is what an Exec call returned.
type execResult struct {
	stdout, stderr string
	exitCode       int32
	gotExit        bool
}

// runExec sends start and then the messages in, closing the send side, and
// reads the answer to its end.
func runExec(ctx context.Context, c agentv1.AgentClient, start *agentv1.ExecStart, in ...*agentv1.ExecRequest) (execResult, error) {
	var res execResult
	stream, err := c.Exec(ctx)
	if err != nil {
		return res, err
	}
	msgs := append([]*agentv1.ExecRequest{{Msg: &agentv1.ExecRequest_Start{Start: start}}}, in...)
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			break // the server ended the call; Recv says how
		}
	}
	stream.CloseSend()
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		switch msg := m.GetMsg().(type) {
		case *agentv1.ExecResponse_Stdout:
			res.stdout += string(msg.Stdout)
		case *agentv1.ExecResponse_Stderr:
			res.stderr += string(msg.Stderr)
		case *agentv1.ExecResponse_ExitCode:
			res.exitCode, res.gotExit = msg.ExitCode, true
		}
	}
}

func stdinMsg(s string) *agentv1.ExecRequest {
	return &agentv1.ExecRequest{Msg: &agentv1.ExecRequest_Stdin{Stdin: []byte(s)}}
}

func TestServeExec(t *testing.T) {
	p := newTestPKI(t)
	fx := &fakeExec{killed: make(chan struct{})}
	addr := startAgent(t, p, &fakePods{dir: t.TempDir()}, WithExecutor(fx.exec))
	c := dial(t, addr, p.clientTLS(t, p.ca, pki.APIServerKubeletClientName))
	ctx := context.Background()
	start := func(cmd ...string) *agentv1.ExecStart {
		return &agentv1.ExecStart{Namespace: "default", PodName: "web", PodUid: "uid-1", Container: "app", Command: cmd}
	}
	withStdin := func(s *agentv1.ExecStart) *agentv1.ExecStart { s.Stdin = true; return s }
	withTTY := func(s *agentv1.ExecStart) *agentv1.ExecStart { s.Tty = true; return s }

	tests := []struct {
		name     string
		start    *agentv1.ExecStart
		in       []*agentv1.ExecRequest
		want     execResult
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "stdin echoed, close_stdin ends it", start: withStdin(start("cat")),
			in:   []*agentv1.ExecRequest{stdinMsg("hello "), stdinMsg("world"), {Msg: &agentv1.ExecRequest_CloseStdin{CloseStdin: true}}},
			want: execResult{stdout: "hello world", gotExit: true}},
		{name: "end of the client's messages ends stdin", start: withStdin(start("cat")),
			in:   []*agentv1.ExecRequest{stdinMsg("hi")},
			want: execResult{stdout: "hi", gotExit: true}},
		{name: "stdin not asked for is dropped", start: start("cat"), in: []*agentv1.ExecRequest{stdinMsg("hi")},
			want: execResult{gotExit: true}},
		{name: "stderr and exit code", start: start("fail", "3"), want: execResult{stderr: "oops\n", exitCode: 3, gotExit: true}},
		{name: "resize", start: withTTY(start("size")),
			in:   []*agentv1.ExecRequest{{Msg: &agentv1.ExecRequest_Resize{Resize: &agentv1.TerminalSize{Width: 80, Height: 24}}}},
			want: execResult{stdout: "80x24 tty=true", gotExit: true}},
		{name: "first message not start", start: nil, wantCode: codes.InvalidArgument, wantMsg: "the first message must be start"},
		{name: "no command", start: start(), wantCode: codes.InvalidArgument, wantMsg: "command is required"},
		{name: "no container", start: &agentv1.ExecStart{PodUid: "uid-1", Command: []string{"cat"}}, wantCode: codes.InvalidArgument, wantMsg: "container is required"},
		{name: "unknown container", start: &agentv1.ExecStart{Namespace: "default", PodName: "web", PodUid: "uid-1", Container: "nope", Command: []string{"cat"}},
			wantCode: codes.NotFound, wantMsg: `container "nope" in pod "web" has not started on this node`},
		{name: "not running", start: start("stopped"), wantCode: codes.FailedPrecondition, wantMsg: `container "app" in pod "default/web" is not running`},
		{name: "cannot start", start: start("bad"), wantCode: codes.InvalidArgument, wantMsg: "executable file not found"},
		{name: "internal errors are not shown", start: start("other"), wantCode: codes.Internal, wantMsg: "see the node agent's log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got execResult
			var err error
			if tt.start == nil {
				// A stdin message where start should be.
				stream, serr := c.Exec(ctx)
				if serr != nil {
					t.Fatal(serr)
				}
				stream.Send(stdinMsg("x"))
				stream.CloseSend()
				_, err = stream.Recv()
			} else {
				got, err = runExec(ctx, c, tt.start, tt.in...)
			}
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code %v (%v), want %v", code, err, tt.wantCode)
			}
			if tt.wantCode != codes.OK {
				if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.wantMsg) || strings.Contains(msg, "secret") {
					t.Errorf("message %q does not contain %q", msg, tt.wantMsg)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(execResult{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("cancel kills the command", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		stream, err := c.Exec(cctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&agentv1.ExecRequest{Msg: &agentv1.ExecRequest_Start{Start: start("wait")}}); err != nil {
			t.Fatal(err)
		}
		if m, err := stream.Recv(); err != nil || string(m.GetStdout()) != "started" {
			t.Fatalf("Recv = %v, %v", m, err)
		}
		cancel()
		<-fx.killed
	})

	fx.mu.Lock()
	defer fx.mu.Unlock()
	if got, want := fx.targets[0], (Target{Namespace: "default", Pod: "web", PodUID: "uid-1", Container: "app"}); got != want {
		t.Errorf("executor got %+v, want %+v", got, want)
	}
}

func TestExecUnimplementedWithoutExecutor(t *testing.T) {
	p := newTestPKI(t)
	addr := startAgent(t, p, &fakePods{dir: t.TempDir()})
	c := dial(t, addr, p.clientTLS(t, p.ca, pki.APIServerKubeletClientName))
	_, err := runExec(context.Background(), c, &agentv1.ExecStart{PodUid: "u", Container: "c", Command: []string{"true"}})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("got %v, want Unimplemented", err)
	}
}
