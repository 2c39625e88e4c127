package containerd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"

	"golang.org/x/sys/unix"

	"skiff/pkg/agent/runtime"
)

// CreateSandbox implements runtime.SandboxService: the pod's network namespace
// is bind-mounted at <root-dir>/netns/<pod UID>, so it outlives the agent and a
// restarted agent finds it by the pod's UID.
func (r *Runtime) CreateSandbox(ctx context.Context, cfg runtime.SandboxConfig) (runtime.Sandbox, error) {
	if err := validatePodUID(cfg.PodUID); err != nil {
		return runtime.Sandbox{}, err
	}
	sb := runtime.Sandbox{ID: cfg.PodUID, NetNSPath: filepath.Join(r.netnsDir, cfg.PodUID)}
	unlock, err := r.locks.Lock(ctx, "sandbox:"+sb.ID)
	if err != nil {
		return runtime.Sandbox{}, err
	}
	defer unlock()
	if isNetNS(sb.NetNSPath) {
		return sb, nil
	}
	if err := os.MkdirAll(r.netnsDir, 0o755); err != nil {
		return runtime.Sandbox{}, fmt.Errorf("sandbox %s: %w", sb.ID, err)
	}
	// A file left by an interrupted create or remove is replaced.
	if err := os.Remove(sb.NetNSPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return runtime.Sandbox{}, fmt.Errorf("sandbox %s: %w", sb.ID, err)
	}
	if err := newNetNS(sb.NetNSPath); err != nil {
		return runtime.Sandbox{}, fmt.Errorf("sandbox %s: creating network namespace: %w", sb.ID, err)
	}
	r.log.Debug("created sandbox", "pod", cfg.PodNamespace+"/"+cfg.PodName, "uid", cfg.PodUID, "netns", sb.NetNSPath)
	return sb, nil
}

// RemoveSandbox implements runtime.SandboxService.
func (r *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	if err := validatePodUID(id); err != nil {
		return err
	}
	unlock, err := r.locks.Lock(ctx, "sandbox:"+id)
	if err != nil {
		return err
	}
	defer unlock()
	if err := removeNetNS(filepath.Join(r.netnsDir, id)); err != nil {
		return fmt.Errorf("sandbox %s: %w", id, err)
	}
	if err := r.cgroups.remove(r.podCgroup(id)); err != nil {
		return fmt.Errorf("sandbox %s: removing pod cgroup (containers left?): %w", id, err)
	}
	return nil
}

// ListSandboxes implements runtime.SandboxService.
func (r *Runtime) ListSandboxes(ctx context.Context) ([]runtime.Sandbox, error) {
	entries, err := os.ReadDir(r.netnsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	var out []runtime.Sandbox
	for _, e := range entries {
		if validatePodUID(e.Name()) != nil {
			continue
		}
		out = append(out, runtime.Sandbox{ID: e.Name(), NetNSPath: filepath.Join(r.netnsDir, e.Name())})
	}
	return out, nil
}

// newNetNS creates a network namespace with its loopback up and bind-mounts it
// at path, which must not exist.
func newNetNS(path string) (err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		// This thread enters the new namespace and is never unlocked, so Go ends
		// the thread with the goroutine and no other goroutine runs in it.
		goruntime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		if err := setLinkUp("lo"); err != nil {
			errc <- fmt.Errorf("loopback up: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount: %w", err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// setLinkUp sets IFF_UP on an interface of the calling thread's network namespace.
func setLinkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// removeNetNS unmounts and removes a network namespace created by newNetNS.
// A missing one is not an error.
func removeNetNS(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// isNetNS reports whether path is a mounted network namespace.
func isNetNS(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}
