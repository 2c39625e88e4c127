package doctor

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// machine is a fake host: a filesystem root in a temporary directory and
// probes that answer from its fields. newMachine makes one where every check
// passes; a test then breaks what it is about.
type machine struct {
	t          *testing.T
	root       string
	euid       int
	onPath     map[string]bool
	ctrVersion string
	ctrErr     error
	serverTime ServerTime
	serverErr  error
	serverURL  string // what ServerClock was asked for
	listeners  []string
}

func newMachine(t *testing.T) *machine {
	m := &machine{t: t, root: t.TempDir(), onPath: map[string]bool{"runc": true, "iptables": true}, ctrVersion: "1.6.20"}
	m.write("/proc/sys/net/ipv4/ip_forward", "1\n", 0o644)
	m.mkdir("/sys/fs/cgroup/memory")
	for _, p := range CNIPlugins {
		m.write("/usr/lib/cni/"+p, "#!/bin/true\n", 0o755)
	}
	m.write(DefaultContainerdAddress, "", 0o600)
	m.writeTCP()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	m.serverTime = ServerTime{Date: now, Local: now.Add(500 * time.Millisecond), Version: "v1.32.0-skiff"}
	return m
}

func (m *machine) path(p string) string { return filepath.Join(m.root, p) }

func (m *machine) write(p, data string, mode os.FileMode) {
	m.t.Helper()
	m.mkdir(filepath.Dir(p))
	if err := os.WriteFile(m.path(p), []byte(data), mode); err != nil {
		m.t.Fatal(err)
	}
	if err := os.Chmod(m.path(p), mode); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) mkdir(p string) {
	m.t.Helper()
	if err := os.MkdirAll(m.path(p), 0o755); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) remove(p string) {
	m.t.Helper()
	if err := os.RemoveAll(m.path(p)); err != nil {
		m.t.Fatal(err)
	}
}

// procHex writes an address and port as /proc/net/tcp does on this machine.
func procHex(ip net.IP, port int) string {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	var s string
	for i := 0; i < len(ip); i += 4 {
		s += fmt.Sprintf("%08X", binary.NativeEndian.Uint32(ip[i:i+4]))
	}
	return fmt.Sprintf("%s:%04X", s, port)
}

// listen records a socket on addr (LISTEN unless state is given) with the
// inode, and, when pid > 0, a process that holds it with argv[0] cmd.
func (m *machine) listen(addr string, inode, pid int, cmd string) {
	m.t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		m.t.Fatal(err)
	}
	var p int
	fmt.Sscan(port, &p)
	m.listeners = append(m.listeners, fmt.Sprintf("%d: %s 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0",
		len(m.listeners), procHex(net.ParseIP(host), p), inode))
	m.writeTCP()
	if pid > 0 {
		dir := fmt.Sprintf("/proc/%d", pid)
		m.write(dir+"/cmdline", cmd+"\x00--flag\x00", 0o644)
		m.mkdir(dir + "/fd")
		if err := os.Symlink(fmt.Sprintf("socket:[%d]", inode), m.path(fmt.Sprintf("%s/fd/%d", dir, 3+inode%100))); err != nil {
			m.t.Fatal(err)
		}
		if err := os.Symlink("/dev/null", m.path(dir+"/fd/0")); err != nil && !os.IsExist(err) {
			m.t.Fatal(err)
		}
	}
}

// writeTCP writes /proc/net/tcp and tcp6 from m.listeners, IPv4 and IPv6 apart.
func (m *machine) writeTCP() {
	header := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	var v4, v6 strings.Builder
	v4.WriteString(header)
	v6.WriteString(header)
	for _, l := range m.listeners {
		if len(strings.Fields(l)[1]) > 13 {
			v6.WriteString(l + "\n")
		} else {
			v4.WriteString(l + "\n")
		}
	}
	m.write("/proc/net/tcp", v4.String(), 0o444)
	m.write("/proc/net/tcp6", v6.String(), 0o444)
}

