package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
)

const (
	// cniVersion is the spec version of the generated configuration: the
	// newest that Debian 12's plugins (1.1.1) support.
	cniVersion = "1.0.0"
	// confFileName is the conflist's name in ConfDir.
	confFileName = "10-skiff.conflist"
	// loopbackName names the separate loopback network.
	loopbackName = "skiff-loopback"
	// podIfName is the pod's interface: the conflist is added before the
	// loopback network, so the pod's interface is eth0 (FIELD-NOTES).
	podIfName = "eth0"
)

// The plugins this package configures, in the order they run.
var requiredPlugins = []string{"bridge", "host-local", "portmap", "loopback"}

// netSettings is what the conflist is generated from.
type netSettings struct {
	cidr    netip.Prefix
	bridge  string
	mtu     int
	ipamDir string // host-local's dataDir
}

type confList struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Plugins    []any  `json:"plugins"`
}

type bridgeConf struct {
	Type      string `json:"type"`
	Bridge    string `json:"bridge"`
	IsGateway bool   `json:"isGateway"`
	IPMasq    bool   `json:"ipMasq"`
	// HairpinMode lets a pod reach itself through its own hostPort.
	HairpinMode bool `json:"hairpinMode"`
	// ForceAddress lets the bridge's gateway address follow a changed pod
	// CIDR instead of failing because the bridge has the old one.
	ForceAddress bool     `json:"forceAddress"`
	MTU          int      `json:"mtu,omitempty"`
	IPAM         ipamConf `json:"ipam"`
}

type ipamConf struct {
	Type    string        `json:"type"`
	Ranges  [][]ipamRange `json:"ranges"`
	Routes  []ipamRoute   `json:"routes"`
	DataDir string        `json:"dataDir"`
}

type ipamRange struct {
	Subnet string `json:"subnet"`
}

type ipamRoute struct {
	Dst string `json:"dst"`
}

type portmapConf struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities"`
}

// conflistJSON renders the network configuration list: bridge (with
// host-local) and portmap.
func conflistJSON(s netSettings) ([]byte, error) {
	defaultRoute := "0.0.0.0/0"
	if s.cidr.Addr().Is6() {
		defaultRoute = "::/0"
	}
	list := confList{
		CNIVersion: cniVersion,
		Name:       NetworkName,
		Plugins: []any{
			bridgeConf{
				Type:         "bridge",
				Bridge:       s.bridge,
				IsGateway:    true,
				IPMasq:       false, // one node-wide chain instead (EnsureMasquerade)
				HairpinMode:  true,
				ForceAddress: true,
				MTU:          s.mtu,
				IPAM: ipamConf{
					Type:    "host-local",
					Ranges:  [][]ipamRange{{{Subnet: s.cidr.String()}}},
					Routes:  []ipamRoute{{Dst: defaultRoute}},
					DataDir: s.ipamDir,
				},
			},
			portmapConf{Type: "portmap", Capabilities: map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(list, "", "  ")
}

// loadConfList generates and parses the conflist.
func loadConfList(s netSettings) (*libcni.NetworkConfigList, error) {
	b, err := conflistJSON(s)
	if err != nil {
		return nil, err
	}
	list, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("network: generated conflist does not parse: %w", err)
	}
	return list, nil
}

// loopbackConf is the loopback network, added after the conflist.
func loopbackConf() (*libcni.PluginConfig, error) {
	b, err := json.Marshal(map[string]string{"cniVersion": cniVersion, "name": loopbackName, "type": "loopback"})
	if err != nil {
		return nil, err
	}
	return libcni.NetworkPluginConfFromBytes(b)
}

// writeConfList writes the conflist to dir atomically.
func writeConfList(dir string, list *libcni.NetworkConfigList) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+confFileName+"-*")
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(append(list.Bytes, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("network: writing conflist: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("network: writing conflist: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("network: writing conflist: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, confFileName)); err != nil {
		return fmt.Errorf("network: writing conflist: %w", err)
	}
	return nil
}
