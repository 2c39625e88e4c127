package containerd

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// cgroupRoot is where the cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroups reads and removes the cgroup directories runc creates for our
// containers (cgroupfs driver, so a cgroup is a path like /skiff/pod<UID>/<ID>
// in every v1 hierarchy, or under the v2 root).
type cgroups struct {
	root    string
	unified bool // cgroup v2
}

func newCgroups(root string) cgroups {
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	return cgroups{root: root, unified: err == nil}
}

// hierarchies returns the directories a cgroup path is found under: the v2 root,
// or each v1 hierarchy (the symlinks such as cpu,cpuacct are skipped).
func (c cgroups) hierarchies() []string {
	if c.unified {
		return []string{c.root}
	}
	entries, err := os.ReadDir(c.root)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(c.root, e.Name()))
		}
	}
	return dirs
}

// swapControl reports whether memory+swap can be limited (cgroup v1 with
// swap accounting); then a container's swap limit is set to its memory limit,
// as containerd's CRI plugin does, so it is OOM-killed instead of swapping.
func (c cgroups) swapControl() bool {
	if c.unified {
		return false
	}
	_, err := os.Stat(filepath.Join(c.root, "memory", "memory.memsw.limit_in_bytes"))
	return err == nil
}

// oomKilled reports whether the kernel OOM-killed a process in the cgroup
// because of its memory limit. A missing cgroup reports false.
func (c cgroups) oomKilled(cgroupPath string) (bool, error) {
	if cgroupPath == "" {
		return false, nil
	}
	file := filepath.Join(c.root, "memory", cgroupPath, "memory.oom_control")
	if c.unified {
		file = filepath.Join(c.root, cgroupPath, "memory.events")
	}
	n, err := readKeyedUint(file, "oom_kill")
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return n > 0, err
}

// readKeyedUint reads the value of key from a cgroup file of "key value" lines.
func readKeyedUint(file, key string) (uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), " ")
		if ok && k == key {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, s.Err()
}

// remove removes the cgroup directory in every hierarchy; it must have no
// child cgroups. A missing directory is not an error.
func (c cgroups) remove(cgroupPath string) error {
	if cleanCgroupPath(cgroupPath) == "" {
		return nil
	}
	var errs []error
	for _, h := range c.hierarchies() {
		if err := os.Remove(filepath.Join(h, cgroupPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeTree removes the cgroup directory and all cgroups below it, deepest
// first, in every hierarchy. Cgroups that still hold processes cannot be removed.
func (c cgroups) removeTree(cgroupPath string) error {
	if cleanCgroupPath(cgroupPath) == "" {
		return nil
	}
	var errs []error
	for _, h := range c.hierarchies() {
		var dirs []string
		err := filepath.WalkDir(filepath.Join(h, cgroupPath), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// cleanCgroupPath returns p cleaned, or "" for a path that is not strictly
// below the root (so the root is never removed).
func cleanCgroupPath(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return ""
	}
	return p
}
