package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	cnitypes "github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"skiff/pkg/agent/keylock"
)

var (
	// ErrNotReady is wrapped by Ready's errors, and by SetUp's when plugins are
	// missing; the message says what to install.
	ErrNotReady = errors.New("network: not ready")
	// ErrPodsAttached is returned by SetPodCIDR while pods are set up.
	ErrPodsAttached = errors.New("network: pods are set up with the current pod CIDR")
	// ErrNoNetNS is returned by SetUp for a path that is not a network
	// namespace, and by SetUp and TearDown for the node's own namespace.
	ErrNoNetNS = errors.New("network: no network namespace")
)

// rollbackTimeout bounds the clean-up after a failed SetUp, which runs even
// when the caller's context has ended.
const rollbackTimeout = 30 * time.Second

// CNI sets up and tears down pod networks. Its methods are safe for
// concurrent use: operations on one pod are serialized, different pods
// proceed in parallel, and SetPodCIDR waits for the operations in flight.
//
// Plugins run in the network namespace of the calling goroutine's thread
// (the host's, for the agent).
type CNI struct {
	binDir   string
	confDir  string
	ipamDir  string
	bridge   string
	mtu      int
	log      *slog.Logger
	cni      *libcni.CNIConfig
	loopback *libcni.PluginConfig
	locks    keylock.Set

	mu   sync.RWMutex // shared: SetUp, TearDown; exclusive: SetPodCIDR
	cidr netip.Prefix
	list *libcni.NetworkConfigList

	versionsMu sync.Mutex
	versionsOK bool // the plugins support cniVersion (checked once)
}

// Attachment is a pod whose network is set up, as recorded in the state
// directory.
type Attachment struct {
	Pod   PodRef
	NetNS string
	IP    string
}

// New writes the conflist for opts and returns a CNI. It does not check the
// plugins, so an agent can start without them and report Ready's error.
func New(opts Options) (*CNI, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cidr, _ := parsePodCIDR(opts.PodCIDR) // checked by Validate
	c := &CNI{
		binDir:  opts.BinDir,
		confDir: opts.ConfDir,
		ipamDir: filepath.Join(opts.StateDir, "ipam"),
		bridge:  opts.BridgeName,
		mtu:     opts.MTU,
		log:     opts.Logger,
	}
	cacheDir := filepath.Join(opts.StateDir, "cache")
	for _, dir := range []string{c.ipamDir, cacheDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
	}
	list, err := c.configure(cidr)
	if err != nil {
		return nil, err
	}
	c.cidr, c.list = cidr, list
	if c.loopback, err = loopbackConf(); err != nil {
		return nil, fmt.Errorf("network: loopback config: %w", err)
	}
	pluginExec := &invoke.DefaultExec{
		RawExec:       &invoke.RawExec{Stderr: pluginStderr{c.log}},
		PluginDecoder: version.PluginDecoder{},
	}
	c.cni = libcni.NewCNIConfigWithCacheDir([]string{c.binDir}, cacheDir, pluginExec)
	c.log.Info("CNI pod network", "podCIDR", cidr, "bridge", c.bridge, "mtu", c.mtu,
		"binDir", c.binDir, "conflist", filepath.Join(c.confDir, confFileName), "stateDir", opts.StateDir)
	return c, nil
}

// configure generates the conflist for cidr and writes it to the conf dir.
func (c *CNI) configure(cidr netip.Prefix) (*libcni.NetworkConfigList, error) {
	list, err := loadConfList(netSettings{cidr: cidr, bridge: c.bridge, mtu: c.mtu, ipamDir: c.ipamDir})
	if err != nil {
		return nil, err
	}
	if err := writeConfList(c.confDir, list); err != nil {
		return nil, err
	}
	return list, nil
}

// PodCIDR returns the pod CIDR in use.
func (c *CNI) PodCIDR() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cidr.String()
}