func (m *machine) host() Host {
	return Host{
		Root: m.root,
		Euid: func() int { return m.euid },
		LookPath: func(f string) (string, error) {
			if m.onPath[f] {
				return "/usr/sbin/" + f, nil
			}
			return "", errors.New("not found")
		},
		ContainerdVersion: func(ctx context.Context, addr string) (string, error) {
			if _, ok := ctx.Deadline(); !ok {
				m.t.Error("ContainerdVersion called without a deadline")
			}
			return m.ctrVersion, m.ctrErr
		},
		ServerClock: func(ctx context.Context, url string) (ServerTime, error) {
			if _, ok := ctx.Deadline(); !ok {
				m.t.Error("ServerClock called without a deadline")
			}
			m.serverURL = url
			return m.serverTime, m.serverErr
		},
	}
}

func (m *machine) run(o Options) []Result {
	m.t.Helper()
	rs, err := Run(context.Background(), o, m.host())
	if err != nil {
		m.t.Fatal(err)
	}
	return rs
}

// verdict is the part of a Result a case checks: its status and words its
// message (and fix) must contain.
type verdict struct {
	status Status
	says   []string
}

func find(rs []Result, check string) (Result, bool) {
	for _, r := range rs {
		if r.Check == check {
			return r, true
		}
	}
	return Result{}, false
}

