package logs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTailOffset(t *testing.T) {
	long := strings.Repeat("x", 20000) + "\n" // crosses the 8 KiB read blocks
	tests := []struct {
		name    string
		content string
		n       int64
		want    string
	}{
		{"empty file", "", 3, ""},
		{"zero lines", "a\nb\n", 0, ""},
		{"last line", "a\nb\nc\n", 1, "c\n"},
		{"last two", "a\nb\nc\n", 2, "b\nc\n"},
		{"exactly all", "a\nb\nc\n", 3, "a\nb\nc\n"},
		{"more than all", "a\nb\nc\n", 10, "a\nb\nc\n"},
		{"unterminated last line", "a\nb\nc", 1, "c"},
		{"unterminated, two", "a\nb\nc", 2, "b\nc"},
		{"empty lines", "\n\n\n", 2, "\n\n"},
		{"long lines", "a\n" + long + long + "b\n", 2, long + "b\n"},
		{"long lines, all", "a\n" + long + long + "b\n", 4, "a\n" + long + long + "b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := strings.NewReader(tt.content)
			off, err := tailOffset(r, int64(len(tt.content)), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.content[off:]); diff != "" {
				t.Errorf("tail %d (-want +got):\n%s", tt.n, diff)
			}
		})
	}
}

// fixedNow is the clock of tests that check since and timestamps.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 123, time.UTC)

// writeLog writes a log file modified at mtime and returns its path.
func writeLog(t *testing.T, content string, mtime time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return path
}

// collector gathers what a reader sends, safely for polling from the test.
type collector struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	chunks int
}

func (c *collector) send(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(b)
	c.chunks++
	return nil
}

func (c *collector) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newReader(t *testing.T, path string, src Source, o options, c *collector, now func() time.Time) *reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	src.Path = path
	return &reader{f: f, src: src, opts: o, send: c.send, now: now, poll: time.Millisecond}
}

