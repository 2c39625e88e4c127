package framework

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A Lab is a multi-machine test bed on one host. Each machine is a network
// namespace with its own containerd daemon (own socket, root and state), joined
// by a veth pair to a bridge in a "lab network" namespace, so node IPs, routes
// and traffic between machines are real while nothing touches the host's
// network. Skiff's binaries run inside the machines with nsenter --net (only
// the network namespace: runc must see the host's mounts, FIELD-NOTES).
//
// Everything is removed when the test ends, even on failure: processes
// stopped, each machine's containers and images removed by `nodeagent reset`
// against its containerd, the daemons stopped, the namespaces deleted and the
// directories removed.
type Lab struct {
	t        testing.TB
	ID       string
	Bin      string
	netns    string // the lab network, holding the bridge
	dir      string // machines' state under /var/lib
	runDir   string // sockets and containerd state under /run
	Machines []*Machine
	// Image is the busybox image archive the machines import (ImageRef).
	Image string
}

// ImageRef is the sample image every lab machine has; ImageRefV2 is the same
// image under another name, for rollouts.
const (
	ImageRef   = "skiff.local/busybox:e2e"
	ImageRefV2 = "skiff.local/busybox:e2e-v2"
)

// LabSubnet is the lab network: machine i (from 1) has LabSubnet.(10+i).
const LabSubnet = "10.99.0"

// Machine is one simulated host of a Lab.
type Machine struct {
	lab   *Lab
	Name  string
	IP    string
	NetNS string
	// Dir holds this machine's containerd root and the agent's root dir.
	Dir string
	// ContainerdSock is its containerd's socket; CtrNS the containerd
	// namespace its agent uses.
	ContainerdSock string
	CtrNS          string
	procs          []*Proc
}

// Proc is a long-running process on a machine.
type Proc struct {
	Name   string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
}

// NewLab builds a lab of n machines named m1..mn, each with containerd running
// and the sample image built once and imported into each.
func NewLab(t testing.TB, n int) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the lab test bed needs root (network namespaces, containerd)")
	}
	for _, cmd := range []string{"containerd", "runc", "nsenter", "ip", "iptables"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("%s is not installed: .ci/run installs containerd, runc and the CNI plugins", cmd)
		}
	}
	id := fmt.Sprintf("%05d", rand.IntN(100_000))
	l := &Lab{t: t, ID: id, Bin: BinDir(t), netns: "skl-" + id,
		dir: "/var/lib/skiff-lab-" + id, runDir: "/run/skiff-lab-" + id}
	t.Cleanup(l.cleanup)
	l.sh("ip", "netns", "add", l.netns)
	l.sh("ip", "-n", l.netns, "link", "add", "lab0", "type", "bridge")
	l.sh("ip", "-n", l.netns, "link", "set", "lab0", "up")

	for i := 1; i <= n; i++ {
		m := &Machine{lab: l, Name: fmt.Sprintf("m%d", i), IP: fmt.Sprintf("%s.%d", LabSubnet, 10+i)}
		m.NetNS = l.netns + "-" + m.Name
		m.Dir = filepath.Join(l.dir, m.Name)
		m.ContainerdSock = filepath.Join(l.runDir, m.Name, "containerd.sock")
		m.CtrNS = "skiff-lab-" + id + "-" + m.Name
		l.Machines = append(l.Machines, m)
		l.sh("ip", "netns", "add", m.NetNS)
		l.sh("ip", "-n", m.NetNS, "link", "set", "lo", "up")
		l.sh("ip", "-n", l.netns, "link", "add", m.Name, "type", "veth", "peer", "name", "eth0", "netns", m.NetNS)
		l.sh("ip", "-n", l.netns, "link", "set", m.Name, "master", "lab0", "up")
		l.sh("ip", "-n", m.NetNS, "addr", "add", m.IP+"/24", "dev", "eth0")
		l.sh("ip", "-n", m.NetNS, "link", "set", "eth0", "up")
		l.sh("ip", "-n", m.NetNS, "route", "add", "default", "dev", "eth0")
		l.sh("ip", "netns", "exec", m.NetNS, "sysctl", "-qw", "net.ipv4.ip_forward=1")
		m.startContainerd()
	}

	// The busybox image, built once from Debian's busybox-static; each
	// machine's containerd has its own content store, so each imports it.
	l.Image = filepath.Join(l.dir, "busybox.tar")
	l.sh(filepath.Join(repoRoot(t), "hack/images/busybox.sh"), l.Image, ImageRef)
	for _, m := range l.Machines {
		for _, ref := range []string{ImageRef, ImageRefV2} {
			m.MustRun("nodeagent", "import-image", l.Image, "--ref", ref, "--containerd-address", m.ContainerdSock,
				"--containerd-namespace", m.CtrNS, "--root-dir", m.AgentRoot())
		}
	}
	return l
}

