package node

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// hostFacts is what the node reports about its machine, read afresh for every
// status update (memory and disk change; CPUs can be hot-plugged).
type hostFacts struct {
	CPUs int
	// MemoryBytes is MemTotal; MemoryAvailableBytes is MemAvailable.
	MemoryBytes, MemoryAvailableBytes int64
	// DiskBytes and DiskAvailableBytes are the size and the space available to
	// unprivileged users of the filesystem holding the root dir.
	DiskBytes, DiskAvailableBytes int64
	// PIDMax is kernel.pid_max; PIDsInUse the number of processes (threads).
	PIDMax, PIDsInUse int64

	KernelVersion string
	OSImage       string
	MachineID     string
	SystemUUID    string
	BootID        string
}

// hostReader reads the facts of the machine, with rootDir the agent's state
// directory. Tests replace it.
type hostReader func(rootDir string) (hostFacts, error)

// parseMeminfo reads MemTotal and MemAvailable, in bytes, from /proc/meminfo.
func parseMeminfo(r io.Reader) (total, available int64, err error) {
	var haveTotal, haveAvailable bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "MemTotal" && key != "MemAvailable") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, 0, fmt.Errorf("node: meminfo: %s has no value", key)
		}
		v, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || v < 0 {
			return 0, 0, fmt.Errorf("node: meminfo: %s: invalid value %q", key, fields[0])
		}
		if len(fields) > 1 {
			if fields[1] != "kB" {
				return 0, 0, fmt.Errorf("node: meminfo: %s: unknown unit %q", key, fields[1])
			}
			v *= 1024
		}
		if key == "MemTotal" {
			total, haveTotal = v, true
		} else {
			available, haveAvailable = v, true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("node: meminfo: %w", err)
	}
	if !haveTotal {
		return 0, 0, fmt.Errorf("node: meminfo: no MemTotal")
	}
	if !haveAvailable {
		// Kernels before 3.14 lack MemAvailable: then nothing is known about
		// pressure, and reporting none is the kubelet's choice too.
		available = total
	}
	return total, available, nil
}

// parseOSRelease returns PRETTY_NAME from an os-release file, unquoted; NAME
// when there is no PRETTY_NAME; "Linux" as os-release(5) says to default.
func parseOSRelease(r io.Reader) string {
	vals := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		vals[k] = v
	}
	for _, k := range []string{"PRETTY_NAME", "NAME"} {
		if v := vals[k]; v != "" {
			return v
		}
	}
	return "Linux"
}

// readOSImage reads the PRETTY_NAME of /etc/os-release or, failing that,
// /usr/lib/os-release.
func readOSImage() string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		name := parseOSRelease(f)
		f.Close()
		return name
	}
	return ""
}

// readFirstLine returns the trimmed content of the first readable file of
// paths, or "" (machine-id and product_uuid are missing or root-only on some
// machines, and are then not reported).
func readFirstLine(paths ...string) string {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(string(data), "\n")
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}
