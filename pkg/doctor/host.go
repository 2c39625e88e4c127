package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// containerdTimeout bounds asking containerd for its version.
const containerdTimeout = 3 * time.Second

// path is an absolute path under the host's root.
func (c *checker) path(p string) string {
	return filepath.Join(c.h.Root, p)
}

func (c *checker) root() Result {
	r := Result{Check: "root"}
	if uid := c.h.Euid(); uid != 0 {
		r.Status = Fail
		r.Message = fmt.Sprintf("running as uid %d, not root: Skiff's services run as root, and the port owners below are only visible to root", uid)
		r.Fix = "run it again as root: sudo skiffctl doctor"
		return r
	}
	r.Message = "running as root"
	return r
}

func (c *checker) containerd(ctx context.Context) Result {
	r := Result{Check: "containerd"}
	addr := c.o.ContainerdAddress
	fix := "apt-get install containerd && systemctl enable --now containerd\n" +
		"if it is installed: systemctl status containerd; journalctl -u containerd"
	if _, err := os.Stat(c.path(addr)); err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("no socket at %s: containerd is not running, or listens elsewhere (--containerd-address)", addr)
		r.Fix = fix
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, containerdTimeout)
	defer cancel()
	v, err := c.h.ContainerdVersion(ctx, addr)
	if err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("containerd does not answer at %s: %v", addr, err)
		r.Fix = fix + "\na socket left by a dead containerd: rm " + addr + " and start containerd again"
		return r
	}
	r.Message = fmt.Sprintf("containerd %s answers at %s", v, addr)
	return r
}

// executable checks that file is on PATH.
func (c *checker) executable(file, why, fix string) Result {
	r := Result{Check: file}
	p, err := c.h.LookPath(file)
	if err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("%s is not on PATH: %s", file, why)
		r.Fix = fix
		return r
	}
	r.Message = fmt.Sprintf("%s is %s", file, p)
	return r
}

func (c *checker) cniPlugins() Result {
	r := Result{Check: "cni-plugins"}
	dir := c.o.CNIBinDir
	var missing []string
	for _, p := range CNIPlugins {
		fi, err := os.Stat(c.path(filepath.Join(dir, p)))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		r.Status = Fail
		r.Message = fmt.Sprintf("missing or not executable in %s: %s", dir, strings.Join(missing, ", "))
		r.Fix = "apt-get install containernetworking-plugins (Debian puts them in /usr/lib/cni)\n" +
			"plugins elsewhere: pass their directory as --cni-bin-dir to nodeagent and to doctor"
		return r
	}
	r.Message = fmt.Sprintf("%s in %s", strings.Join(CNIPlugins, ", "), dir)
	return r
}

func (c *checker) cgroupMemory() Result {
	r := Result{Check: "cgroup"}
	fix := "enable the memory controller on the kernel command line: add cgroup_enable=memory to\n" +
		"GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot"
	// cgroup v2: one hierarchy, controllers listed in cgroup.controllers.
	if data, err := os.ReadFile(c.path("/sys/fs/cgroup/cgroup.controllers")); err == nil {
		for _, ctl := range strings.Fields(string(data)) {
			if ctl == "memory" {
				r.Message = "cgroup v2 with the memory controller"
				return r
			}
		}
		r.Status = Fail
		r.Message = "cgroup v2 without the memory controller: memory limits and OOM kills cannot work"
		r.Fix = fix
		return r
	}
	// cgroup v1: one hierarchy per controller.
	if fi, err := os.Stat(c.path("/sys/fs/cgroup/memory")); err == nil && fi.IsDir() {
		r.Message = "cgroup v1 with the memory controller (/sys/fs/cgroup/memory)"
		return r
	}
	r.Status = Fail
	r.Message = "no memory cgroup: neither /sys/fs/cgroup/cgroup.controllers (v2) nor /sys/fs/cgroup/memory (v1)"
	r.Fix = fix
	return r
}

func (c *checker) ipForward() Result {
	r := Result{Check: "ip-forward"}
	const file = "/proc/sys/net/ipv4/ip_forward"
	fix := "sysctl -w net.ipv4.ip_forward=1\n" +
		"and to keep it after a reboot: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-skiff.conf\n" +
		"(hack/install.sh does both)"
	data, err := os.ReadFile(c.path(file))
	if err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("cannot read %s: %v", file, err)
		r.Fix = fix
		return r
	}
	if v := strings.TrimSpace(string(data)); v != "1" {
		r.Status = Fail
		r.Message = fmt.Sprintf("net.ipv4.ip_forward is %s: this machine will not route pod traffic between its pods and other nodes", v)
		r.Fix = fix
		return r
	}
	r.Message = "net.ipv4.ip_forward is 1"
	return r
}