// SetUp connects the pod's network namespace at netnsPath to the node's
// bridge with an address from the pod CIDR (its eth0), brings up its lo, and
// forwards the hostPorts in ports to it. It returns the pod's IP.
//
// For a pod already set up in netnsPath it returns the pod's IP and changes
// nothing, ports included (a pod's ports do not change). If the recorded
// set-up no longer matches the namespace (a namespace recreated after a
// reboot), the old one is torn down and the pod set up again. A failed SetUp
// releases what it allocated. Errors: ErrNotReady when plugins are missing,
// ErrNoNetNS, the context's, and the plugins' (which name the plugin).
func (c *CNI) SetUp(ctx context.Context, pod PodRef, netnsPath string, ports []PortMapping) (string, error) {
	if err := validatePod(pod); err != nil {
		return "", err
	}
	pm, err := portMappings(ports)
	if err != nil {
		return "", fmt.Errorf("network: pod %s: %w", pod, err)
	}
	if err := c.checkPlugins(); err != nil {
		return "", err
	}
	if !isNetNS(netnsPath) {
		return "", fmt.Errorf("%w at %q for pod %s", ErrNoNetNS, netnsPath, pod)
	}
	if isOwnNetNS(netnsPath) {
		return "", fmt.Errorf("%w: %q for pod %s is the node's own network namespace", ErrNoNetNS, netnsPath, pod)
	}
	unlock, err := c.locks.Lock(ctx, pod.UID)
	if err != nil {
		return "", err
	}
	defer unlock()
	c.mu.RLock()
	defer c.mu.RUnlock()

	start := time.Now()
	rt := c.runtimeConf(pod, netnsPath)
	if ip, ok := c.existing(ctx, pod, rt); ok {
		return ip.String(), nil
	}
	if len(pm) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": pm}
	}
	res, err := c.cni.AddNetworkList(ctx, c.list, rt)
	if err == nil {
		_, err = c.cni.AddNetwork(ctx, c.loopback, loopbackRT(rt))
	}
	var ip netip.Prefix
	if err == nil {
		ip, err = podIP(res)
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if derr := c.del(rctx, rt); derr != nil {
			c.log.Warn("releasing a failed pod network set-up", "pod", pod, "err", derr)
		}
		return "", fmt.Errorf("network: setting up pod %s: %w", pod, err)
	}
	c.log.Debug("pod network set up", "pod", pod, "ip", ip.Addr(), "ports", len(pm), "took", time.Since(start))
	return ip.Addr().String(), nil
}

// existing returns the IP of a pod already set up in rt.NetNS. A recorded
// set-up that the namespace no longer has is torn down.
func (c *CNI) existing(ctx context.Context, pod PodRef, rt *libcni.RuntimeConf) (netip.Addr, bool) {
	cached, err := c.cni.GetNetworkListCachedResult(c.list, rt)
	if err != nil || cached == nil {
		return netip.Addr{}, false
	}
	ips, err := podIPs(cached)
	if err == nil && len(ips) > 0 {
		_, cachedRT, _ := c.cni.GetNetworkListCachedConfig(c.list, rt)
		if cachedRT != nil && cachedRT.NetNS == rt.NetNS {
			ok, err := hasAddr(rt.NetNS, podIfName, ips[0].Addr())
			if err == nil && ok {
				return ips[0].Addr(), true
			}
		}
	}
	// Release the recorded set-up without touching the namespace: it is not
	// the one recorded, or lacks the recorded address.
	c.log.Info("pod network record does not match its namespace; setting it up again", "pod", pod, "netns", rt.NetNS)
	if err := c.teardown(ctx, pod, ""); err != nil {
		c.log.Warn("tearing down a stale pod network", "pod", pod, "err", err)
	}
	return netip.Addr{}, false
}

// TearDown removes the pod's interface, hostPort and masquerade rules and
// releases its IP. A namespace that is already gone (or netnsPath "") is no
// error: the IP is released and the rules removed all the same. Tearing down
// a pod that is not set up does nothing. The hostPort rules can be removed
// only while StateDir still has the pod's record.
func (c *CNI) TearDown(ctx context.Context, pod PodRef, netnsPath string) error {
	if err := validatePod(pod); err != nil {
		return err
	}
	unlock, err := c.locks.Lock(ctx, pod.UID)
	if err != nil {
		return err
	}
	defer unlock()
	c.mu.RLock()
	defer c.mu.RUnlock()
	start := time.Now()
	if !isNetNS(netnsPath) {
		netnsPath = ""
	} else if isOwnNetNS(netnsPath) {
		return fmt.Errorf("%w: %q for pod %s is the node's own network namespace", ErrNoNetNS, netnsPath, pod)
	}
	if err := c.teardown(ctx, pod, netnsPath); err != nil {
		return err
	}
	c.log.Debug("pod network torn down", "pod", pod, "took", time.Since(start))
	return nil
}

