//go:build linux

package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// readHost reads the machine's facts from /proc, /sys, /etc and statfs(2).
// Only CPU and memory are essential; the rest is left zero when unreadable.
func readHost(rootDir string) (hostFacts, error) {
	f := hostFacts{CPUs: goruntime.NumCPU()}
	mi, err := os.Open("/proc/meminfo")
	if err != nil {
		return f, fmt.Errorf("node: %w", err)
	}
	f.MemoryBytes, f.MemoryAvailableBytes, err = parseMeminfo(mi)
	mi.Close()
	if err != nil {
		return f, err
	}
	if st, err := statfsNearest(rootDir); err == nil {
		f.DiskBytes = int64(st.Blocks) * int64(st.Bsize)
		f.DiskAvailableBytes = int64(st.Bavail) * int64(st.Bsize)
	}
	if v, err := strconv.ParseInt(readFirstLine("/proc/sys/kernel/pid_max"), 10, 64); err == nil {
		f.PIDMax = v
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		f.PIDsInUse = int64(si.Procs)
	}
	var un unix.Utsname
	if unix.Uname(&un) == nil {
		f.KernelVersion = unix.ByteSliceToString(un.Release[:])
	}
	f.OSImage = readOSImage()
	f.MachineID = readFirstLine("/etc/machine-id", "/var/lib/dbus/machine-id")
	f.SystemUUID = strings.ToLower(readFirstLine("/sys/class/dmi/id/product_uuid"))
	f.BootID = readFirstLine("/proc/sys/kernel/random/boot_id")
	return f, nil
}

// statfsNearest stats the filesystem of dir, or of its nearest existing
// parent: the root dir may not have been created yet.
func statfsNearest(dir string) (*unix.Statfs_t, error) {
	dir = filepath.Clean(dir)
	for {
		var st unix.Statfs_t
		err := unix.Statfs(dir, &st)
		if err == nil {
			return &st, nil
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, unix.ENOENT) || parent == dir {
			return nil, err
		}
		dir = parent
	}
}
