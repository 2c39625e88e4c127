// Command controller-manager runs Skiff's controllers: ReplicaSets,
// Deployments, node lifecycle, pod CIDRs, garbage collection, namespaces, and
// node joining (bootstrap signer, token cleaner, CSR approving and signing).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"skiff/pkg/controller"
	"skiff/pkg/controller/bootstrapsigner"
	"skiff/pkg/controller/csrapproving"
	"skiff/pkg/controller/csrsigning"
	"skiff/pkg/controller/deployment"
	"skiff/pkg/controller/garbagecollector"
	"skiff/pkg/controller/namespace"
	"skiff/pkg/controller/nodeipam"
	"skiff/pkg/controller/nodelifecycle"
	"skiff/pkg/controller/replicaset"
	"skiff/pkg/controller/tokencleaner"
)

func main() {
	var o controller.Options
	var logLevel slog.Level
	var lifecycle nodelifecycle.Options
	var ipam nodeipam.Options
	var signing csrsigning.Options
	fs := flag.NewFlagSet("controller-manager", flag.ExitOnError)
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig of the apiserver (required)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", true, "run controllers only while holding the kube-system/kube-controller-manager Lease")
	controllers := fs.String("controllers", "*", "controllers to run: * for all, -name to leave one out, e.g. *,-nodeipam; known: "+strings.Join(order, ","))
	fs.StringVar(&o.BindAddress, "bind-address", controller.DefaultBindAddress, "address for /healthz and /metrics")
	fs.IntVar(&o.Port, "port", controller.DefaultPort, "port for /healthz and /metrics (0: off)")
	fs.DurationVar(&lifecycle.MonitorGracePeriod, "node-monitor-grace-period", nodelifecycle.DefaultMonitorGracePeriod, "how long a node may go without a heartbeat before it is marked Unknown and tainted unreachable")
	fs.DurationVar(&lifecycle.MonitorPeriod, "node-monitor-period", nodelifecycle.DefaultMonitorPeriod, "how often node heartbeats are checked")
	fs.StringVar(&ipam.ClusterCIDR, "cluster-cidr", nodeipam.DefaultClusterCIDR, "range pod CIDRs are cut from (IPv4)")
	fs.IntVar(&ipam.NodeCIDRMaskSize, "node-cidr-mask-size", nodeipam.DefaultNodeCIDRMaskSize, "prefix length of each node's pod CIDR")
	fs.StringVar(&signing.CertFile, "cluster-signing-cert-file", "", "CA certificate that signs approved CSRs (default: ca.crt next to --kubeconfig, where the apiserver writes it)")
	fs.StringVar(&signing.KeyFile, "cluster-signing-key-file", "", "its key (default: ca.key next to --kubeconfig)")
	fs.DurationVar(&signing.Duration, "cluster-signing-duration", csrsigning.DefaultDuration, "validity of signed certificates (at most the CA's)")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.Parse(os.Args[1:])
	for _, c := range strings.Split(*controllers, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.Controllers = append(o.Controllers, c)
		}
	}

	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})).With("component", "controller-manager")
	registry := map[string]controller.Builder{
		replicaset.Name: func(c *controller.Context) (controller.Controller, error) { return replicaset.New(c), nil },
		deployment.Name: func(c *controller.Context) (controller.Controller, error) { return deployment.New(c), nil },
		nodelifecycle.Name: func(c *controller.Context) (controller.Controller, error) {
			return nodelifecycle.New(c, lifecycle), nil
		},
		nodeipam.Name: func(c *controller.Context) (controller.Controller, error) { return nodeipam.New(c, ipam) },
		garbagecollector.Name: func(c *controller.Context) (controller.Controller, error) {
			return garbagecollector.New(c)
		},
		namespace.Name:       func(c *controller.Context) (controller.Controller, error) { return namespace.New(c) },
		bootstrapsigner.Name: func(c *controller.Context) (controller.Controller, error) { return bootstrapsigner.New(c), nil },
		tokencleaner.Name:    func(c *controller.Context) (controller.Controller, error) { return tokencleaner.New(c), nil },
		csrapproving.Name:    func(c *controller.Context) (controller.Controller, error) { return csrapproving.New(c), nil },
		csrsigning.Name: func(c *controller.Context) (controller.Controller, error) {
			return csrsigning.New(c, signing.WithDefaults(o.Kubeconfig))
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	o.Logger.Info("starting", "controllers", o.Controllers)
	if err := controller.RunManager(ctx, o, registry, order); err != nil {
		fmt.Fprintln(os.Stderr, "controller-manager:", err, "after", time.Since(start).Round(time.Second))
		os.Exit(1)
	}
}

// order is the order controllers start in.
var order = []string{replicaset.Name, deployment.Name, nodelifecycle.Name, nodeipam.Name, garbagecollector.Name, namespace.Name,
	bootstrapsigner.Name, tokencleaner.Name, csrapproving.Name, csrsigning.Name}
