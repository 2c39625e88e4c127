package main

import (
	"context"
	"flag"
	"io"
	"os/signal"
	"syscall"

	"skiff/pkg/doctor"
)

// doctorCmd checks this machine for a Skiff server or node role and says what
// to fix; it fails (exit 1) when a check fails.
func doctorCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	var o doctor.Options
	fs.Func("role", "what this machine is for: server, node or all (default all)", func(s string) error {
		o.Role = doctor.Role(s)
		return nil
	})
	fs.StringVar(&o.ContainerdAddress, "containerd-address", doctor.DefaultContainerdAddress, "containerd's socket")
	fs.StringVar(&o.CNIBinDir, "cni-bin-dir", doctor.DefaultCNIBinDir, "directory of the CNI plugins")
	fs.StringVar(&o.Server, "server", "", "the apiserver to compare clocks with, https://HOST:6443 (default: --server in "+doctor.DefaultNodeAgentEnvFile+", if any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	results, err := doctor.Run(ctx, o, doctor.Real())
	if err != nil {
		return err
	}
	return doctor.Print(out, results)
}