func TestChecks(t *testing.T) {
	cases := []struct {
		name  string
		setup func(m *machine, o *Options)
		check string
		want  verdict
	}{
		{"root", nil, "root", verdict{OK, []string{"running as root"}}},
		{"not root", func(m *machine, _ *Options) { m.euid = 1000 }, "root", verdict{Fail, []string{"uid 1000", "sudo"}}},

		{"containerd answers", nil, "containerd", verdict{OK, []string{"1.6.20", DefaultContainerdAddress}}},
		{"containerd socket missing", func(m *machine, _ *Options) { m.remove(DefaultContainerdAddress) },
			"containerd", verdict{Fail, []string{"no socket at " + DefaultContainerdAddress, "systemctl enable --now containerd"}}},
		{"containerd at another address", func(m *machine, o *Options) {
			m.write("/run/k3s/containerd.sock", "", 0o600)
			o.ContainerdAddress = "/run/k3s/containerd.sock"
		}, "containerd", verdict{OK, []string{"/run/k3s/containerd.sock"}}},
		{"containerd silent", func(m *machine, _ *Options) { m.ctrErr = context.DeadlineExceeded },
			"containerd", verdict{Fail, []string{"does not answer", "deadline exceeded", "rm " + DefaultContainerdAddress}}},

		{"runc", nil, "runc", verdict{OK, []string{"/usr/sbin/runc"}}},
		{"runc missing", func(m *machine, _ *Options) { m.onPath["runc"] = false }, "runc", verdict{Fail, []string{"not on PATH", "apt-get install runc"}}},
		{"iptables missing", func(m *machine, _ *Options) { m.onPath["iptables"] = false }, "iptables", verdict{Fail, []string{"apt-get install iptables"}}},

		{"cni plugins", nil, "cni-plugins", verdict{OK, []string{"bridge, host-local, loopback, portmap in /usr/lib/cni"}}},
		{"cni plugin missing and one not executable", func(m *machine, _ *Options) {
			m.remove("/usr/lib/cni/portmap")
			m.write("/usr/lib/cni/bridge", "", 0o644)
		}, "cni-plugins", verdict{Fail, []string{"in /usr/lib/cni: bridge, portmap", "containernetworking-plugins"}}},
		{"cni plugin is a directory", func(m *machine, _ *Options) {
			m.remove("/usr/lib/cni/loopback")
			m.mkdir("/usr/lib/cni/loopback")
		}, "cni-plugins", verdict{Fail, []string{": loopback"}}},
		{"cni plugins elsewhere", func(m *machine, o *Options) {
			m.remove("/usr/lib/cni")
			for _, p := range CNIPlugins {
				m.write("/opt/cni/bin/"+p, "", 0o755)
			}
			o.CNIBinDir = "/opt/cni/bin"
		}, "cni-plugins", verdict{OK, []string{"/opt/cni/bin"}}},

		{"cgroup v1", nil, "cgroup", verdict{OK, []string{"cgroup v1"}}},
		{"cgroup v2 with memory", func(m *machine, _ *Options) {
			m.remove("/sys/fs/cgroup/memory")
			m.write("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n", 0o444)
		}, "cgroup", verdict{OK, []string{"cgroup v2"}}},
		{"cgroup v2 without memory", func(m *machine, _ *Options) {
			m.remove("/sys/fs/cgroup/memory")
			m.write("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids memoryx\n", 0o444)
		}, "cgroup", verdict{Fail, []string{"v2 without the memory controller", "cgroup_enable=memory"}}},
		{"no memory cgroup", func(m *machine, _ *Options) { m.remove("/sys/fs/cgroup/memory") },
			"cgroup", verdict{Fail, []string{"no memory cgroup", "cgroup_enable=memory"}}},

		{"ip forwarding", nil, "ip-forward", verdict{OK, []string{"is 1"}}},
		{"ip forwarding off", func(m *machine, _ *Options) { m.write("/proc/sys/net/ipv4/ip_forward", "0\n", 0o644) },
			"ip-forward", verdict{Fail, []string{"is 0", "sysctl -w net.ipv4.ip_forward=1", "/etc/sysctl.d/99-skiff.conf"}}},
		{"ip forwarding unreadable", func(m *machine, _ *Options) { m.remove("/proc/sys/net/ipv4/ip_forward") },
			"ip-forward", verdict{Fail, []string{"cannot read", "sysctl -w"}}},

		{"port free", nil, "port 6443", verdict{OK, []string{"free", "apiserver"}}},
		{"port free when another port is held", func(m *machine, _ *Options) { m.listen("0.0.0.0:6444", 10, 42, "/usr/sbin/nginx") },
			"port 6443", verdict{OK, []string{"free"}}},
		{"port held by its own component", func(m *machine, _ *Options) { m.listen("0.0.0.0:6443", 11, 42, "/usr/local/bin/apiserver") },
			"port 6443", verdict{OK, []string{"Skiff's apiserver (pid 42) on 0.0.0.0:6443", "already running"}}},
		{"port held by its own component over IPv6", func(m *machine, _ *Options) { m.listen("[::]:10250", 12, 43, "nodeagent") },
			"port 10250", verdict{OK, []string{"nodeagent (pid 43) on [::]:10250"}}},
		{"port held by another program", func(m *machine, _ *Options) { m.listen("127.0.0.1:2379", 13, 77, "/usr/bin/etcd") },
			"port 2379", verdict{Fail, []string{"127.0.0.1:2379 by etcd (pid 77)", "ss -ltnp 'sport = :2379'", "--embedded-etcd-client-url"}}},
		{"port held by another component", func(m *machine, _ *Options) { m.listen("127.0.0.1:10251", 14, 78, "/usr/local/bin/controller-manager") },
			"port 10251", verdict{Fail, []string{"by controller-manager (pid 78)", "scheduler"}}},
		{"port held by an unknown process", func(m *machine, _ *Options) { m.listen("127.0.0.1:10257", 15, 0, "") },
			"port 10257", verdict{Fail, []string{"127.0.0.1:10257 by an unknown process"}}},
		{"port held by ours and another", func(m *machine, _ *Options) {
			m.listen("127.0.0.1:10248", 16, 50, "nodeagent")
			m.listen("[::1]:10248", 17, 51, "python3")
		}, "port 10248", verdict{Fail, []string{"[::1]:10248 by python3 (pid 51)"}}},
		{"no socket list", func(m *machine, _ *Options) { m.remove("/proc/net") },
			"ports", verdict{Warn, []string{"cannot list listening sockets", "ss -ltnp"}}},

		{"clock in sync", func(_ *machine, o *Options) { o.Server = "https://10.0.0.10:6443" },
			"clock", verdict{OK, []string{"skew 0s", "https://10.0.0.10:6443 (v1.32.0-skiff)"}}},
		{"clock a little off", func(m *machine, o *Options) {
			o.Server = "10.0.0.10"
			m.serverTime.Local = m.serverTime.Date.Add(-4 * time.Second)
		}, "clock", verdict{OK, []string{"skew 4.5s"}}},
		{"clock behind", func(m *machine, o *Options) {
			o.Server = "10.0.0.10"
			m.serverTime.Local = m.serverTime.Date.Add(-10 * time.Second)
		}, "clock", verdict{Warn, []string{"11s behind", "timesyncd"}}},
		{"clock ahead", func(m *machine, o *Options) {
			o.Server = "10.0.0.10"
			m.serverTime.Local = m.serverTime.Date.Add(time.Minute)
		}, "clock", verdict{Warn, []string{"1m0s ahead of"}}},
		{"server without a Date", func(m *machine, o *Options) {
			o.Server = "10.0.0.10"
			m.serverTime.Date = time.Time{}
		}, "clock", verdict{Warn, []string{"without a Date header"}}},
		{"server unreachable", func(m *machine, o *Options) {
			o.Server = "10.0.0.10:6443"
			m.serverErr = errors.New("connection refused")
		}, "clock", verdict{Fail, []string{"cannot reach the apiserver at https://10.0.0.10:6443: connection refused", "skiff-apiserver"}}},
		{"server from the node agent's env file", func(m *machine, _ *Options) {
			m.write(DefaultNodeAgentEnvFile, "# written by hack/install.sh\nSKIFF_JOIN_ARGS=\"--token abcdef.0123456789abcdef --server https://10.0.0.10:6443 --discovery-token-ca-cert-hash sha256:00\"\n", 0o600)
		}, "clock", verdict{OK, []string{"https://10.0.0.10:6443"}}},
		{"bad server in the env file", func(m *machine, _ *Options) {
			m.write(DefaultNodeAgentEnvFile, "SKIFF_JOIN_ARGS=--server=http://10.0.0.10:6443\n", 0o600)
		}, "clock", verdict{Fail, []string{"in " + DefaultNodeAgentEnvFile, "only HTTPS"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t)
			var o Options
			if tc.setup != nil {
				tc.setup(m, &o)
			}
			rs := m.run(o)
			r, ok := find(rs, tc.check)
			if !ok {
				t.Fatalf("no %q check in %+v", tc.check, rs)
			}
			if r.Status != tc.want.status {
				t.Errorf("status = %s, want %s: %s", r.Status, tc.want.status, r.Message)
			}
			text := r.Message + "\n" + r.Fix
			for _, s := range tc.want.says {
				if !strings.Contains(text, s) {
					t.Errorf("%q does not say %q", text, s)
				}
			}
			if r.Status != OK && r.Fix == "" {
				t.Errorf("%s without a fix: %s", r.Status, r.Message)
			}
		})
	}
}

