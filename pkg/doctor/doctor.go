// Package doctor checks that a machine can run a Skiff server or node — root,
// containerd, runc, CNI plugins, the cgroup memory controller, IP forwarding,
// free ports, clock skew against the server — and says what to fix. It backs
// `skiffctl doctor`. Every check reads the machine through Host, so tests run
// them against a fake filesystem root and injected probes.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Status is the verdict of one check.
type Status int

// The verdicts, from good to bad.
const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	default:
		return "FAIL"
	}
}

// Result is what one check found. Fix, when set, says what to do about it.
type Result struct {
	Check   string
	Status  Status
	Message string
	Fix     string
}

// Role says which of Skiff's machines to check for.
type Role string

// The roles: a server runs the apiserver, scheduler and controller-manager; a
// node runs the node agent with containerd; all is both (a server that is
// also a node, as in the lab).
const (
	RoleServer Role = "server"
	RoleNode   Role = "node"
	RoleAll    Role = "all"
)

func (r Role) server() bool { return r == RoleServer || r == RoleAll }
func (r Role) node() bool   { return r == RoleNode || r == RoleAll }

// Port is a TCP port a Skiff component listens on.
type Port struct {
	Number    int
	Component string // the binary's name: apiserver, scheduler, controller-manager, nodeagent
	What      string // what the port serves
	Flag      string // the component's flag that moves it
}

// Defaults of the components' ports and of the node's paths. They repeat the
// components' own defaults (pkg/apiserver, pkg/scheduler, pkg/controller,
// pkg/agent), which skiffctl does not link; a test keeps them equal.
const (
	DefaultContainerdAddress = "/run/containerd/containerd.sock"
	DefaultCNIBinDir         = "/usr/lib/cni"
	DefaultNodeAgentEnvFile  = "/etc/skiff/nodeagent.env"
	DefaultAPIServerPort     = 6443
	// ClockSkewLimit is the largest skew against the server that passes.
	ClockSkewLimit = 5 * time.Second
)

// CNIPlugins are the plugins the node agent runs.
var CNIPlugins = []string{"bridge", "host-local", "loopback", "portmap"}

// ServerPorts are the ports the server role needs free (or held by Skiff).
func ServerPorts() []Port {
	return []Port{
		{DefaultAPIServerPort, "apiserver", "Kubernetes API over HTTPS", "--secure-port"},
		{2379, "apiserver", "embedded etcd's clients", "--embedded-etcd-client-url"},
		{2380, "apiserver", "embedded etcd's peers", "--embedded-etcd-peer-url"},
		{10251, "scheduler", "/healthz and /metrics", "--port"},
		{10257, "controller-manager", "/healthz and /metrics", "--port"},
	}
}

// NodePorts are the ports the node role needs free (or held by Skiff).
func NodePorts() []Port {
	return []Port{
		{10250, "nodeagent", "logs service the apiserver calls", "--port"},
		{10248, "nodeagent", "/healthz", "--healthz-port"},
	}
}

// Options say what to check.
type Options struct {
	Role              Role
	ContainerdAddress string
	CNIBinDir         string
	// Server is the apiserver to compare clocks with: https://HOST:6443, or
	// HOST[:PORT]. Empty: read --server from NodeAgentEnvFile, else skip.
	Server string
	// NodeAgentEnvFile is the node agent's environment file written by
	// hack/install.sh (SKIFF_JOIN_ARGS).
	NodeAgentEnvFile string
	// ServerPorts and NodePorts default to ServerPorts() and NodePorts().
	ServerPorts, NodePorts []Port
}

func (o *Options) setDefaults() {
	if o.Role == "" {
		o.Role = RoleAll
	}
	if o.ContainerdAddress == "" {
		o.ContainerdAddress = DefaultContainerdAddress
	}
	if o.CNIBinDir == "" {
		o.CNIBinDir = DefaultCNIBinDir
	}
	if o.NodeAgentEnvFile == "" {
		o.NodeAgentEnvFile = DefaultNodeAgentEnvFile
	}
	if o.ServerPorts == nil {
		o.ServerPorts = ServerPorts()
	}
	if o.NodePorts == nil {
		o.NodePorts = NodePorts()
	}
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	switch o.Role {
	case RoleServer, RoleNode, RoleAll:
	default:
		return fmt.Errorf("--role %q: want server, node or all", o.Role)
	}
	if o.Server != "" {
		if _, err := ServerURL(o.Server); err != nil {
			return err
		}
	}
	return nil
}

// Host is how the checks see the machine. Real() is this machine; tests fill
// it with a temporary directory as Root and fakes.
type Host struct {
	// Root is prefixed to every absolute path read (/proc, /sys, the CNI
	// directory, the env file): "/" on a real machine.
	Root string
	// Euid is the effective user ID.
	Euid func() int
	// LookPath finds an executable on PATH.
	LookPath func(file string) (string, error)
	// ContainerdVersion asks containerd at address for its version; it
	// returns within ctx.
	ContainerdVersion func(ctx context.Context, address string) (string, error)
	// ServerClock sends an unauthenticated GET /version to the apiserver at
	// url and returns its Date header, the local time halfway through the
	// request, and the version it reports.
	ServerClock func(ctx context.Context, url string) (ServerTime, error)
}

// ServerTime is what ServerClock found.
type ServerTime struct {
	Date    time.Time // the Date header (whole seconds)
	Local   time.Time // local time halfway between sending and receiving
	Version string    // gitVersion from /version, if it parsed
}

// Run runs the checks for o.Role, in order, and returns their results.
func Run(ctx context.Context, o Options, h Host) ([]Result, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := checker{o: o, h: h}
	results := []Result{c.root()}
	if o.Role.node() {
		results = append(results,
			c.containerd(ctx),
			c.executable("runc", "runc runs the containers", "apt-get install runc"),
			c.executable("iptables", "the CNI bridge and portmap plugins write iptables rules", "apt-get install iptables"),
			c.cniPlugins(),
			c.cgroupMemory(),
			c.ipForward(),
		)
	}
	var ports []Port
	if o.Role.server() {
		ports = append(ports, o.ServerPorts...)
	}
	if o.Role.node() {
		ports = append(ports, o.NodePorts...)
	}
	results = append(results, c.ports(ports)...)
	if r, ok := c.clock(ctx); ok {
		results = append(results, r)
	}
	return results, nil
}

// ErrFailed is returned by Print when a check failed.
var ErrFailed = errors.New("doctor: a check failed; each FAIL says what to fix")

// Print writes one line per result (and a fix line under those that have
// one), then a summary. It returns ErrFailed if any result is Fail.
func Print(w io.Writer, results []Result) error {
	var fails, warns int
	for _, r := range results {
		fmt.Fprintf(w, "%-4s  %-12s  %s\n", r.Status, r.Check, r.Message)
		if r.Fix != "" && r.Status != OK {
			prefix := "fix: "
			for _, line := range strings.Split(r.Fix, "\n") {
				fmt.Fprintf(w, "%20s%s%s\n", "", prefix, line)
				prefix = "     "
			}
		}
		switch r.Status {
		case Fail:
			fails++
		case Warn:
			warns++
		}
	}
	fmt.Fprintf(w, "\n%d checks: %d failed, %d warnings\n", len(results), fails, warns)
	if fails > 0 {
		return ErrFailed
	}
	return nil
}

// checker runs the checks of one Run.
type checker struct {
	o Options
	h Host
}
