package node

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func ips(s ...string) []net.IP {
	var out []net.IP
	for _, x := range s {
		out = append(out, net.ParseIP(x))
	}
	return out
}

func TestNodeIP(t *testing.T) {
	lo := netInterface{Name: "lo", Up: true, Loopback: true, Addrs: ips("127.0.0.1", "::1")}
	tests := []struct {
		name         string
		ifaces       []netInterface
		defaultIface string
		want         string
		wantErr      error
	}{
		{
			name: "the default route's interface",
			ifaces: []netInterface{lo,
				{Name: "docker0", Up: true, Addrs: ips("172.17.0.1")},
				{Name: "eth0", Up: true, Addrs: ips("fe80::1", "fd00::2", "192.0.2.2")}},
			defaultIface: "eth0",
			want:         "192.0.2.2",
		},
		{
			name: "IPv6 when the default route's interface has no IPv4",
			ifaces: []netInterface{lo,
				{Name: "eth0", Up: true, Addrs: ips("10.0.0.1")},
				{Name: "eth1", Up: true, Addrs: ips("fe80::1", "2001:db8::5")}},
			defaultIface: "eth1",
			want:         "2001:db8::5",
		},
		{
			name: "no default route: first IPv4 of any interface",
			ifaces: []netInterface{lo,
				{Name: "eth0", Up: true, Addrs: ips("fe80::1", "2001:db8::5")},
				{Name: "eth1", Up: true, Addrs: ips("10.1.2.3")}},
			want: "10.1.2.3",
		},
		{
			name: "default route's interface is down",
			ifaces: []netInterface{lo,
				{Name: "eth0", Addrs: ips("192.0.2.2")},
				{Name: "eth1", Up: true, Addrs: ips("10.1.2.3")}},
			defaultIface: "eth0",
			want:         "10.1.2.3",
		},
		{
			name: "default route's interface has only link-local addresses",
			ifaces: []netInterface{lo,
				{Name: "tun0", Up: true, Addrs: ips("169.254.1.1", "fe80::1")},
				{Name: "eth1", Up: true, Addrs: ips("10.1.2.3")}},
			defaultIface: "tun0",
			want:         "10.1.2.3",
		},
		{
			name: "IPv6 only host",
			ifaces: []netInterface{lo,
				{Name: "eth0", Up: true, Addrs: ips("fe80::1", "2001:db8::7")}},
			want: "2001:db8::7",
		},
		{
			name:    "only loopback",
			ifaces:  []netInterface{lo},
			wantErr: ErrNoNodeIP,
		},
		{
			name:    "no interfaces",
			wantErr: ErrNoNodeIP,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nodeIP(tt.ifaces, tt.defaultIface)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("nodeIP error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if got.String() != tt.want {
				t.Errorf("nodeIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDefaultRouteInterface(t *testing.T) {
	const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	tests := []struct {
		name  string
		table string
		want  string
	}{
		{
			name: "one default route",
			table: header +
				"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
				"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
			want: "eth0",
		},
		{
			name: "lowest metric wins",
			table: header +
				"wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
				"eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n",
			want: "eth0",
		},
		{
			name: "a route that is not up is ignored",
			table: header +
				"eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n",
			want: "",
		},
		{
			name: "no default route",
			table: header +
				"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
			want: "",
		},
		{
			name:  "empty",
			table: "",
			want:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := defaultRouteInterface(strings.NewReader(tt.table))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("defaultRouteInterface = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddresses(t *testing.T) {
	want := []api.NodeAddress{{Type: "InternalIP", Address: "192.0.2.2"}, {Type: "Hostname", Address: "node-a"}}
	if diff := cmp.Diff(want, addresses("192.0.2.2", "node-a")); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	want = []api.NodeAddress{{Type: "InternalIP", Address: "192.0.2.2"}}
	if diff := cmp.Diff(want, addresses("192.0.2.2", "")); diff != "" {
		t.Errorf("addresses without hostname (-want +got):\n%s", diff)
	}
}

// TestDetectNodeIPOnThisHost checks detection on the real host: whatever it
// picks must be an address of this host, and never loopback.
func TestDetectNodeIPOnThisHost(t *testing.T) {
	ip, err := detectNodeIP()
	if errors.Is(err, ErrNoNodeIP) {
		t.Skip("this host has no non-loopback address")
	}
	if err != nil {
		t.Fatal(err)
	}
	if ip.IsLoopback() || !ip.IsGlobalUnicast() {
		t.Errorf("detected %s, want a global unicast address", ip)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return
		}
	}
	t.Errorf("detected %s, which is not an address of this host (%v)", ip, addrs)
}
