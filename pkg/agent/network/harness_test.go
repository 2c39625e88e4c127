package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The integration tests never touch the host's network. Each test creates a
// "node" network namespace (ip netns add skiff-test-<random>) and runs every
// CNI operation on a thread inside it, so the plugins create the bridge, the
// pods' veth ends and their iptables rules there. Pod namespaces are bind
// mounts in the test's temporary directory, as the runtime makes them. The
// cleanups remove the pod namespaces, the bridge and the node namespace, even
// when a test fails; host-local's and libcni's state live in t.TempDir().

const (
	testTimeout = 30 * time.Second
	// testNodePrefix names the tests' node namespaces in /run/netns.
	testNodePrefix = "skiff-test-"
	// staleTestNode is how old a node namespace must be before a later run
	// removes it (left by a test binary that was killed).
	staleTestNode = time.Hour
)

func TestMain(m *testing.M) {
	removeStaleNodes()
	os.Exit(m.Run())
}

// removeStaleNodes deletes node namespaces that killed test runs left.
func removeStaleNodes() {
	if os.Geteuid() != 0 {
		return
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !strings.HasPrefix(e.Name(), testNodePrefix) || time.Since(info.ModTime()) < staleTestNode {
			continue
		}
		exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

// requireCNI skips the test unless it runs as root with the plugins (and the
// iptables and ip commands they and the tests use).
func requireCNI(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	for _, p := range requiredPlugins {
		if _, err := os.Stat(filepath.Join(DefaultBinDir, p)); err != nil {
			t.Skipf("CNI plugin %s missing from %s: apt-get install -y containernetworking-plugins", p, DefaultBinDir)
		}
	}
	for _, cmd := range []string{"iptables", "ip"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("%s missing: apt-get install -y containernetworking-plugins iproute2", cmd)
		}
	}
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testNode is a network namespace standing in for the node.
type testNode struct {
	name string
	path string
}

func newTestNode(t testing.TB) *testNode {
	t.Helper()
	n := &testNode{name: testNodePrefix + randomSuffix(t)}
	n.path = filepath.Join("/run/netns", n.name)
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", n.name, err, out)
	}
	t.Cleanup(func() {
		// Deleting the namespace takes the bridge with it; delete it first
		// anyway, so nothing depends on the namespace going away at once.
		exec.Command("ip", "-n", n.name, "link", "del", DefaultBridgeName).Run()
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	if out, err := exec.Command("ip", "-n", n.name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v: %s", n.name, err, out)
	}
	return n
}

// setUp runs c.SetUp inside the node.
func (n *testNode) setUp(c *CNI, pod PodRef, netns string, ports []PortMapping) (ip string, d time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	err = withNetNS(n.path, func() error {
		start := time.Now()
		var err error
		ip, err = c.SetUp(ctx, pod, netns, ports)
		d = time.Since(start)
		return err
	})
	return ip, d, err
}

// mustSetUp is setUp that fails the test on an error or an IP outside cidr.
func (n *testNode) mustSetUp(t testing.TB, c *CNI, pod PodRef, netns string, ports []PortMapping) string {
	t.Helper()
	ip, _, err := n.setUp(c, pod, netns, ports)
	if err != nil {
		t.Fatalf("SetUp(%s): %v", pod.Name, err)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || !netip.MustParsePrefix(c.PodCIDR()).Contains(addr) {
		t.Fatalf("SetUp(%s) = %q, want an address in %s", pod.Name, ip, c.PodCIDR())
	}
	return ip
}

// tearDown runs c.TearDown inside the node.
func (n *testNode) tearDown(c *CNI, pod PodRef, netns string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var d time.Duration
	err := withNetNS(n.path, func() error {
		start := time.Now()
		err := c.TearDown(ctx, pod, netns)
		d = time.Since(start)
		return err
	})
	return d, err
}

func (n *testNode) mustTearDown(t testing.TB, c *CNI, pod PodRef, netns string) {
	t.Helper()
	if _, err := n.tearDown(c, pod, netns); err != nil {
		t.Fatalf("TearDown(%s): %v", pod.Name, err)
	}
}

// natRules is `iptables -t nat -S` in the node.
func (n *testNode) natRules(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", n.name, "iptables", "-w", "-t", "nat", "-S").CombinedOutput()
	if err != nil {
		t.Fatalf("iptables -t nat -S in %s: %v: %s", n.name, err, out)
	}
	return string(out)
}

// links lists the node's interface names.
func (n *testNode) links(t testing.TB) []string {
	t.Helper()
	var names []string
	err := withNetNS(n.path, func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// newTestCNI returns a CNI with its directories in a temporary directory.
func newTestCNI(t testing.TB, cidr string) *CNI {
	t.Helper()
	c, err := New(Options{RootDir: t.TempDir(), PodCIDR: cidr, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testPod is a pod with its own network namespace, bind-mounted in dir.
type testPod struct {
	ref   PodRef
	netns string
}

func newTestPod(t testing.TB, dir, name string) testPod {
	t.Helper()
	uid := "uid-" + name + "-" + randomSuffix(t)
	p := testPod{ref: PodRef{UID: uid, Namespace: "default", Name: name}, netns: filepath.Join(dir, uid)}
	if err := makeNetNS(p.netns); err != nil {
		t.Fatalf("creating the network namespace of pod %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := removeNetNS(p.netns); err != nil {
			t.Errorf("removing the network namespace of pod %s: %v", name, err)
		}
	})
	return p
}

// makeNetNS creates a network namespace bind-mounted at path, as the runtime
// does, but with lo left down: the loopback plugin brings it up.
func makeNetNS(path string) (err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		// The thread stays in the new namespace and locked, so Go ends it
		// with the goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		src := "/proc/thread-self/ns/net"
		errc <- unix.Mount(src, path, "none", unix.MS_BIND, "")
	}()
	return <-errc
}

// removeNetNS unmounts and removes a namespace made by makeNetNS; a missing one
// is no error.
func removeNetNS(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ifaceState is what a test checks of an interface in a pod.
type ifaceState struct {
	Up    bool
	Addrs []string
}

// podIface returns the state of an interface in the namespace at netns.
func podIface(t testing.TB, netns, name string) ifaceState {
	t.Helper()
	var st ifaceState
	err := withNetNS(netns, func() error {
		i, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		st.Up = i.Flags&net.FlagUp != 0
		addrs, err := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				st.Addrs = append(st.Addrs, n.IP.String())
			}
		}
		return err
	})
	if err != nil {
		t.Fatalf("interface %s in %s: %v", name, netns, err)
	}
	return st
}

// serveOnce listens on addr in the namespace at netns and answers the first
// connection with reply.
func serveOnce(t testing.TB, netns, addr, reply string) {
	t.Helper()
	var ln net.Listener
	err := withNetNS(netns, func() (err error) {
		ln, err = net.Listen("tcp4", addr)
		return err
	})
	if err != nil {
		t.Fatalf("listening on %s in %s: %v", addr, netns, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte(reply))
	}()
}

// fetch connects to addr from the namespace at netns and returns what it reads.
func fetch(netns, addr string) (string, error) {
	var conn net.Conn
	err := withNetNS(netns, func() (err error) {
		// One IPv4 literal: the dialer connects on this goroutine, so the
		// socket is made in the namespace.
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err = d.Dial("tcp4", addr)
		return err
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String(), nil
}
