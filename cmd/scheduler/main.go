// Command scheduler runs Skiff's scheduler: it binds pending pods to nodes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"skiff/pkg/scheduler"
)

func main() {
	var o scheduler.Options
	var logLevel slog.Level
	fs := flag.NewFlagSet("scheduler", flag.ExitOnError)
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig of the apiserver (required)")
	fs.StringVar(&o.ConfigFile, "config", "", "KubeSchedulerConfiguration file with profiles (empty: the default profile)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", true, "schedule only while holding the kube-system/kube-scheduler Lease")
	fs.StringVar(&o.BindAddress, "bind-address", scheduler.DefaultBindAddress, "address for /healthz and /metrics")
	fs.IntVar(&o.Port, "port", scheduler.DefaultPort, "port for /healthz and /metrics (0: off)")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.Parse(os.Args[1:])

	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})).With("component", "scheduler")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := scheduler.RunServer(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}