// teardown is TearDown with the locks held; netnsPath "" stands for a
// namespace that is gone, whose masquerade rules this package removes itself.
func (c *CNI) teardown(ctx context.Context, pod PodRef, netnsPath string) error {
	rt := c.runtimeConf(pod, netnsPath)
	// portmap deletes only the mappings it is given: take them from the record.
	if _, cachedRT, err := c.cni.GetNetworkListCachedConfig(c.list, rt); err == nil && cachedRT != nil {
		rt.CapabilityArgs = cachedRT.CapabilityArgs
	}
	var ips []netip.Prefix
	if netnsPath == "" {
		if cached, err := c.cni.GetNetworkListCachedResult(c.list, rt); err == nil && cached != nil {
			ips, _ = podIPs(cached)
		}
	}
	if err := c.del(ctx, rt); err != nil {
		return fmt.Errorf("network: tearing down pod %s: %w", pod, err)
	}
	if len(ips) > 0 {
		c.removeMasq(ctx, pod.UID, ips)
	}
	return nil
}

// del runs DEL for the loopback network and the conflist, both even if one
// fails.
func (c *CNI) del(ctx context.Context, rt *libcni.RuntimeConf) error {
	return errors.Join(
		c.cni.DelNetwork(ctx, c.loopback, loopbackRT(rt)),
		c.cni.DelNetworkList(ctx, c.list, rt),
	)
}

