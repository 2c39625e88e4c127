package containerd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/errdefs"

	"skiff/pkg/agent/runtime"
)

// execIODrain bounds how long output is still copied after a command exited:
// a child it left in the background may hold its stdout open for ever. The runc
// shim waits as long before it closes the pipes of an exited exec process.
const execIODrain = 2 * time.Second

var _ runtime.ExecService = (*Runtime)(nil)

// ExecSync implements runtime.ExecService.
func (r *Runtime) ExecSync(ctx context.Context, id string, cmd []string, timeout time.Duration) (int32, []byte, error) {
	tctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out := &limitedBuffer{max: runtime.MaxExecSyncOutput}
	code, err := r.Exec(tctx, id, runtime.ExecOptions{Cmd: cmd, Stdout: out, Stderr: out})
	if err != nil && errors.Is(tctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return -1, out.bytes(), fmt.Errorf("container %s: %w: %q did not exit within %v", id, runtime.ErrExecTimeout, strings.Join(cmd, " "), timeout)
	}
	return code, out.bytes(), err
}

// Exec implements runtime.ExecService: the command runs as an extra process
// of the container's task (containerd's task.Exec) with the process settings
// of the container's spec, its streams copied through FIFOs in the runtime's
// FIFO directory. The process is deleted from the task before Exec returns.
func (r *Runtime) Exec(ctx context.Context, id string, opts runtime.ExecOptions) (_ int32, retErr error) {
	if len(opts.Cmd) == 0 || opts.Cmd[0] == "" {
		return -1, fmt.Errorf("%w: exec needs a command", runtime.ErrInvalidConfig)
	}
	nctx := r.nsCtx(ctx)
	c, err := r.client.LoadContainer(nctx, id)
	if err != nil {
		return -1, containerErr(id, err)
	}
	task, err := c.Task(nctx, nil)
	if errdefs.IsNotFound(err) {
		return -1, fmt.Errorf("container %s: %w", id, runtime.ErrNotRunning)
	}
	if err != nil {
		return -1, fmt.Errorf("container %s: task: %w", id, err)
	}
	st, err := task.Status(nctx)
	if err != nil {
		return -1, fmt.Errorf("container %s: task status: %w", id, err)
	}
	if st.Status != containerd.Running {
		return -1, fmt.Errorf("container %s: %w (it is %s)", id, runtime.ErrNotRunning, st.Status)
	}
	spec, err := c.Spec(nctx)
	if err != nil {
		return -1, fmt.Errorf("container %s: spec: %w", id, err)
	}
	if spec.Process == nil {
		return -1, fmt.Errorf("container %s: its spec has no process", id)
	}
	// The container's process settings (env, cwd, user, capabilities, rlimits)
	// with the command instead of the container's own.
	pspec := *spec.Process
	pspec.Args = slices.Clone(opts.Cmd)
	pspec.Terminal = opts.TTY
	pspec.ConsoleSize = nil
	// The shim (containerd 1.6) cannot leave out stdout or stderr of a
	// process without a terminal: discard what nobody wants.
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if opts.TTY {
		pspec.Env = append(slices.DeleteFunc(slices.Clone(pspec.Env), func(e string) bool { return strings.HasPrefix(e, "TERM=") }), "TERM=xterm")
		stderr = nil // the terminal is stdout and stderr
	}

	// Stdin is read only once the process has started, so that its end can
	// close the process's stdin (CloseIO needs a started process).
	var (
		stdin   io.Reader
		started = make(chan struct{})
		proc    containerd.Process
		ok      bool // written before started is closed
	)
	if opts.Stdin != nil {
		stdin = &execStdin{r: opts.Stdin, started: started, ok: &ok, closeIO: func() error {
			cctx, cancel := cleanupCtx(nctx)
			defer cancel()
			return proc.CloseIO(cctx, containerd.WithStdinCloser)
		}}
	}
	defer func() {
		select {
		case <-started:
		default:
			close(started) // failed before Start: stdin ends at once
		}
	}()
	cioOpts := []cio.Opt{cio.WithStreams(stdin, stdout, stderr), cio.WithFIFODir(r.fifoDir)}
	if opts.TTY {
		cioOpts = append(cioOpts, cio.WithTerminal)
	}
	execID := newID()
	p, err := task.Exec(nctx, execID, &pspec, cio.NewCreator(cioOpts...))
	if err != nil {
		return -1, fmt.Errorf("container %s: exec: %w", id, err)
	}
	proc = p
	defer func() {
		// Kills the process if it still runs (ctx ended), then removes it
		// from the task and closes its FIFOs.
		cctx, cancel := cleanupCtx(nctx)
		defer cancel()
		if _, err := p.Delete(cctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			r.log.Warn("deleting exec process", "container", id, "exec", execID, "err", err)
		}
	}()
	exitC, err := p.Wait(nctx)
	if err != nil {
		return -1, fmt.Errorf("container %s: exec wait: %w", id, err)
	}
	// Start runs to completion even if ctx ends meanwhile: a start cancelled
	// half-way can leave a running process that the kill below, sent to a
	// process the shim does not yet count as started, would miss. An ended
	// ctx is seen right after, and the deferred delete kills the process.
	sctx, scancel := cleanupCtx(nctx)
	err = p.Start(sctx)
	scancel()
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		// Typically the executable does not exist; runc says so.
		return -1, fmt.Errorf("%w: container %s: starting %q: %w", runtime.ErrInvalidConfig, id, opts.Cmd[0], err)
	}
	ok = true
	close(started)
	r.log.Debug("exec started", "container", id, "exec", execID, "cmd", opts.Cmd, "tty", opts.TTY)

	done := make(chan struct{})
	defer close(done)
	if opts.TTY && opts.Resize != nil {
		go func() {
			for {
				select {
				case <-done:
					return
				case sz, more := <-opts.Resize:
					if !more {
						return
					}
					if err := p.Resize(nctx, uint32(sz.Width), uint32(sz.Height)); err != nil && !errdefs.IsNotFound(err) {
						r.log.Debug("resizing exec terminal", "container", id, "exec", execID, "err", err)
					}
				}
			}
		}()
	}

	var exit containerd.ExitStatus
	select {
	case exit = <-exitC:
	case <-ctx.Done():
		return -1, ctx.Err()
	}
	code, _, err := exit.Result()
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, fmt.Errorf("container %s: exec wait: %w", id, err)
	}
	// The output may still be on its way through the FIFOs.
	drained := make(chan struct{})
	go func() {
		p.IO().Wait()
		close(drained)
	}()
	t := time.NewTimer(execIODrain)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
		r.log.Debug("exec output still open after the command exited; closing it", "container", id, "exec", execID)
	case <-ctx.Done():
	}
	return int32(code), nil
}

// execStdin reads a command's stdin once the command has started, and closes
// the command's stdin at its end.
type execStdin struct {
	r       io.Reader
	started <-chan struct{}
	ok      *bool
	closeIO func() error
	once    sync.Once
}

func (s *execStdin) Read(p []byte) (int, error) {
	<-s.started
	if !*s.ok {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if err != nil {
		// Whatever was read before is already in the FIFO: the shim passes
		// it on before it sees the end.
		s.once.Do(func() { _ = s.closeIO() })
		if err != io.EOF {
			err = io.EOF
		}
	}
	return n, err
}

// limitedBuffer keeps the first max bytes written to it and discards the
// rest (accepting it, so the command is never blocked on its output). It is
// safe for concurrent writes.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