// A healthy machine passes every check, and Print says so without error.
func TestHealthyMachine(t *testing.T) {
	m := newMachine(t)
	m.listen("0.0.0.0:6443", 1, 10, "/usr/local/bin/apiserver")
	rs := m.run(Options{Server: "https://10.0.0.10:6443"})
	for _, r := range rs {
		if r.Status != OK {
			t.Errorf("%s: %s %s", r.Check, r.Status, r.Message)
		}
	}
	var out bytes.Buffer
	if err := Print(&out, rs); err != nil {
		t.Errorf("Print = %v, want nil", err)
	}
	if !strings.Contains(out.String(), "\n15 checks: 0 failed, 0 warnings\n") {
		t.Errorf("summary missing:\n%s", out.String())
	}
}

// Each role runs its own checks, in order.
func TestRoles(t *testing.T) {
	nodeChecks := []string{"containerd", "runc", "iptables", "cni-plugins", "cgroup", "ip-forward"}
	serverPorts := []string{"port 6443", "port 2379", "port 2380", "port 10251", "port 10257"}
	nodePorts := []string{"port 10250", "port 10248"}
	cat := func(ss ...[]string) []string {
		var all []string
		for _, s := range ss {
			all = append(all, s...)
		}
		return all
	}
	cases := []struct {
		role Role
		want []string
	}{
		{RoleServer, cat([]string{"root"}, serverPorts)},
		{RoleNode, cat([]string{"root"}, nodeChecks, nodePorts, []string{"clock"})},
		{RoleAll, cat([]string{"root"}, nodeChecks, serverPorts, nodePorts, []string{"clock"})},
		{"", cat([]string{"root"}, nodeChecks, serverPorts, nodePorts, []string{"clock"})},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			m := newMachine(t)
			// The env file names a server; only the node role reads it.
			m.write(DefaultNodeAgentEnvFile, "SKIFF_JOIN_ARGS=--server https://10.0.0.10:6443\n", 0o600)
			var got []string
			for _, r := range m.run(Options{Role: tc.role}) {
				got = append(got, r.Check)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("checks (-want +got):\n%s", d)
			}
		})
	}
}