// TestCopyLogPast covers reading what is already written: all of it, tail,
// limit, and since decided by the file's modification time.
func TestCopyLogPast(t *testing.T) {
	const content = "one\ntwo\nthree\nfour\n"
	recent, old := fixedNow.Add(-5*time.Second), fixedNow.Add(-time.Hour)
	tests := []struct {
		name    string
		content string
		mtime   time.Time
		opts    options
		want    string
	}{
		{"all", content, recent, options{tail: -1}, content},
		{"tail 2", content, recent, options{tail: 2}, "three\nfour\n"},
		{"tail 0", content, recent, options{tail: 0}, ""},
		{"limit cuts mid-line", content, recent, options{tail: -1, limit: 6}, "one\ntw"},
		{"limit larger than the log", content, recent, options{tail: -1, limit: 1000}, content},
		{"limit after tail", content, recent, options{tail: 2, limit: 3}, "thr"},
		{"since: written within the window keeps everything", content, recent, options{tail: -1, since: time.Minute}, content},
		{"since: last written before the window sends nothing", content, old, options{tail: -1, since: time.Minute}, ""},
		{"since and tail", content, recent, options{tail: 1, since: time.Minute}, "four\n"},
		{"timestamps: past lines carry none", content, recent, options{tail: -1, timestamps: true}, content},
		{"empty log", "", recent, options{tail: -1}, ""},
		{"large log", strings.Repeat("0123456789\n", 10000), recent, options{tail: -1}, strings.Repeat("0123456789\n", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c collector
			r := newReader(t, writeLog(t, tt.content, tt.mtime), Source{}, tt.opts, &c, func() time.Time { return fixedNow })
			if err := copyLog(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// appender writes to a log file as a container would.
func appender(t *testing.T, path string) func(string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return func(s string) {
		t.Helper()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFollow: following sends the existing log, then appended output as it
// comes, and ends once the attempt is done and its output read.
func TestFollow(t *testing.T) {
	path := writeLog(t, "a\nb\n", time.Now())
	write := appender(t, path)
	var done atomic.Bool
	var c collector
	r := newReader(t, path, Source{Done: done.Load}, options{follow: true, tail: 1}, &c, time.Now)
	errc := make(chan error, 1)
	go func() { errc <- copyLog(context.Background(), r) }()

	waitFor(t, "the tail", func() bool { return c.String() == "b\n" })
	write("c\n")
	waitFor(t, "the first appended line", func() bool { return c.String() == "b\nc\n" })
	write("d")
	write("e\nlast\n")
	done.Store(true)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not end after the attempt ended")
	}
	if diff := cmp.Diff("b\nc\nde\nlast\n", c.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFollowEnds: a follow ends when the client goes away, and at the byte
// limit, without the attempt ending.
func TestFollowEnds(t *testing.T) {
	t.Run("context", func(t *testing.T) {
		path := writeLog(t, "a\n", time.Now())
		var c collector
		r := newReader(t, path, Source{Done: func() bool { return false }}, options{follow: true, tail: -1}, &c, time.Now)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- copyLog(ctx, r) }()
		waitFor(t, "the log", func() bool { return c.String() == "a\n" })
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("follow did not end with its context")
		}
	})
	t.Run("limit", func(t *testing.T) {
		path := writeLog(t, "abc\n", time.Now())
		write := appender(t, path)
		var c collector
		r := newReader(t, path, Source{Done: func() bool { return false }}, options{follow: true, tail: -1, limit: 8}, &c, time.Now)
		errc := make(chan error, 1)
		go func() { errc <- copyLog(context.Background(), r) }()
		waitFor(t, "the log", func() bool { return c.String() == "abc\n" })
		write("defghij\n")
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("follow did not end at the limit")
		}
		if diff := cmp.Diff("abc\ndefg", c.String()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("nil Done means the attempt has ended", func(t *testing.T) {
		path := writeLog(t, "a\n", time.Now())
		var c collector
		r := newReader(t, path, Source{}, options{follow: true, tail: -1}, &c, time.Now)
		if err := copyLog(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if c.String() != "a\n" {
			t.Errorf("got %q", c.String())
		}
	})
	t.Run("since rules out the past, follow still sends new output", func(t *testing.T) {
		path := writeLog(t, "old\n", time.Now().Add(-time.Hour))
		write := appender(t, path)
		var done atomic.Bool
		following := make(chan struct{})
		var once sync.Once
		// Done is first asked once the past is dealt with.
		isDone := func() bool { once.Do(func() { close(following) }); return done.Load() }
		var c collector
		r := newReader(t, path, Source{Done: isDone}, options{follow: true, tail: -1, since: time.Minute}, &c, time.Now)
		errc := make(chan error, 1)
		go func() { errc <- copyLog(context.Background(), r) }()
		<-following
		write("new\n")
		waitFor(t, "the new line", func() bool { return c.String() == "new\n" })
		done.Store(true)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

// TestFollowTimestamps: lines read while following are stamped with the read
// time, once per line even when a line arrives in pieces; past lines are not.
func TestFollowTimestamps(t *testing.T) {
	path := writeLog(t, "past\npartial", time.Now())
	write := appender(t, path)
	var done atomic.Bool
	var c collector
	r := newReader(t, path, Source{Done: done.Load}, options{follow: true, tail: -1, timestamps: true}, &c, func() time.Time { return fixedNow })
	errc := make(chan error, 1)
	go func() { errc <- copyLog(context.Background(), r) }()
	waitFor(t, "the past lines", func() bool { return c.String() == "past\npartial" })
	write(" end\nx")
	waitFor(t, "the first append", func() bool { return strings.HasSuffix(c.String(), "x") })
	write("y\nz\n")
	done.Store(true)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ts := "2026-03-01T12:00:00.000000123Z "
	want := "past\npartial end\n" + ts + "xy\n" + ts + "z\n"
	if diff := cmp.Diff(want, c.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
