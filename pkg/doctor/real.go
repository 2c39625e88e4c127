package doctor

import (
	"context"
	"os"
	"os/exec"
	"time"

	containerd "github.com/containerd/containerd"
)

// Real is this machine.
func Real() Host {
	return Host{
		Root:              "/",
		Euid:              os.Geteuid,
		LookPath:          exec.LookPath,
		ContainerdVersion: ContainerdVersion,
		ServerClock:       ServerClock,
	}
}

// ContainerdVersion is the real Host.ContainerdVersion: it connects to the
// socket and asks the version service, all within ctx. It creates nothing in
// containerd.
func ContainerdVersion(ctx context.Context, address string) (string, error) {
	deadline, ok := ctx.Deadline()
	opts := []containerd.ClientOpt{}
	if ok {
		opts = append(opts, containerd.WithTimeout(max(0, time.Until(deadline))))
	}
	c, err := containerd.New(address, opts...)
	if err != nil {
		return "", err
	}
	defer c.Close()
	v, err := c.Version(ctx)
	if err != nil {
		return "", err
	}
	return v.Version, nil
}