// repoRoot is the repository's root (the e2e module is one level down).
func repoRoot(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// sh runs a host command and fails the test if it fails.
func (l *Lab) sh(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// containerdConfig is a containerd without the CRI plugin, listening only on
// the machine's socket and keeping its data in the machine's directories.
const containerdConfig = `version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
`

func (m *Machine) startContainerd() {
	t := m.lab.t
	t.Helper()
	runDir := filepath.Dir(m.ContainerdSock)
	for _, d := range []string{m.Dir, runDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(m.Dir, "containerd.toml")
	content := fmt.Sprintf(containerdConfig, filepath.Join(m.Dir, "containerd"), filepath.Join(runDir, "state"),
		m.ContainerdSock, m.ContainerdSock+".ttrpc")
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	m.startCmd("containerd", "containerd", "--config", conf)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if exec.Command("ctr", "--address", m.ContainerdSock, "version").Run() == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd of %s did not answer within 30s", m.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AgentRoot is the node agent's --root-dir on this machine.
func (m *Machine) AgentRoot() string { return filepath.Join(m.Dir, "agent") }

// Start runs a Skiff binary on the machine until the test ends (or Stop).
func (m *Machine) Start(name string, args ...string) *Proc {
	m.lab.t.Helper()
	return m.startCmd(name, filepath.Join(m.lab.Bin, name), args...)
}

func (m *Machine) startCmd(name, path string, args ...string) *Proc {
	p := &Proc{Name: name, log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command("nsenter", append([]string{"--net=/var/run/netns/" + m.NetNS, path}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		m.lab.t.Fatalf("start %s on %s: %v", name, m.Name, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	m.procs = append(m.procs, p)
	return p
}

// Run runs a command (a Skiff binary name, or a path) on the machine and
// returns its combined output.
func (m *Machine) Run(name string, args ...string) (string, error) {
	path := name
	if !strings.Contains(name, "/") {
		if _, err := os.Stat(filepath.Join(m.lab.Bin, name)); err == nil {
			path = filepath.Join(m.lab.Bin, name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + m.NetNS, path}, args...)...).CombinedOutput()
	return string(out), err
}

// MustRun is Run that fails the test on an error.
func (m *Machine) MustRun(name string, args ...string) string {
	m.lab.t.Helper()
	out, err := m.Run(name, args...)
	if err != nil {
		m.lab.t.Fatalf("%s on %s: %v\n%s", name, m.Name, err, out)
	}
	return out
}

// Kubectl is a kubectl (1.37) that runs on this machine with kubeconfig.
func (m *Machine) Kubectl(t testing.TB, kubeconfig string) Kubectl {
	k := KubectlVersions(t)[2]
	k.Kubeconfig = kubeconfig
	k.NetNS = m.NetNS
	return k
}

// AgentArgs are the flags every lab node agent gets: this machine's
// containerd, namespace, root directory and node IP.
func (m *Machine) AgentArgs() []string {
	return []string{"--node-name", m.Name, "--node-ip", m.IP, "--root-dir", m.AgentRoot(),
		"--containerd-address", m.ContainerdSock, "--containerd-namespace", m.CtrNS, "--log-level", "debug"}
}

// Signal sends sig to the process (SIGKILL simulates a crashed agent).
func (p *Proc) Signal(sig syscall.Signal) {
	syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Stop sends SIGTERM and waits (SIGKILL after 20 s); it is a no-op once the
// process has exited.
func (p *Proc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Log is what the process printed so far.
func (p *Proc) Log() string { return p.log.String() }

func (l *Lab) cleanup() {
	t := l.t
	// Skiff's processes first (newest first), then each machine's
	// containers, then the daemons.
	for _, m := range l.Machines {
		for i := len(m.procs) - 1; i >= 0; i-- {
			if p := m.procs[i]; p.Name != "containerd" {
				p.Stop()
				if t.Failed() {
					t.Logf("%s on %s:\n%s", p.Name, m.Name, Tail(p.Log(), 200))
				}
			}
		}
	}
	for _, m := range l.Machines {
		if out, err := m.Run("nodeagent", "reset", "--containerd-address", m.ContainerdSock,
			"--containerd-namespace", m.CtrNS, "--root-dir", m.AgentRoot()); err != nil {
			t.Errorf("nodeagent reset on %s: %v\n%s", m.Name, err, out)
		}
		for _, p := range m.procs {
			if p.Name == "containerd" {
				p.Stop()
			}
		}
	}
	for _, m := range l.Machines {
		if out, err := exec.Command("ip", "netns", "del", m.NetNS).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", m.NetNS, err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "del", l.netns).CombinedOutput(); err != nil {
		t.Errorf("ip netns del %s: %v\n%s", l.netns, err, out)
	}
	for _, d := range []string{l.dir, l.runDir} {
		if err := os.RemoveAll(d); err != nil {
			t.Errorf("remove %s: %v", d, err)
		}
	}
}

// Tail keeps the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// WaitUntil polls cond every 100 ms until it holds, failing the test after
// timeout.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Server is Skiff's control plane on a lab machine: apiserver (embedded
// etcd), scheduler and controller-manager.
type Server struct {
	M                                       *Machine
	DataDir                                 string
	URL                                     string // https://<machine IP>:6443
	APIServer, Scheduler, ControllerManager *Proc
	// Admin is kubectl 1.37 with the admin kubeconfig, run on the server.
	Admin Kubectl
}

// StartServer runs the control plane on m, reachable at m.IP:6443, and waits
// until the apiserver is ready. cmArgs go to the controller-manager.
func (m *Machine) StartServer(t testing.TB, cmArgs ...string) *Server {
	t.Helper()
	s := &Server{M: m, DataDir: filepath.Join(m.Dir, "server"), URL: "https://" + m.IP + ":6443"}
	s.APIServer = m.Start("apiserver", "--data-dir", s.DataDir, "--bind-address", "0.0.0.0", "--secure-port", "6443",
		"--advertise-address", m.IP)
	s.Admin = m.Kubectl(t, filepath.Join(s.DataDir, "admin.kubeconfig"))
	WaitUntil(t, time.Minute, "the apiserver on "+m.Name+" to be ready", func() bool {
		if s.APIServer.Exited() {
			t.Fatalf("the apiserver exited:\n%s", s.APIServer.Log())
		}
		_, _, err := s.Admin.Run("get", "--raw", "/readyz")
		return err == nil
	})
	s.Scheduler = m.Start("scheduler", "--kubeconfig", filepath.Join(s.DataDir, "scheduler.kubeconfig"), "--port", "0")
	s.ControllerManager = m.Start("controller-manager", append([]string{
		"--kubeconfig", filepath.Join(s.DataDir, "controller-manager.kubeconfig"), "--port", "0"}, cmArgs...)...)
	return s
}

// StartAgentWithCredentials issues node credentials for m from the server's CA
// (skiffctl node-kubeconfig, as an admin would by hand) and runs the node
// agent with them; extra flags are appended.
func (m *Machine) StartAgentWithCredentials(t testing.TB, s *Server, extra ...string) *Proc {
	t.Helper()
	kc := filepath.Join(m.Dir, "node.kubeconfig")
	crt, key := filepath.Join(m.Dir, "agent.crt"), filepath.Join(m.Dir, "agent.key")
	if _, err := os.Stat(kc); err != nil {
		s.M.MustRun("skiffctl", "node-kubeconfig", m.Name, "--data-dir", s.DataDir, "--out", kc, "--server", s.URL,
			"--serving-cert", crt, "--serving-key", key, "--node-ip", m.IP)
	}
	args := append(m.AgentArgs(), "--kubeconfig", kc, "--tls-cert-file", crt, "--tls-key-file", key)
	return m.Start("nodeagent", append(args, extra...)...)
}

// WaitNodeReady waits until the Node named name reports Ready=True.
func (s *Server) WaitNodeReady(t testing.TB, name string, timeout time.Duration) {
	t.Helper()
	WaitUntil(t, timeout, "node "+name+" to be Ready", func() bool {
		out, _, _ := s.Admin.Run("get", "node", name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "True"
	})
}
