// Command podbench measures pod start-up on one Skiff node: it starts an
// apiserver, scheduler and node agent in a network namespace of its own
// (root and a running containerd are needed), creates --pods pods at once
// with their image present, and reports the p50 and p99 of create → Running
// (from the start of each create call to the watch event that shows the pod
// Running), the time until all run and the agent's memory, as a table and
// BENCH lines. Everything it made is removed afterwards, also on failure or
// Ctrl-C.
//
//	podbench --bin bin [--pods 50] [--image-script hack/images/busybox.sh | --image-archive FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"skiff/pkg/apibench"
	"skiff/pkg/podbench"
)

func register(fs *flag.FlagSet, cfg *podbench.Config) {
	fs.StringVar(&cfg.BinDir, "bin", "bin", "directory with Skiff's apiserver, scheduler, nodeagent and skiffctl")
	fs.StringVar(&cfg.ImageScript, "image-script", "hack/images/busybox.sh", "script that builds the busybox image archive")
	fs.StringVar(&cfg.ImageArchive, "image-archive", "", "an image archive already built (instead of --image-script)")
	fs.StringVar(&cfg.Image, "image", podbench.DefaultImage, "the reference the pods run, given to the imported image")
	fs.StringVar(&cfg.ContainerdAddress, "containerd-address", podbench.DefaultContainerdAddress, "containerd's socket")
	fs.IntVar(&cfg.Pods, "pods", podbench.DefaultPods, "pods created at once")
	fs.StringVar(&cfg.LogDir, "log-dir", "", "keep the components' logs here (the agent's at debug level)")
	fs.StringVar(&cfg.CPUProfile, "agent-cpu-profile", "", "write the agent's CPU profile of the pod starts to this file")
	fs.DurationVar(&cfg.Timeout, "timeout", podbench.DefaultTimeout, "limit for all pods to run")
}

func main() {
	cfg := podbench.Config{Logs: os.Stderr}
	register(flag.CommandLine, &cfg)
	skip := flag.Bool("skip-unavailable", false, "exit 0, saying why, where the benchmark cannot run (not root, no containerd)")
	flag.Parse()
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "podbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := podbench.Run(ctx, cfg)
	if errors.Is(err, podbench.ErrUnavailable) && *skip {
		fmt.Fprintln(os.Stderr, "podbench: skipped:", err)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "podbench:", err)
		os.Exit(1)
	}
	apibench.Print(os.Stdout, []*apibench.Result{res})
}
