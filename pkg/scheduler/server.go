package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"skiff/pkg/client"
	"skiff/pkg/client/leaderelection"
	"skiff/pkg/component"
)

// Defaults of the scheduler's options.
const (
	DefaultBindAddress = "127.0.0.1"
	DefaultPort        = 10251
	LeaseNamespace     = "kube-system"
	LeaseName          = "kube-scheduler"
)

// Options configure a scheduler process; cmd/scheduler fills them from flags.
type Options struct {
	// Kubeconfig is how to reach the apiserver.
	Kubeconfig string
	// ConfigFile is a KubeSchedulerConfiguration (empty: the default profile).
	ConfigFile string
	// LeaderElect makes this scheduler schedule only while it holds the
	// kube-system/kube-scheduler Lease, so several may run for availability.
	LeaderElect bool
	// BindAddress and Port serve /healthz and /metrics over HTTP; Port 0 turns
	// that off.
	BindAddress string
	Port        int
	Logger      *slog.Logger
}

// Validate reports options that cannot work, saying what to fix.
func (o *Options) Validate() error {
	var errs []error
	if o.Kubeconfig == "" {
		errs = append(errs, errors.New("--kubeconfig is required: the scheduler reaches the apiserver with it"))
	}
	if net.ParseIP(o.BindAddress) == nil {
		errs = append(errs, fmt.Errorf("--bind-address %q is not an IP address", o.BindAddress))
	}
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d is not between 0 and 65535", o.Port))
	}
	return errors.Join(errs...)
}

// RunServer runs a scheduler process until ctx ends: health and metrics
// endpoints, leader election if asked, and the scheduler itself. Losing the
// lease returns leaderelection.ErrLeaseLost, and the process should exit, as
// kube-scheduler does.
func RunServer(ctx context.Context, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	log := o.Logger
	c, err := client.NewFromKubeconfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(o.ConfigFile)
	if err != nil {
		return err
	}
	profiles, err := cfg.BuildProfiles(NewHandle(c))
	if err != nil {
		return err
	}
	for _, p := range profiles {
		log.Info("scheduler profile", "name", p.Name, "plugins", p.PluginNames())
	}
	metrics := NewMetrics()
	if o.Port != 0 {
		srv, err := component.ServeHealth(o.BindAddress, o.Port, metrics.Handler(), log)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	run := func(ctx context.Context) error {
		s, err := New(c, profiles, log, metrics)
		if err != nil {
			return err
		}
		return s.Run(ctx)
	}
	if !o.LeaderElect {
		return run(ctx)
	}
	id := component.Identity()
	var runErr error
	err = leaderelection.Run(ctx, leaderelection.Config{
		Client: c, Namespace: LeaseNamespace, Name: LeaseName, Identity: id, Logger: log,
	}, func(ctx context.Context) {
		log.Info("became the leader: scheduling", "identity", id)
		runErr = run(ctx)
	})
	return errors.Join(err, runErr)
}
