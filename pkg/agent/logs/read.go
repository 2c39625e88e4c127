package logs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// TimestampFormat is how lines are stamped: Kubernetes' RFC 3339 with a fixed
// nine-digit fraction, in UTC, followed by a space.
const TimestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// chunkSize is how much is read from the file per read, and so the largest
// chunk sent (plus timestamps).
const chunkSize = 32 * 1024

// options are a validated LogsRequest, without the target.
type options struct {
	follow     bool
	timestamps bool
	// tail is the number of lines to start before the end; negative: all.
	tail int64
	// since, if positive, is the window of since_seconds.
	since time.Duration
	// limit, if positive, is the most bytes to send.
	limit int64
}

// errLimit ends a copy when limit_bytes have been sent.
var errLimit = errors.New("logs: byte limit reached")

// reader copies one log file to send, as the options say.
type reader struct {
	f    *os.File
	src  Source
	opts options
	send func([]byte) error
	now  func() time.Time
	poll time.Duration

	sent      int64
	lineStart bool // the next byte sent starts a line
	buf, out  []byte
}

// copyLog sends what the options select of the open log file f: the part
// already written (all of it, the last tail lines, or nothing when since rules
// it out), then, when following, what is appended until the attempt ends, ctx
// ends or the byte limit is reached. Reaching the limit is not an error.
func copyLog(ctx context.Context, r *reader) error {
	r.buf = make([]byte, chunkSize)
	r.lineStart = true
	err := r.run(ctx)
	if errors.Is(err, errLimit) {
		return nil
	}
	return err
}

func (r *reader) run(ctx context.Context) error {
	fi, err := r.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	start := int64(0)
	switch {
	case r.opts.since > 0 && fi.ModTime().Before(r.now().Add(-r.opts.since)):
		// Nothing was written within the window: the last write is older.
		start = size
	case r.opts.tail >= 0:
		if start, err = tailOffset(r.f, size, r.opts.tail); err != nil {
			return err
		}
	}
	if _, err := r.f.Seek(start, io.SeekStart); err != nil {
		return err
	}
	// What was written before the request carries no time: send it unstamped.
	if _, err := r.drain(io.LimitReader(r.f, size-start), false); err != nil {
		return err
	}
	if !r.opts.follow {
		return nil
	}
	offset := size
	tick := time.NewTicker(r.poll)
	defer tick.Stop()
	for {
		// Ask before reading: if the attempt had ended, everything it wrote is
		// in the file, and reading to the end now gets all of it.
		ended := r.src.Done == nil || r.src.Done()
		if fi, err := r.f.Stat(); err == nil && fi.Size() < offset {
			// Truncated: start again from the beginning.
			if offset, err = r.f.Seek(0, io.SeekStart); err != nil {
				return err
			}
		}
		n, err := r.drain(r.f, r.opts.timestamps)
		offset += n
		if err != nil || ended {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// drain reads src to its end and sends it, stamped or not, returning how many
// bytes it read.
func (r *reader) drain(src io.Reader, stamped bool) (int64, error) {
	var total int64
	for {
		n, err := src.Read(r.buf)
		if n > 0 {
			total += int64(n)
			if err := r.write(r.buf[:n], stamped); err != nil {
				return total, err
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// write sends p, stamping the start of each line when asked, and cuts the
// output at the byte limit.
func (r *reader) write(p []byte, stamped bool) error {
	out := p
	if stamped {
		stamp := r.now().UTC().Format(TimestampFormat) + " "
		r.out = r.out[:0]
		for len(p) > 0 {
			if r.lineStart {
				r.out = append(r.out, stamp...)
			}
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				r.out = append(r.out, p...)
				r.lineStart = false
				break
			}
			r.out = append(r.out, p[:i+1]...)
			p = p[i+1:]
			r.lineStart = true
		}
		out = r.out
	} else {
		r.lineStart = p[len(p)-1] == '\n'
	}
	limited := false
	if r.opts.limit > 0 && r.sent+int64(len(out)) >= r.opts.limit {
		out, limited = out[:r.opts.limit-r.sent], true
	}
	if len(out) > 0 {
		if err := r.send(out); err != nil {
			return err
		}
		r.sent += int64(len(out))
	}
	if limited {
		return errLimit
	}
	return nil
}

// tailOffset returns where the last n lines of the first size bytes of f
// start. A final line without a newline counts as a line; n of 0 gives size.
func tailOffset(f io.ReaderAt, size, n int64) (int64, error) {
	if n <= 0 {
		return size, nil
	}
	buf := make([]byte, 8*1024)
	found := int64(0)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			// The newline that ends the file ends the last line; every other
			// one is where a line starts.
			if b[i] != '\n' || start+int64(i) == size-1 {
				continue
			}
			if found++; found == n {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}