// --server on a server compares clocks too.
func TestServerRoleWithServer(t *testing.T) {
	m := newMachine(t)
	rs := m.run(Options{Role: RoleServer, Server: "10.0.0.10:7443"})
	if _, ok := find(rs, "clock"); !ok {
		t.Error("no clock check with --server")
	}
	if m.serverURL != "https://10.0.0.10:7443" {
		t.Errorf("ServerClock asked %q, want https://10.0.0.10:7443", m.serverURL)
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{
		{Role: "master"},
		{Role: RoleNode, Server: "http://10.0.0.10:6443"},
		{Role: RoleNode, Server: "https://"},
	} {
		if _, err := Run(context.Background(), o, newMachine(t).host()); err == nil {
			t.Errorf("Run(%+v) = nil error, want one", o)
		}
	}
}

func TestServerURL(t *testing.T) {
	cases := map[string]string{
		"https://10.0.0.10:6443":  "https://10.0.0.10:6443",
		"https://10.0.0.10:6443/": "https://10.0.0.10:6443",
		"https://server":          "https://server:6443",
		"10.0.0.10":               "https://10.0.0.10:6443",
		"10.0.0.10:7443":          "https://10.0.0.10:7443",
		"[fd00::10]":              "https://[fd00::10]:6443",
		"https://[fd00::10]:6443": "https://[fd00::10]:6443",
	}
	for in, want := range cases {
		got, err := ServerURL(in)
		if err != nil || got != want {
			t.Errorf("ServerURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "http://10.0.0.10:6443", "https://", "https://:6443", "::::"} {
		if got, err := ServerURL(in); err == nil {
			t.Errorf("ServerURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseProcAddr(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 { // little-endian: the literal /proc lines below
		for in, want := range map[string]string{
			"0100007F:0CEA":                         "127.0.0.1:3306",
			"00000000:1A0B":                         "0.0.0.0:6667",
			"0A00000A:192B":                         "10.0.0.10:6443",
			"00000000000000000000000001000000:280A": "[::1]:10250",
			"00000000000000000000000000000000:0016": "[::]:22",
		} {
			host, port, ok := parseProcAddr(in)
			if got := net.JoinHostPort(host, fmt.Sprint(port)); !ok || got != want {
				t.Errorf("parseProcAddr(%q) = %q, %v; want %q", in, got, ok, want)
			}
		}
	}
	for _, in := range []string{"", "0100007F", "0100007F:", "0100007F:10000", "XX00007F:0016", "01007F:0016", "0100007F0100007F:0016"} {
		if h, p, ok := parseProcAddr(in); ok {
			t.Errorf("parseProcAddr(%q) = %q, %d, want not ok", in, h, p)
		}
	}
}

func TestPrint(t *testing.T) {
	rs := []Result{
		{Check: "root", Status: OK, Message: "running as root", Fix: "not shown"},
		{Check: "ip-forward", Status: Fail, Message: "net.ipv4.ip_forward is 0", Fix: "sysctl -w net.ipv4.ip_forward=1\nand persist it"},
		{Check: "clock", Status: Warn, Message: "11s behind", Fix: "timedatectl"},
	}
	var out bytes.Buffer
	err := Print(&out, rs)
	if !errors.Is(err, ErrFailed) {
		t.Errorf("Print = %v, want ErrFailed", err)
	}
	want := `OK    root          running as root
FAIL  ip-forward    net.ipv4.ip_forward is 0
                    fix: sysctl -w net.ipv4.ip_forward=1
                         and persist it
WARN  clock         11s behind
                    fix: timedatectl

3 checks: 1 failed, 1 warnings
`
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
	out.Reset()
	if err := Print(&out, rs[2:]); err != nil {
		t.Errorf("Print of a warning = %v, want nil", err)
	}
}
