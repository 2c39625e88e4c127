package containerd

import (
	"context"
	"errors"
	"testing"

	"github.com/containerd/containerd/containers"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/oci"
	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"skiff/pkg/agent/runtime"
)

// generateSpec applies specOpts to containerd's default spec, as NewContainer
// does, without containerd.
func generateSpec(t *testing.T, cfg runtime.ContainerConfig, img ocispec.ImageConfig, swap bool) *oci.Spec {
	t.Helper()
	opts, err := specOpts(cfg, img, "/skiff/podu/c1", swap)
	if err != nil {
		t.Fatal(err)
	}
	ctx := namespaces.WithNamespace(context.Background(), "test")
	s, err := oci.GenerateSpec(ctx, nil, &containers.Container{ID: "c1"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpecProcess(t *testing.T) {
	img := ocispec.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin", "MODE=prod"}, WorkingDir: "/app"}
	cfg := runtime.ContainerConfig{
		PodUID: "u", Name: "c", Image: "x", Args: []string{"debug"}, Hostname: "web-0",
		Env: []runtime.EnvVar{{Name: "MODE", Value: "dev"}},
	}
	s := generateSpec(t, cfg, img, false)
	if diff := cmp.Diff([]string{"/entry", "debug"}, s.Process.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PATH=/bin", "MODE=dev", "HOSTNAME=web-0"}, s.Process.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if s.Process.Cwd != "/app" || s.Hostname != "web-0" || s.Linux.CgroupsPath != "/skiff/podu/c1" {
		t.Errorf("cwd %q, hostname %q, cgroups path %q", s.Process.Cwd, s.Hostname, s.Linux.CgroupsPath)
	}

	cfg.WorkingDir = "/tmp"
	if s := generateSpec(t, cfg, ocispec.ImageConfig{Cmd: []string{"sh"}}, false); s.Process.Cwd != "/tmp" {
		t.Errorf("cwd = %q, want the container's /tmp", s.Process.Cwd)
	}
	cfg.WorkingDir = ""
	if s := generateSpec(t, cfg, ocispec.ImageConfig{Cmd: []string{"sh"}}, false); s.Process.Cwd != "/" {
		t.Errorf("cwd = %q, want /", s.Process.Cwd)
	}
}

func TestSpecNoCommand(t *testing.T) {
	_, err := specOpts(runtime.ContainerConfig{PodUID: "u", Name: "c", Image: "x"}, ocispec.ImageConfig{}, "/p", false)
	if !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("err = %v, want ErrInvalidConfig", err)
	}
}

func TestSpecNamespaceResourcesMounts(t *testing.T) {
	cfg := runtime.ContainerConfig{
		PodUID: "u", Name: "c", Image: "x", Command: []string{"sleep", "1"},
		NetNSPath: "/var/lib/skiff/agent/netns/u",
		Resources: runtime.ResourcesFor(250, 500, 64<<20),
		Mounts: []runtime.Mount{
			{HostPath: "/srv/config", ContainerPath: "/etc/app", ReadOnly: true},
			{HostPath: "/srv/data", ContainerPath: "/data"},
		},
	}
	s := generateSpec(t, cfg, ocispec.ImageConfig{}, true)

	var netns *specs.LinuxNamespace
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			if netns != nil {
				t.Errorf("two network namespaces")
			}
			netns = &s.Linux.Namespaces[i]
		}
	}
	if netns == nil || netns.Path != cfg.NetNSPath {
		t.Errorf("network namespace = %+v, want path %s", netns, cfg.NetNSPath)
	}

	res := s.Linux.Resources
	if res.CPU == nil || *res.CPU.Shares != 256 || *res.CPU.Quota != 50000 || *res.CPU.Period != 100000 {
		t.Errorf("cpu = %+v", res.CPU)
	}
	if res.Memory == nil || *res.Memory.Limit != 64<<20 || res.Memory.Swap == nil || *res.Memory.Swap != 64<<20 {
		t.Errorf("memory = %+v, want limit = swap = 64Mi", res.Memory)
	}

	var got []specs.Mount
	for _, m := range s.Mounts {
		if m.Type == "bind" {
			got = append(got, m)
		}
	}
	want := []specs.Mount{
		{Destination: "/etc/app", Type: "bind", Source: "/srv/config", Options: []string{"rbind", "rprivate", "ro"}},
		{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "rprivate", "rw"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bind mounts (-want +got):\n%s", diff)
	}

	// Without limits and without swap control, nothing is set.
	cfg.Resources = runtime.Resources{}
	s = generateSpec(t, cfg, ocispec.ImageConfig{}, false)
	if r := s.Linux.Resources; r != nil && (r.Memory != nil && r.Memory.Limit != nil || r.CPU != nil && (r.CPU.Shares != nil || r.CPU.Quota != nil)) {
		t.Errorf("resources = %+v %+v, want none", r.CPU, r.Memory)
	}
}

func TestValidateContainerConfig(t *testing.T) {
	ok := runtime.ContainerConfig{PodUID: "u", Name: "c", Image: "busybox", LogPath: "/var/log/x.log"}
	if err := validateContainerConfig(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, mod := range map[string]func(*runtime.ContainerConfig){
		"no pod UID":         func(c *runtime.ContainerConfig) { c.PodUID = "" },
		"pod UID with slash": func(c *runtime.ContainerConfig) { c.PodUID = "a/b" },
		"no name":            func(c *runtime.ContainerConfig) { c.Name = "" },
		"no image":           func(c *runtime.ContainerConfig) { c.Image = "" },
		"relative log path":  func(c *runtime.ContainerConfig) { c.LogPath = "x.log" },
		"relative netns":     func(c *runtime.ContainerConfig) { c.NetNSPath = "netns/u" },
		"relative mount":     func(c *runtime.ContainerConfig) { c.Mounts = []runtime.Mount{{HostPath: "data", ContainerPath: "/d"}} },
		"quota no period":    func(c *runtime.ContainerConfig) { c.Resources.CPUQuota = 1000 },
		"negative memory":    func(c *runtime.ContainerConfig) { c.Resources.MemoryLimit = -1 },
	} {
		cfg := ok
		mod(&cfg)
		if err := validateContainerConfig(cfg); !errors.Is(err, runtime.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
		}
	}
}
