package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// isNetNS reports whether path is a network namespace (an nsfs bind mount or
// a /proc/<pid>/ns/net link).
func isNetNS(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}

// isOwnNetNS reports whether path is the network namespace of the calling
// thread: the one the plugins would run in. A pod set up there would change
// the node's own interfaces.
func isOwnNetNS(path string) bool {
	var a, b unix.Stat_t
	if unix.Stat(path, &a) != nil || unix.Stat("/proc/thread-self/ns/net", &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// withNetNS runs fn on a locked OS thread that has entered the network
// namespace at path, and only that namespace (never the mount namespace:
// FIELD-NOTES). Sockets that fn opens stay in that namespace; processes that
// fn starts on its own goroutine start in it. The caller's thread is not
// touched. If the thread cannot return to its namespace it is not unlocked,
// so Go ends it with the goroutine.
func withNetNS(path string, fn func() error) error {
	target, err := os.Open(path)
	if err != nil {
		return err
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering network namespace %s: %w", path, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leaving network namespace %s: %w", path, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// hasAddr reports whether the interface ifName in the network namespace at
// netnsPath exists and has the address ip.
func hasAddr(netnsPath, ifName string, ip netip.Addr) (bool, error) {
	found := false
	err := withNetNS(netnsPath, func() error {
		iface, err := net.InterfaceByName(ifName)
		if err != nil {
			return nil // no such interface
		}
		addrs, err := iface.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if addr, ok := netip.AddrFromSlice(n.IP); ok && addr.Unmap() == ip {
					found = true
				}
			}
		}
		return nil
	})
	return found, err
}
