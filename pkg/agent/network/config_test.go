package network

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string // a part of the error; "" for none
	}{
		{name: "defaults", opts: Options{PodCIDR: "10.244.1.0/24"}},
		{name: "IPv6", opts: Options{PodCIDR: "fd00:10:244:1::/64"}},
		{name: "smallest", opts: Options{PodCIDR: "10.244.1.0/30"}},
		{name: "no CIDR", opts: Options{}, wantErr: "pod CIDR is required"},
		{name: "bad CIDR", opts: Options{PodCIDR: "10.244.1.0"}, wantErr: `pod CIDR "10.244.1.0"`},
		{name: "host bits", opts: Options{PodCIDR: "10.244.1.7/24"}, wantErr: "did you mean 10.244.1.0/24"},
		{name: "too small", opts: Options{PodCIDR: "10.244.1.0/31"}, wantErr: "too small"},
		{name: "relative dir", opts: Options{PodCIDR: "10.244.1.0/24", StateDir: "state"}, wantErr: `StateDir "state" is not an absolute path`},
		{name: "long bridge", opts: Options{PodCIDR: "10.244.1.0/24", BridgeName: "a-very-long-bridge"}, wantErr: "not a valid interface name"},
		{name: "MTU", opts: Options{PodCIDR: "10.244.1.0/24", MTU: 100}, wantErr: "MTU 100 out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.setDefaults()
			err := tc.opts.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate() = %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o := Options{PodCIDR: "10.244.1.0/24"}
	o.setDefaults()
	want := Options{
		BinDir:     "/usr/lib/cni",
		RootDir:    "/var/lib/skiff/agent",
		ConfDir:    "/var/lib/skiff/agent/cni/net.d",
		StateDir:   "/var/lib/skiff/agent/cni",
		PodCIDR:    "10.244.1.0/24",
		BridgeName: "skiff0",
	}
	o.Logger = nil
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestConflist(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     netSettings
		route string
		mtu   any
	}{
		{name: "IPv4", s: netSettings{cidr: mustPrefix("10.244.1.0/24"), bridge: "skiff0", ipamDir: "/state/ipam"}, route: "0.0.0.0/0"},
		{name: "IPv6 with MTU", s: netSettings{cidr: mustPrefix("fd00::/64"), bridge: "br1", mtu: 1450, ipamDir: "/state/ipam"}, route: "::/0", mtu: 1450.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := conflistJSON(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			bridge := map[string]any{
				"type": "bridge", "bridge": tc.s.bridge, "isGateway": true, "ipMasq": false,
				"hairpinMode": true, "forceAddress": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  []any{[]any{map[string]any{"subnet": tc.s.cidr.String()}}},
					"routes":  []any{map[string]any{"dst": tc.route}},
					"dataDir": "/state/ipam",
				},
			}
			if tc.mtu != nil {
				bridge["mtu"] = tc.mtu
			}
			want := map[string]any{
				"cniVersion": "1.0.0",
				"name":       "skiff",
				"plugins": []any{
					bridge,
					map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}},
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("conflist (-want +got):\n%s", diff)
			}
			list, err := loadConfList(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Plugins) != 2 || list.Plugins[0].Network.Type != "bridge" || list.Plugins[1].Network.Type != "portmap" {
				t.Errorf("libcni parsed %d plugins: %+v", len(list.Plugins), list.Plugins)
			}
		})
	}
}

func TestNewWritesConflist(t *testing.T) {
	dir := t.TempDir()
	c, err := New(Options{RootDir: dir, PodCIDR: "10.244.3.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cni", "net.d", confFileName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"subnet": "10.244.3.0/24"`) || !strings.Contains(string(b), filepath.Join(dir, "cni", "ipam")) {
		t.Errorf("conflist:\n%s", b)
	}
	if got := c.PodCIDR(); got != "10.244.3.0/24" {
		t.Errorf("PodCIDR() = %s", got)
	}
	// Changing the CIDR with no pods set up rewrites it.
	if err := c.SetPodCIDR("10.244.4.0/24"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "cni", "net.d", confFileName))
	if !strings.Contains(string(b), `"subnet": "10.244.4.0/24"`) {
		t.Errorf("conflist after SetPodCIDR:\n%s", b)
	}
	if err := c.SetPodCIDR("10.244.4.1/24"); err == nil {
		t.Error("SetPodCIDR accepted an address with host bits")
	}
}

func TestPortMappings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []PortMapping
		want    []portMapping
		wantErr string
	}{
		{name: "none"},
		{
			name: "defaults and case",
			in: []PortMapping{
				{HostPort: 8080, ContainerPort: 80},
				{HostPort: 5353, ContainerPort: 53, Protocol: "UDP", HostIP: "127.0.0.1"},
				{ContainerPort: 9090}, // no hostPort
			},
			want: []portMapping{
				{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
				{HostPort: 5353, ContainerPort: 53, Protocol: "udp", HostIP: "127.0.0.1"},
			},
		},
		{name: "bad protocol", in: []PortMapping{{HostPort: 1, ContainerPort: 1, Protocol: "icmp"}}, wantErr: "unknown protocol"},
		{name: "bad port", in: []PortMapping{{HostPort: 70000, ContainerPort: 1}}, wantErr: "1-65535"},
		{name: "no container port", in: []PortMapping{{HostPort: 80}}, wantErr: "1-65535"},
		{name: "bad host IP", in: []PortMapping{{HostPort: 80, ContainerPort: 80, HostIP: "localhost"}}, wantErr: "host IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := portMappings(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("portMappings() = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("portMappings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePod(t *testing.T) {
	for _, tc := range []struct {
		uid string
		ok  bool
	}{
		{"0f3c2a8e-1b7d-4c3e-9a55-1234567890ab", true},
		{"a_b.c-d", true},
		{"", false},
		{"-leading-dash", false},
		{"has/slash", false},
		{"has space", false},
	} {
		if err := validatePod(PodRef{UID: tc.uid}); (err == nil) != tc.ok {
			t.Errorf("validatePod(%q) = %v, want ok=%v", tc.uid, err, tc.ok)
		}
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
