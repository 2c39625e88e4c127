package doctor

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listener is a TCP socket in LISTEN state, from /proc/net/tcp{,6}.
type listener struct {
	addr  string // host:port
	port  int
	inode string
}

// owner is the process holding a socket.
type owner struct {
	pid  int
	name string // base name of argv[0], else comm
}

// ports checks each port: free, or held by the Skiff component that owns it
// (already running), passes; held by anything else fails.
func (c *checker) ports(ports []Port) []Result {
	if len(ports) == 0 {
		return nil
	}
	listeners, err := c.listeners()
	if err != nil {
		return []Result{{Check: "ports", Status: Warn,
			Message: fmt.Sprintf("cannot list listening sockets: %v", err),
			Fix:     "check by hand: ss -ltnp"}}
	}
	byPort := map[int][]listener{}
	for _, l := range listeners {
		byPort[l.port] = append(byPort[l.port], l)
	}
	var owners map[string]owner
	var results []Result
	for _, p := range ports {
		r := Result{Check: fmt.Sprintf("port %d", p.Number)}
		held := byPort[p.Number]
		if len(held) == 0 {
			r.Message = fmt.Sprintf("free (%s, %s)", p.Component, p.What)
			results = append(results, r)
			continue
		}
		if owners == nil {
			owners = c.socketOwners()
		}
		var others []string
		ours := ""
		for _, l := range held {
			o, ok := owners[l.inode]
			switch {
			case !ok:
				others = append(others, l.addr+" by an unknown process")
			case o.name == p.Component:
				ours = fmt.Sprintf("%s (pid %d) on %s", o.name, o.pid, l.addr)
			default:
				others = append(others, fmt.Sprintf("%s by %s (pid %d)", l.addr, o.name, o.pid))
			}
		}
		if len(others) == 0 {
			r.Message = fmt.Sprintf("in use by Skiff's %s: already running", ours)
			results = append(results, r)
			continue
		}
		r.Status = Fail
		r.Message = fmt.Sprintf("in use on %s; Skiff's %s needs it (%s)", strings.Join(others, ", "), p.Component, p.What)
		r.Fix = fmt.Sprintf("stop what holds it (ss -ltnp 'sport = :%d' shows it), or move %s's port with %s", p.Number, p.Component, p.Flag)
		results = append(results, r)
	}
	return results
}

// listeners reads the listening TCP sockets of this network namespace.
func (c *checker) listeners() ([]listener, error) {
	var all []listener
	found := false
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		ls, err := readListeners(c.path(f))
		if os.IsNotExist(err) {
			continue // no IPv6, say
		}
		if err != nil {
			return nil, err
		}
		found = true
		all = append(all, ls...)
	}
	if !found {
		return nil, fmt.Errorf("neither /proc/net/tcp nor /proc/net/tcp6 exists")
	}
	return all, nil
}

// tcpListen is the state of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// readListeners parses one /proc/net/tcp-format file:
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//	0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12345 ...
func readListeners(path string) ([]listener, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ls []listener
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		host, port, ok := parseProcAddr(fields[1])
		if !ok {
			continue
		}
		ls = append(ls, listener{addr: net.JoinHostPort(host, strconv.Itoa(port)), port: port, inode: fields[9]})
	}
	return ls, sc.Err()
}

// parseProcAddr decodes "0100007F:0CEA" (an IPv4 or IPv6 address as 32-bit
// words in host byte order, and the port in hex).
func parseProcAddr(s string) (host string, port int, ok bool) {
	a, p, found := strings.Cut(s, ":")
	if !found {
		return "", 0, false
	}
	pn, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return "", 0, false
	}
	if len(a) != 8 && len(a) != 32 {
		return "", 0, false
	}
	// The kernel prints each 32-bit word of the address as a number in host
	// byte order; writing it back in host order restores the address bytes.
	b := make(net.IP, 0, len(a)/2)
	for i := 0; i < len(a); i += 8 {
		w, err := strconv.ParseUint(a[i:i+8], 16, 32)
		if err != nil {
			return "", 0, false
		}
		b = binary.NativeEndian.AppendUint32(b, uint32(w))
	}
	return b.String(), int(pn), true
}

// socketOwners maps socket inodes to the processes that hold them, from
// /proc/<pid>/fd. Only root sees every process's descriptors; sockets it
// cannot attribute are left out.
func (c *checker) socketOwners() map[string]owner {
	owners := map[string]owner{}
	procs, _ := os.ReadDir(c.path("/proc"))
	for _, d := range procs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join(c.path("/proc"), d.Name())
		fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
		var o *owner
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if err != nil {
				continue
			}
			inode, ok := strings.CutPrefix(target, "socket:[")
			if !ok {
				continue
			}
			if o == nil {
				o = &owner{pid: pid, name: processName(dir)}
			}
			owners[strings.TrimSuffix(inode, "]")] = *o
		}
	}
	return owners
}

// processName is the base name of the process's argv[0], or its comm (which
// the kernel cuts to 15 characters: "controller-mana").
func processName(procDir string) string {
	if data, err := os.ReadFile(filepath.Join(procDir, "cmdline")); err == nil {
		argv0, _, _ := strings.Cut(string(data), "\x00")
		if argv0 != "" {
			return filepath.Base(argv0)
		}
	}
	if data, err := os.ReadFile(filepath.Join(procDir, "comm")); err == nil {
		return strings.TrimSpace(string(data))
	}
	return "?"
}