// SetPodCIDR switches to another pod CIDR, for when the control plane assigns
// the node's podCIDR after the agent started. The same CIDR again is a no-op.
// While any pod is set up it refuses with ErrPodsAttached (their addresses
// and the bridge's would disagree): tear them down first. The bridge keeps
// its old gateway address until the next SetUp replaces it.
func (c *CNI) SetPodCIDR(cidr string) error {
	p, err := parsePodCIDR(cidr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p == c.cidr {
		return nil
	}
	attached, err := c.attached()
	if err != nil {
		return err
	}
	if len(attached) > 0 {
		names := make([]string, 0, len(attached))
		for _, a := range attached {
			names = append(names, a.Pod.String())
		}
		return fmt.Errorf("%w %s: %d pod(s) set up (%s); tear them down before changing it to %s",
			ErrPodsAttached, c.cidr, len(attached), strings.Join(names, ", "), p)
	}
	list, err := c.configure(p)
	if err != nil {
		return err
	}
	c.log.Info("pod CIDR changed", "from", c.cidr, "to", p)
	c.cidr, c.list = p, list
	return nil
}

// Attached lists the pods whose network is set up, from the state directory:
// after a restart, the agent tears down those that no longer exist.
func (c *CNI) Attached() ([]Attachment, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.attached()
}

func (c *CNI) attached() ([]Attachment, error) {
	recs, err := c.cni.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("network: reading the state directory: %w", err)
	}
	var out []Attachment
	for _, r := range recs {
		if r.Network != NetworkName || r.IfName != podIfName {
			continue
		}
		a := Attachment{Pod: PodRef{UID: r.ContainerID}, NetNS: r.NetNS}
		for _, kv := range r.CniArgs {
			switch kv[0] {
			case "K8S_POD_NAMESPACE":
				a.Pod.Namespace = kv[1]
			case "K8S_POD_NAME":
				a.Pod.Name = kv[1]
			}
		}
		rt := &libcni.RuntimeConf{ContainerID: r.ContainerID, IfName: r.IfName}
		if res, err := c.cni.GetNetworkListCachedResult(c.list, rt); err == nil && res != nil {
			if ips, err := podIPs(res); err == nil && len(ips) > 0 {
				a.IP = ips[0].Addr().String()
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// Ready reports whether pods can be set up: the plugins are in BinDir and
// support the configuration's version, and iptables (which the bridge and
// portmap plugins run) is on PATH. Its errors wrap ErrNotReady and say what
// to install. The version check runs the plugins once, until it succeeds.
func (c *CNI) Ready() error {
	if err := c.checkPlugins(); err != nil {
		return err
	}
	c.versionsMu.Lock()
	defer c.versionsMu.Unlock()
	if c.versionsOK {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.mu.RLock()
	list := c.list
	c.mu.RUnlock()
	if _, err := c.cni.ValidateNetworkList(ctx, list); err != nil {
		return fmt.Errorf("%w: CNI plugins in %s do not support configuration version %s (%v); install containernetworking-plugins 1.0 or newer",
			ErrNotReady, c.binDir, cniVersion, err)
	}
	if _, err := c.cni.ValidateNetwork(ctx, c.loopback); err != nil {
		return fmt.Errorf("%w: CNI loopback plugin in %s: %v; install containernetworking-plugins 1.0 or newer", ErrNotReady, c.binDir, err)
	}
	c.versionsOK = true
	return nil
}

// checkPlugins checks that the plugins and iptables are there.
func (c *CNI) checkPlugins() error {
	var missing []string
	for _, p := range requiredPlugins {
		fi, err := os.Stat(filepath.Join(c.binDir, p))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		where := c.binDir
		if _, err := os.Stat(c.binDir); err != nil {
			where += " (no such directory)"
		}
		return fmt.Errorf("%w: CNI plugins %s not found in %s; install them with `apt-get install -y containernetworking-plugins` or point --cni-bin-dir at them",
			ErrNotReady, strings.Join(missing, ", "), where)
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return fmt.Errorf("%w: iptables not found on PATH (the bridge and portmap plugins need it); install it with `apt-get install -y iptables`", ErrNotReady)
	}
	return nil
}

// runtimeConf is the CNI invocation for the pod's eth0.
func (c *CNI) runtimeConf(pod PodRef, netnsPath string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID: pod.UID,
		NetNS:       netnsPath,
		IfName:      podIfName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", pod.Namespace},
			{"K8S_POD_NAME", pod.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", pod.UID},
			{"K8S_POD_UID", pod.UID},
		},
	}
}

// loopbackRT is rt for the pod's lo.
func loopbackRT(rt *libcni.RuntimeConf) *libcni.RuntimeConf {
	lo := *rt
	lo.IfName = "lo"
	lo.CapabilityArgs = nil
	return &lo
}

func validatePod(pod PodRef) error {
	if pod.UID == "" {
		return errors.New("network: pod UID is required")
	}
	for i, r := range pod.UID {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && (r == '_' || r == '.' || r == '-')
		if !ok {
			return fmt.Errorf("network: pod UID %q is not a valid CNI container ID", pod.UID)
		}
	}
	return nil
}

// portMapping is portmap's runtimeConfig entry.
type portMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

func portMappings(ports []PortMapping) ([]portMapping, error) {
	var out []portMapping
	for _, p := range ports {
		if p.HostPort == 0 {
			continue
		}
		if p.HostPort < 0 || p.HostPort > 65535 || p.ContainerPort <= 0 || p.ContainerPort > 65535 {
			return nil, fmt.Errorf("port mapping %d->%d: ports must be 1-65535", p.HostPort, p.ContainerPort)
		}
		proto := strings.ToLower(p.Protocol)
		switch proto {
		case "":
			proto = "tcp"
		case "tcp", "udp", "sctp":
		default:
			return nil, fmt.Errorf("port mapping %d->%d: unknown protocol %q", p.HostPort, p.ContainerPort, p.Protocol)
		}
		if p.HostIP != "" {
			if _, err := netip.ParseAddr(p.HostIP); err != nil {
				return nil, fmt.Errorf("port mapping %d->%d: host IP: %w", p.HostPort, p.ContainerPort, err)
			}
		}
		out = append(out, portMapping{HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: proto, HostIP: p.HostIP})
	}
	return out, nil
}

// podIPs returns the addresses that a result gives the pod's interface
// (the ones on an interface inside a sandbox), IPv4 first.
func podIPs(res cnitypes.Result) ([]netip.Prefix, error) {
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil, err
	}
	var v4, v6 []netip.Prefix
	for _, ipc := range r.IPs {
		if ipc.Interface != nil {
			i := *ipc.Interface
			if i < 0 || i >= len(r.Interfaces) || r.Interfaces[i].Sandbox == "" {
				continue
			}
		}
		addr, ok := netip.AddrFromSlice(ipc.Address.IP)
		if !ok {
			continue
		}
		ones, _ := ipc.Address.Mask.Size()
		p := netip.PrefixFrom(addr.Unmap(), ones)
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return append(v4, v6...), nil
}

// podIP is the pod's first address.
func podIP(res cnitypes.Result) (netip.Prefix, error) {
	ips, err := podIPs(res)
	if err != nil {
		return netip.Prefix{}, err
	}
	if len(ips) == 0 {
		return netip.Prefix{}, errors.New("the plugins returned no address for the pod")
	}
	return ips[0], nil
}

// pluginStderr logs what plugins write to stderr.
type pluginStderr struct{ log *slog.Logger }

func (w pluginStderr) Write(p []byte) (int, error) {
	w.log.Debug("CNI plugin stderr", "output", strings.TrimSpace(string(p)))
	return len(p), nil
}
