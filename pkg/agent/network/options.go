package network

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
)

// Defaults for Options.
const (
	DefaultBinDir     = "/usr/lib/cni"
	DefaultRootDir    = "/var/lib/skiff/agent"
	DefaultBridgeName = "skiff0"
)

// NetworkName is the CNI network name: it names the conflist, host-local's
// allocation directory and the plugins' iptables chains.
const NetworkName = "skiff"

// Options configure a CNI. Only PodCIDR is required.
type Options struct {
	// BinDir holds the plugins: bridge, host-local, loopback and portmap.
	// Default DefaultBinDir (where Debian puts them).
	BinDir string
	// RootDir is the agent's root directory; it only supplies the defaults of
	// ConfDir and StateDir. Default DefaultRootDir.
	RootDir string
	// ConfDir is where the generated conflist is written (for people and
	// tools such as cnitool; CNI itself uses the configuration in memory).
	// Default <RootDir>/cni/net.d.
	ConfDir string
	// StateDir keeps host-local's allocations (ipam/) and libcni's cache of
	// results (cache/), which TearDown needs to remove hostPort rules. It must
	// survive agent restarts. Default <RootDir>/cni.
	StateDir string
	// PodCIDR is the node's pod CIDR, e.g. 10.244.1.0/24: its first address
	// is the bridge's (the pods' gateway), pods get the others. Required.
	PodCIDR string
	// BridgeName is the node's bridge. Default DefaultBridgeName.
	BridgeName string
	// MTU of the bridge and the pods' interfaces; 0 leaves the plugin's
	// default (1500).
	MTU int
	// Logger gets the effective config once, pod set-ups and tear-downs at
	// debug level, and the plugins' stderr. Default: discard.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.BinDir == "" {
		o.BinDir = DefaultBinDir
	}
	if o.RootDir == "" {
		o.RootDir = DefaultRootDir
	}
	if o.ConfDir == "" {
		o.ConfDir = filepath.Join(o.RootDir, "cni", "net.d")
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.RootDir, "cni")
	}
	if o.BridgeName == "" {
		o.BridgeName = DefaultBridgeName
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports what is wrong with the options after defaulting.
func (o Options) Validate() error {
	var errs []error
	if _, err := parsePodCIDR(o.PodCIDR); err != nil {
		errs = append(errs, err)
	}
	for name, dir := range map[string]string{"BinDir": o.BinDir, "ConfDir": o.ConfDir, "StateDir": o.StateDir} {
		if dir != "" && !filepath.IsAbs(dir) {
			errs = append(errs, fmt.Errorf("network: %s %q is not an absolute path", name, dir))
		}
	}
	// Linux interface names: at most 15 bytes, no '/', no whitespace.
	if b := o.BridgeName; len(b) > 15 || strings.ContainsAny(b, "/ \t\n") || b == "." || b == ".." {
		errs = append(errs, fmt.Errorf("network: bridge name %q is not a valid interface name (at most 15 characters, no '/' or spaces)", b))
	}
	if o.MTU != 0 && (o.MTU < 576 || o.MTU > 65535) {
		errs = append(errs, fmt.Errorf("network: MTU %d out of range 576-65535", o.MTU))
	}
	return errors.Join(errs...)
}

// parsePodCIDR parses a pod CIDR that leaves room for the gateway and at least
// one pod.
func parsePodCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, errors.New("network: pod CIDR is required (--pod-cidr or the Node's spec.podCIDR)")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network: pod CIDR %q: %w", s, err)
	}
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("network: pod CIDR %q is not a network address (did you mean %s?)", s, p.Masked())
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("network: pod CIDR %q: use the plain IPv4 form", s)
	}
	if p.Bits() > p.Addr().BitLen()-2 {
		return netip.Prefix{}, fmt.Errorf("network: pod CIDR %q is too small: it needs a gateway address and one for a pod", s)
	}
	return p, nil
}
