package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/leaderelection"
	"skiff/pkg/client/record"
	"skiff/pkg/component"
)

// Defaults of the controller-manager's options.
const (
	DefaultBindAddress = "127.0.0.1"
	DefaultPort        = 10257
	LeaseNamespace     = "kube-system"
	LeaseName          = "kube-controller-manager"
)

// Options configure a controller-manager process; cmd/controller-manager fills
// them from flags.
type Options struct {
	Kubeconfig string
	// LeaderElect runs the controllers only while this process holds the
	// kube-system/kube-controller-manager Lease.
	LeaderElect bool
	// Controllers names the controllers to run ("*" for all, "-name" to leave
	// one out), as kube-controller-manager's --controllers.
	Controllers []string
	// BindAddress and Port serve /healthz and /metrics; Port 0 turns that off.
	BindAddress string
	Port        int
	Logger      *slog.Logger
}

// Builder builds one controller; the registry maps names to builders.
type Builder func(c *Context) (Controller, error)

// Validate reports options that cannot work, saying what to fix.
func (o *Options) Validate(known []string) error {
	var errs []error
	if o.Kubeconfig == "" {
		errs = append(errs, errors.New("--kubeconfig is required: the controller-manager reaches the apiserver with it"))
	}
	if net.ParseIP(o.BindAddress) == nil {
		errs = append(errs, fmt.Errorf("--bind-address %q is not an IP address", o.BindAddress))
	}
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d is not between 0 and 65535", o.Port))
	}
	for _, name := range o.Controllers {
		if n := trimMinus(name); n != "*" && !slices.Contains(known, n) {
			errs = append(errs, fmt.Errorf("--controllers: unknown controller %q (known: %v)", name, known))
		}
	}
	return errors.Join(errs...)
}

func trimMinus(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

// Enabled reports whether --controllers selects name: named, or "*" and not "-name".
func (o *Options) Enabled(name string) bool {
	if len(o.Controllers) == 0 {
		return true
	}
	if slices.Contains(o.Controllers, "-"+name) {
		return false
	}
	return slices.Contains(o.Controllers, name) || slices.Contains(o.Controllers, "*")
}

// RunManager runs the selected controllers until ctx ends (or the lease is lost).
func RunManager(ctx context.Context, o Options, registry map[string]Builder, order []string) error {
	if err := o.Validate(order); err != nil {
		return err
	}
	log := o.Logger
	c, err := client.NewFromKubeconfig(o.Kubeconfig)
	if err != nil {
		return err
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
		cc := &Context{Client: c, Informers: NewInformers(c, log), Events: record.New(c, api.EventSource{Component: "controller-manager"}, log), Metrics: metrics, Log: log}
		var ctrls []Controller
		for _, name := range order {
			if !o.Enabled(name) {
				continue
			}
			ctl, err := registry[name](cc)
			if err != nil {
				return fmt.Errorf("controller %s: %w", name, err)
			}
			ctrls = append(ctrls, ctl)
		}
		go cc.Events.Run(ctx)
		if !cc.Informers.Start(ctx) {
			return nil
		}
		names := make([]string, len(ctrls))
		for i, ctl := range ctrls {
			names[i] = ctl.Name()
		}
		log.Info("controllers running", "controllers", names)
		var wg sync.WaitGroup
		errs := make([]error, len(ctrls))
		for i, ctl := range ctrls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ctl.Run(ctx); err != nil && ctx.Err() == nil {
					errs[i] = fmt.Errorf("%s: %w", ctl.Name(), err)
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if !o.LeaderElect {
		return run(ctx)
	}
	id := component.Identity()
	var runErr error
	err = leaderelection.Run(ctx, leaderelection.Config{Client: c, Namespace: LeaseNamespace, Name: LeaseName, Identity: id, Logger: log},
		func(ctx context.Context) {
			log.Info("became the leader: running controllers", "identity", id)
			runErr = run(ctx)
		})
	return errors.Join(err, runErr)
}
