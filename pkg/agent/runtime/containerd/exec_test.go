package containerd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/agent/runtime"
)

// runningContainer starts a busybox container that sleeps, with env and
// working directory of its own, and waits until it runs.
func runningContainer(t *testing.T, r *Runtime) string {
	t.Helper()
	importBusybox(t, r)
	cfg := podConfig(t, "sleeper", "sleep", "3600")
	cfg.Env = []runtime.EnvVar{{Name: "FROM_SPEC", Value: "yes"}}
	cfg.WorkingDir = "/tmp"
	id := start(t, r, cfg)
	waitStatus(t, r, id, 10*time.Second, func(s runtime.Status) bool { return s.State == runtime.StateRunning })
	return id
}

func TestExecSync(t *testing.T) {
	r := newTestRuntime(t)
	id := runningContainer(t, r)
	ctx := testContext(t)

	cases := []struct {
		name     string
		cmd      []string
		wantCode int32
		wantOut  string
	}{
		{"output and exit code", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, 3, "out\nerr\n"},
		{"container's env and cwd", []string{"sh", "-c", `echo "$FROM_SPEC $(pwd)"`}, 0, "yes /tmp\n"},
		{"test -f fails", []string{"test", "-f", "/tmp/ready"}, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now()
			code, out, err := r.ExecSync(ctx, id, tc.cmd, 10*time.Second)
			t.Logf("exec took %v", time.Since(before))
			if err != nil {
				t.Fatalf("ExecSync: %v", err)
			}
			// stdout and stderr are two pipes copied at once: their lines
			// interleave in no set order, so compare them as sets.
			if code != tc.wantCode || !sameLines(string(out), tc.wantOut) {
				t.Errorf("ExecSync = %d, %q; want %d, %q", code, out, tc.wantCode, tc.wantOut)
			}
		})
	}

	// A file touched by one exec is seen by the next: same container.
	if code, _, err := r.ExecSync(ctx, id, []string{"touch", "/tmp/ready"}, 10*time.Second); err != nil || code != 0 {
		t.Fatalf("touch: %d, %v", code, err)
	}
	if code, _, err := r.ExecSync(ctx, id, []string{"test", "-f", "/tmp/ready"}, 10*time.Second); err != nil || code != 0 {
		t.Errorf("test -f after touch: %d, %v", code, err)
	}

	t.Run("output is cut at the limit", func(t *testing.T) {
		code, out, err := r.ExecSync(ctx, id, []string{"sh", "-c", "head -c 100000 /dev/zero; echo done >&2"}, 10*time.Second)
		if err != nil || code != 0 {
			t.Fatalf("ExecSync = %d, %v", code, err)
		}
		if len(out) != runtime.MaxExecSyncOutput {
			t.Errorf("got %d bytes of output, want %d", len(out), runtime.MaxExecSyncOutput)
		}
	})

	t.Run("timeout kills", func(t *testing.T) {
		_, out, err := r.ExecSync(ctx, id, []string{"sh", "-c", "echo started; sleep 60"}, time.Second)
		if !errors.Is(err, runtime.ErrExecTimeout) {
			t.Fatalf("err = %v, want ErrExecTimeout", err)
		}
		if !strings.Contains(string(out), "started") {
			t.Errorf("output before the timeout = %q", out)
		}
		// The killed command's shell is gone (the sleep it started may be
		// orphaned, as with Kubernetes).
		_, ps, err := r.ExecSync(ctx, id, []string{"ps", "-o", "args"}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(ps), "echo started") {
			t.Errorf("the timed-out command still runs:\n%s", ps)
		}
	})

	t.Run("background child does not hang", func(t *testing.T) {
		code, out, err := r.ExecSync(ctx, id, []string{"sh", "-c", "sleep 30 & echo bye"}, 20*time.Second)
		if err != nil || code != 0 || string(out) != "bye\n" {
			t.Errorf("ExecSync = %d, %q, %v", code, out, err)
		}
	})

	errCases := []struct {
		name string
		id   string
		cmd  []string
		want error
	}{
		{"no such executable", id, []string{"/nope"}, runtime.ErrInvalidConfig},
		{"empty command", id, nil, runtime.ErrInvalidConfig},
		{"no such container", "0123456789abcdef0123456789abcdef", []string{"true"}, runtime.ErrNotFound},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := r.ExecSync(ctx, tc.id, tc.cmd, 10*time.Second)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	assertNoExecFIFOs(t, r)
}

