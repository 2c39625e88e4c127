package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
	"skiff/pkg/api/labels"
	"skiff/pkg/client"
)

// Defaults of Options, as the kubelet's.
const (
	// DefaultMaxPods is --max-pods.
	DefaultMaxPods = 110
	// DefaultLeaseDuration is the Lease's leaseDurationSeconds (the kubelet's
	// --node-lease-duration-seconds).
	DefaultLeaseDuration = 40 * time.Second
	// DefaultLeaseRenewInterval is how often the Lease is renewed: a quarter of
	// its duration, as the kubelet does.
	DefaultLeaseRenewInterval = 10 * time.Second
	// DefaultStatusUpdateInterval is how often the Node's status is written
	// even when nothing changed (the kubelet's --node-status-update-frequency).
	DefaultStatusUpdateInterval = 10 * time.Second
	// DefaultCheckInterval is how often the health checks run between status
	// updates, so a change (runtime down, network ready) is reported at once.
	DefaultCheckInterval = time.Second
	// DefaultRootDir is the filesystem whose size is the node's
	// ephemeral-storage and whose free space decides DiskPressure.
	DefaultRootDir = "/var/lib/skiff/agent"
)

// Runtime is what the node's status needs from the container runtime.
// Implementations are safe for concurrent use and return once ctx ends.
type Runtime interface {
	// Version returns the runtime's name and version, e.g.
	// "containerd://1.6.20"; an error means the runtime is unreachable and the
	// node is not Ready.
	Version(ctx context.Context) (string, error)
	// ListImages returns the images present on the node.
	ListImages(ctx context.Context) ([]runtime.ImageInfo, error)
}

var _ Runtime = (runtime.Runtime)(nil)

// Check is a readiness check: ok, or why not. Reason is a CamelCase word for
// conditions (empty takes a default), message is for people. Checks are called
// often (every CheckInterval) and must return at once: report a state that
// something else keeps current, do not probe here.
type Check func() (ok bool, reason, message string)

// Options configure a Manager. NodeName, Client and Runtime are required;
// zero values of the others take the defaults.
type Options struct {
	// NodeName is the Node's name; the client must authenticate as
	// system:node:<NodeName>.
	NodeName string
	// Client talks to the apiserver.
	Client *client.Client
	// Runtime is the container runtime (version, images).
	Runtime Runtime

	// MaxPods is the node's pods capacity. Default DefaultMaxPods.
	MaxPods int
	// SystemReserved is subtracted from capacity to give allocatable: the
	// resources kept for the operating system and Skiff itself. Keys: cpu,
	// memory, ephemeral-storage.
	SystemReserved api.ResourceList
	// Labels are added to the Node besides kubernetes.io/hostname,
	// kubernetes.io/os and kubernetes.io/arch. Labels set by others are kept.
	Labels map[string]string
	// InternalIP is the node's address for the cluster. Empty detects it: the
	// first address of the interface of the default route, else the first
	// non-loopback address.
	InternalIP string
	// Hostname is the Hostname address. Default os.Hostname().
	Hostname string
	// AgentVersion is reported as nodeInfo.kubeletVersion, e.g. "v0.1.0".
	AgentVersion string
	// DaemonPort is the agent's gRPC port (logs, exec, stats), reported as
	// daemonEndpoints.kubeletEndpoint.Port; 0 reports none.
	DaemonPort int32
	// RootDir is the agent's state directory: its filesystem is the node's
	// ephemeral-storage and decides DiskPressure. It need not exist yet.
	// Default DefaultRootDir.
	RootDir string

	// Ready is an extra readiness check (the node is Ready only when it and
	// the runtime are fine). Nil means no extra check.
	Ready Check
	// NetworkReady says whether the pod network is configured: until it is,
	// NetworkUnavailable is True and the node is not Ready. Nil means the
	// network needs no set-up.
	NetworkReady Check

	// LeaseDuration is the Lease's leaseDurationSeconds. Default
	// DefaultLeaseDuration.
	LeaseDuration time.Duration
	// LeaseRenewInterval is how often the Lease is renewed. Default
	// DefaultLeaseRenewInterval.
	LeaseRenewInterval time.Duration
	// StatusUpdateInterval is how often the status is written when nothing
	// changed. Default DefaultStatusUpdateInterval.
	StatusUpdateInterval time.Duration
	// CheckInterval is how often the checks run between status updates.
	// Default DefaultCheckInterval.
	CheckInterval time.Duration

	// Now is the clock for heartbeat and transition times; tests replace it.
	// Default time.Now.
	Now func() time.Time
	// Logger receives the manager's logs. Default: discarded.
	Logger *slog.Logger
}

// reservable are the resources SystemReserved may name.
var reservable = []string{api.ResourceCPU, api.ResourceMemory, api.ResourceEphemeralStorage}

// Validate reports options that cannot work, saying what to fix.
func (o Options) Validate() error {
	var errs []error
	if o.NodeName == "" {
		errs = append(errs, errors.New("node: node name is required"))
	} else if msgs := labels.IsDNS1123Subdomain(o.NodeName); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("node: node name %q: %s", o.NodeName, msgs[0]))
	}
	if o.Client == nil {
		errs = append(errs, errors.New("node: a client is required"))
	}
	if o.Runtime == nil {
		errs = append(errs, errors.New("node: a runtime is required"))
	}
	if o.MaxPods < 0 {
		errs = append(errs, fmt.Errorf("node: max pods %d is negative", o.MaxPods))
	}
	for name, q := range o.SystemReserved {
		if !contains(reservable, name) {
			errs = append(errs, fmt.Errorf("node: system-reserved %q: only %v can be reserved", name, reservable))
		} else if q.Sign() < 0 {
			errs = append(errs, fmt.Errorf("node: system-reserved %s=%s is negative", name, q.String()))
		}
	}
	if o.InternalIP != "" && net.ParseIP(o.InternalIP) == nil {
		errs = append(errs, fmt.Errorf("node: internal IP %q is not an IP address", o.InternalIP))
	}
	if o.DaemonPort < 0 || o.DaemonPort > 65535 {
		errs = append(errs, fmt.Errorf("node: daemon port %d is out of range", o.DaemonPort))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"lease duration", o.LeaseDuration},
		{"lease renew interval", o.LeaseRenewInterval},
		{"status update interval", o.StatusUpdateInterval},
		{"check interval", o.CheckInterval},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("node: %s %v is negative (leave it 0 for the default)", d.name, d.v))
		}
	}
	if o.LeaseDuration > 0 && o.LeaseDuration < time.Second {
		errs = append(errs, fmt.Errorf("node: lease duration %v is under a second", o.LeaseDuration))
	}
	return errors.Join(errs...)
}

// withDefaults fills in zero values.
func (o Options) withDefaults() Options {
	if o.MaxPods == 0 {
		o.MaxPods = DefaultMaxPods
	}
	if o.RootDir == "" {
		o.RootDir = DefaultRootDir
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = DefaultLeaseDuration
	}
	if o.LeaseRenewInterval <= 0 {
		o.LeaseRenewInterval = DefaultLeaseRenewInterval
	}
	if o.StatusUpdateInterval <= 0 {
		o.StatusUpdateInterval = DefaultStatusUpdateInterval
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = DefaultCheckInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
