package podbench

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// netnsDialer opens connections inside the network namespace at path, so the
// benchmark reaches the apiserver on the namespace's own loopback. The socket
// is created on a locked thread that entered the namespace; the thread is
// never unlocked, so Go ends it with its goroutine instead of reusing a
// thread in the wrong namespace. Connections are pooled, so this happens
// once or twice per run.
func netnsDialer(path string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			conn net.Conn
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			f, err := os.Open(path)
			if err != nil {
				ch <- result{err: err}
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				ch <- result{err: fmt.Errorf("entering network namespace %s: %w", path, err)}
				return
			}
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			ch <- result{c, err}
		}()
		r := <-ch
		return r.conn, r.err
	}
}