func TestExecNotRunning(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	id := start(t, r, podConfig(t, "done", "true"))
	waitStatus(t, r, id, 10*time.Second, exited)
	_, _, err := r.ExecSync(testContext(t), id, []string{"true"}, 10*time.Second)
	if !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("err = %v, want ErrNotRunning", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of stdout and
// stderr copies.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestExecStreams(t *testing.T) {
	r := newTestRuntime(t)
	id := runningContainer(t, r)
	ctx := testContext(t)

	t.Run("stdin to stdout, EOF ends it", func(t *testing.T) {
		var stdout, stderr syncBuffer
		code, err := r.Exec(ctx, id, runtime.ExecOptions{
			Cmd:   []string{"sh", "-c", "cat; echo end >&2"},
			Stdin: strings.NewReader("hello\nworld\n"), Stdout: &stdout, Stderr: &stderr,
		})
		if err != nil || code != 0 {
			t.Fatalf("Exec = %d, %v", code, err)
		}
		if stdout.String() != "hello\nworld\n" || stderr.String() != "end\n" {
			t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	})

	t.Run("empty stdin", func(t *testing.T) {
		var stdout syncBuffer
		code, err := r.Exec(ctx, id, runtime.ExecOptions{Cmd: []string{"wc", "-c"}, Stdin: strings.NewReader(""), Stdout: &stdout})
		if err != nil || code != 0 || strings.TrimSpace(stdout.String()) != "0" {
			t.Errorf("Exec = %d, %v, stdout %q", code, err, stdout.String())
		}
	})

	t.Run("tty with resize", func(t *testing.T) {
		stdinR, stdinW := io.Pipe()
		defer stdinW.Close()
		resize := make(chan runtime.TerminalSize, 1)
		resize <- runtime.TerminalSize{Width: 123, Height: 45}
		var stdout syncBuffer
		// The command waits until the size has reached its terminal (the
		// resize is applied once it runs), then reads a line.
		script := `until [ "$(stty size)" = "45 123" ]; do sleep 0.05; done; echo sized; ` +
			`read line; echo "got $line"; echo "term=$TERM"; [ -t 1 ] && echo tty; exit 7`
		errc := make(chan error, 1)
		var code int32
		go func() {
			var err error
			code, err = r.Exec(ctx, id, runtime.ExecOptions{
				Cmd: []string{"sh", "-c", script},
				// Stderr is ignored with a TTY.
				Stdin: stdinR, Stdout: &stdout, Stderr: &stdout, TTY: true, Resize: resize,
			})
			errc <- err
		}()
		if _, err := io.WriteString(stdinW, "abc\n"); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil || code != 7 {
			t.Fatalf("Exec = %d, %v; output %q", code, err, stdout.String())
		}
		out := strings.ReplaceAll(stdout.String(), "\r\n", "\n")
		for _, want := range []string{"sized\n", "got abc\n", "term=xterm\n", "tty\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("output %q lacks %q", out, want)
			}
		}
	})

	t.Run("ctx end kills", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		var stdout syncBuffer
		errc := make(chan error, 1)
		go func() {
			_, err := r.Exec(cctx, id, runtime.ExecOptions{Cmd: []string{"sh", "-c", "echo up; exec sleep 60"}, Stdout: &stdout})
			errc <- err
		}()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stdout.String(), "up") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		_, ps, _ := r.ExecSync(ctx, id, []string{"ps", "-o", "args"}, 10*time.Second)
		if strings.Contains(string(ps), "sleep 60") {
			t.Errorf("the cancelled command still runs:\n%s", ps)
		}
	})
	assertNoExecFIFOs(t, r)
}

// assertNoExecFIFOs checks that every exec's FIFO directory was removed.
func assertNoExecFIFOs(t *testing.T, r *Runtime) {
	t.Helper()
	entries, err := os.ReadDir(r.fifoDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in %s: %s", r.fifoDir, e.Name())
	}
}

// sameLines reports whether a and b hold the same lines in any order.
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}
