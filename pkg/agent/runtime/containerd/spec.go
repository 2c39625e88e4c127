package containerd

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"regexp"

	"github.com/containerd/containerd/containers"
	"github.com/containerd/containerd/oci"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"skiff/pkg/agent/runtime"
)

// podUIDPattern is what a pod UID may look like: it names a file and a cgroup.
var podUIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func validatePodUID(uid string) error {
	if !podUIDPattern.MatchString(uid) {
		return fmt.Errorf("%w: pod UID %q must be 1-128 letters, digits, '.', '_' or '-'", runtime.ErrInvalidConfig, uid)
	}
	return nil
}

// validateContainerConfig checks what StartContainer cannot do without.
func validateContainerConfig(cfg runtime.ContainerConfig) error {
	if err := validatePodUID(cfg.PodUID); err != nil {
		return err
	}
	if cfg.Name == "" {
		return fmt.Errorf("%w: container name is empty", runtime.ErrInvalidConfig)
	}
	if cfg.Image == "" {
		return fmt.Errorf("%w: container %s: image is empty", runtime.ErrInvalidConfig, cfg.Name)
	}
	if cfg.LogPath != "" && !filepath.IsAbs(cfg.LogPath) {
		return fmt.Errorf("%w: container %s: log path %q is not absolute", runtime.ErrInvalidConfig, cfg.Name, cfg.LogPath)
	}
	if cfg.NetNSPath != "" && !filepath.IsAbs(cfg.NetNSPath) {
		return fmt.Errorf("%w: container %s: netns path %q is not absolute", runtime.ErrInvalidConfig, cfg.Name, cfg.NetNSPath)
	}
	for _, m := range cfg.Mounts {
		if !filepath.IsAbs(m.HostPath) || !path.IsAbs(m.ContainerPath) {
			return fmt.Errorf("%w: container %s: mount %s:%s: paths must be absolute", runtime.ErrInvalidConfig, cfg.Name, m.HostPath, m.ContainerPath)
		}
	}
	r := cfg.Resources
	if r.CPUQuota < 0 || r.MemoryLimit < 0 || (r.CPUQuota > 0 && r.CPUPeriod == 0) {
		return fmt.Errorf("%w: container %s: resources %+v", runtime.ErrInvalidConfig, cfg.Name, r)
	}
	return nil
}

// specOpts builds the OCI runtime spec of a container, on top of containerd's
// default spec: process from image config and cfg, hostname, the pod's network
// namespace, cgroup path and limits, bind mounts.
func specOpts(cfg runtime.ContainerConfig, image ocispec.ImageConfig, cgroupsPath string, swapLimit bool) ([]oci.SpecOpts, error) {
	args := runtime.ProcessArgs(image.Entrypoint, image.Cmd, cfg.Command, cfg.Args)
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: container %s: no command: the image has no entrypoint or cmd and none is given", runtime.ErrInvalidConfig, cfg.Name)
	}
	cwd := image.WorkingDir
	if cfg.WorkingDir != "" {
		cwd = cfg.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	env := runtime.ProcessEnv(image.Env, cfg.Hostname, cfg.Env)

	opts := []oci.SpecOpts{
		withProcess(args, env, cwd),
		oci.WithCgroup(cgroupsPath),
	}
	if image.User != "" {
		opts = append(opts, oci.WithUser(image.User))
	}
	if cfg.Hostname != "" {
		opts = append(opts, oci.WithHostname(cfg.Hostname))
	}
	if cfg.NetNSPath != "" {
		opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: cfg.NetNSPath}))
	}
	res := cfg.Resources
	if res.CPUShares > 0 {
		opts = append(opts, oci.WithCPUShares(res.CPUShares))
	}
	if res.CPUQuota > 0 {
		opts = append(opts, oci.WithCPUCFS(res.CPUQuota, res.CPUPeriod))
	}
	if res.MemoryLimit > 0 {
		opts = append(opts, oci.WithMemoryLimit(uint64(res.MemoryLimit)))
		if swapLimit {
			opts = append(opts, oci.WithMemorySwap(res.MemoryLimit))
		}
	}
	if len(cfg.Mounts) > 0 {
		mounts := make([]specs.Mount, 0, len(cfg.Mounts))
		for _, m := range cfg.Mounts {
			mode := "rw"
			if m.ReadOnly {
				mode = "ro"
			}
			mounts = append(mounts, specs.Mount{
				Destination: m.ContainerPath,
				Type:        "bind",
				Source:      m.HostPath,
				Options:     []string{"rbind", "rprivate", mode},
			})
		}
		opts = append(opts, oci.WithMounts(mounts))
	}
	return opts, nil
}

// withProcess sets argv, environment and working directory, replacing what the
// default spec has.
func withProcess(args, env []string, cwd string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Process == nil {
			s.Process = &specs.Process{}
		}
		s.Process.Args = args
		s.Process.Env = env
		s.Process.Cwd = cwd
		return nil
	}
}

// cgroupsPath is where a container's cgroup goes: <parent>/pod<UID>/<ID>.
func (r *Runtime) cgroupsPath(podUID, id string) string {
	return path.Join(r.podCgroup(podUID), id)
}

// podCgroup is the cgroup that holds a pod's containers.
func (r *Runtime) podCgroup(podUID string) string {
	return path.Join(r.cgroupParent, "pod"+podUID)
}
