package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"skiff/pkg/api"
)

// ErrNoNodeIP is returned when no address for the node can be found; set
// Options.InternalIP then.
var ErrNoNodeIP = errors.New("node: no non-loopback address found; set the node IP")

// netInterface is a network interface as address detection sees it.
type netInterface struct {
	Name     string
	Up       bool
	Loopback bool
	Addrs    []net.IP
}

// nodeIP picks the node's InternalIP: the first IPv4 (else IPv6) global
// unicast address of the default route's interface, else the first such
// address of any interface that is up and not loopback, IPv4 first.
// defaultIface may be empty (no default route).
func nodeIP(ifaces []netInterface, defaultIface string) (net.IP, error) {
	usable := func(i netInterface) bool { return i.Up && !i.Loopback }
	if defaultIface != "" {
		for _, i := range ifaces {
			if i.Name == defaultIface && usable(i) {
				if ip := firstAddr(i.Addrs, true); ip != nil {
					return ip, nil
				}
				if ip := firstAddr(i.Addrs, false); ip != nil {
					return ip, nil
				}
			}
		}
	}
	for _, v4 := range []bool{true, false} {
		for _, i := range ifaces {
			if !usable(i) {
				continue
			}
			if ip := firstAddr(i.Addrs, v4); ip != nil {
				return ip, nil
			}
		}
	}
	return nil, ErrNoNodeIP
}

// firstAddr returns the first global unicast address (private ranges
// included, loopback and link-local not) of the family asked for.
func firstAddr(addrs []net.IP, v4 bool) net.IP {
	for _, ip := range addrs {
		if ip.IsGlobalUnicast() && (ip.To4() != nil) == v4 {
			return ip
		}
	}
	return nil
}

// rtfUp is RTF_UP in /proc/net/route's Flags column.
const rtfUp = 0x1

// defaultRouteInterface returns the interface of the IPv4 default route with
// the lowest metric in /proc/net/route format, or "" when there is none.
func defaultRouteInterface(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	best, bestMetric := "", int64(-1)
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		iface, dest, flags, metric, mask := f[0], f[1], f[3], f[6], f[7]
		if dest != "00000000" || mask != "00000000" {
			continue
		}
		fl, err := strconv.ParseInt(flags, 16, 64)
		if err != nil || fl&rtfUp == 0 {
			continue
		}
		m, err := strconv.ParseInt(metric, 10, 64)
		if err != nil {
			continue
		}
		if bestMetric < 0 || m < bestMetric {
			best, bestMetric = iface, m
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("node: route table: %w", err)
	}
	return best, nil
}

// systemInterfaces lists the host's interfaces and their addresses.
func systemInterfaces() ([]netInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("node: list interfaces: %w", err)
	}
	out := make([]netInterface, 0, len(ifs))
	for _, i := range ifs {
		ni := netInterface{Name: i.Name, Up: i.Flags&net.FlagUp != 0, Loopback: i.Flags&net.FlagLoopback != 0}
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ni.Addrs = append(ni.Addrs, n.IP)
			}
		}
		out = append(out, ni)
	}
	return out, nil
}

// detectNodeIP finds the node's InternalIP on this host.
func detectNodeIP() (net.IP, error) {
	ifaces, err := systemInterfaces()
	if err != nil {
		return nil, err
	}
	var def string
	if f, err := os.Open("/proc/net/route"); err == nil {
		def, _ = defaultRouteInterface(f)
		f.Close()
	}
	return nodeIP(ifaces, def)
}

// addresses are the Node's status.addresses: InternalIP, then Hostname.
func addresses(internalIP, hostname string) []api.NodeAddress {
	out := []api.NodeAddress{{Type: api.NodeInternalIP, Address: internalIP}}
	if hostname != "" {
		out = append(out, api.NodeAddress{Type: api.NodeHostName, Address: hostname})
	}
	return out
}
