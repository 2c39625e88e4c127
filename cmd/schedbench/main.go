// Command schedbench measures schedulers end to end through the API: a fresh
// Skiff apiserver and scheduler it starts itself (--start-skiff), and any other
// clusters, already running a scheduler, given by kubeconfig (--kubeconfigs). For
// each size NODESxPODS it registers the nodes, creates the pending pods and
// reports pods bound per second, time to first bind and create→bound latency; for
// the Skiff scheduler also its memory. It prints a table and BENCH lines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"skiff/pkg/apibench"
	"skiff/pkg/client"
	"skiff/pkg/schedbench"
)

// Flag defaults.
const (
	defaultSizes = "100x2000,1000x10000,5000x10000"
	quickSizes   = "100x2000"
)

// options are the command's flags.
type options struct {
	startSkiff  string // directory holding the apiserver and scheduler binaries
	kubeconfigs string
	sizes       string
	quick       bool
	workers     int
	timeout     time.Duration
	deployment  string // NODESxREPLICAS for the Deployment benchmark, or ""

	deploymentSize *schedbench.Size // parsed from deployment

	parsed []schedbench.Size // from sizes (or quick), set by Validate
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.startSkiff, "start-skiff", "", "directory with Skiff's apiserver and scheduler binaries: start both fresh and measure them, scheduler memory included")
	fs.StringVar(&o.kubeconfigs, "kubeconfigs", "", "comma-separated kubeconfigs of other clusters, each already running a scheduler, to measure with the same load")
	fs.StringVar(&o.sizes, "configs", defaultSizes, "comma-separated sizes NODESxPODS to measure")
	fs.BoolVar(&o.quick, "quick", false, "measure only "+quickSizes+" (instead of --configs)")
	fs.IntVar(&o.workers, "workers", schedbench.DefaultWorkers, "concurrent creates of nodes and of pods")
	fs.StringVar(&o.deployment, "deployment", "", "also scale a Deployment from 0 to REPLICAS on NODES simulated nodes (NODESxREPLICAS, e.g. 100x1000), with the controller-manager running")
	fs.DurationVar(&o.timeout, "timeout", schedbench.DefaultTimeout, "limit for each size, after which a scheduler that has not bound every pod fails the run")
}

// Validate checks the flags and parses the sizes; configsSet says whether
// --configs was given explicitly.
func (o *options) Validate(configsSet bool) error {
	if o.startSkiff == "" && strings.TrimSpace(o.kubeconfigs) == "" {
		return errors.New("nothing to measure: give --start-skiff DIR and/or --kubeconfigs FILES")
	}
	if o.quick && configsSet {
		return errors.New("give --quick or --configs, not both")
	}
	if o.workers < 1 {
		return fmt.Errorf("--workers must be at least 1, not %d", o.workers)
	}
	if o.timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, not %s", o.timeout)
	}
	sizes := o.sizes
	if o.quick {
		sizes = quickSizes
	}
	var err error
	if o.parsed, err = schedbench.ParseSizes(sizes); err != nil {
		return err
	}
	if o.deployment != "" {
		d, err := schedbench.ParseSizes(o.deployment)
		if err != nil || len(d) != 1 {
			return fmt.Errorf("--deployment %q: want one NODESxREPLICAS, like 100x1000", o.deployment)
		}
		o.deploymentSize = &d[0]
	}
	return nil
}

func main() {
	var o options
	o.register(flag.CommandLine)
	flag.Parse()
	if err := o.Validate(configsSet(flag.CommandLine)); err != nil {
		fmt.Fprintln(os.Stderr, "schedbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, &o); err != nil {
		fmt.Fprintln(os.Stderr, "schedbench:", err)
		os.Exit(1)
	}
}

// configsSet says whether --configs was given on the command line.
func configsSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "configs" })
	return set
}

func run(ctx context.Context, o *options) error {
	var results []*apibench.Result
	if o.startSkiff != "" {
		res, err := measureSkiff(ctx, o)
		if err != nil {
			return fmt.Errorf("skiff: %w", err)
		}
		results = append(results, res)
	}
	for _, kc := range strings.Split(o.kubeconfigs, ",") {
		if kc = strings.TrimSpace(kc); kc == "" {
			continue
		}
		c, err := client.NewFromKubeconfig(kc)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(kc), filepath.Ext(kc))
		res := &apibench.Result{Target: name}
		for _, size := range o.parsed {
			fmt.Fprintf(os.Stderr, "measuring %s at %s...\n", name, size)
			r, err := schedbench.Run(ctx, c, name, o.config(size))
			if err != nil {
				return fmt.Errorf("%s at %s: %w", kc, size, err)
			}
			res.Figures = append(res.Figures, r.Figures...)
		}
		if d := o.deploymentSize; d != nil {
			fmt.Fprintf(os.Stderr, "measuring %s's deployment at %s...\n", name, d)
			r, err := schedbench.RunDeployment(ctx, c, name, schedbench.DeploymentConfig{Nodes: d.Nodes, Replicas: d.Pods, Timeout: o.timeout})
			if err != nil {
				return fmt.Errorf("%s deployment: %w", kc, err)
			}
			res.Figures = append(res.Figures, r.Figures...)
		}
		results = append(results, res)
	}
	apibench.Print(os.Stdout, results)
	return nil
}

func (o *options) config(size schedbench.Size) schedbench.Config {
	return schedbench.Config{Size: size, Workers: o.workers, Timeout: o.timeout}
}

// measureSkiff starts a fresh apiserver and scheduler from o.startSkiff,
// measures every size, reads the scheduler's memory after each while the
// cluster still holds all its nodes and pods, and stops both.
func measureSkiff(ctx context.Context, o *options) (*apibench.Result, error) {
	p, err := apibench.StartSkiff(filepath.Join(o.startSkiff, "apiserver"))
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	sched, err := schedbench.StartProcess(os.Stderr, filepath.Join(o.startSkiff, "scheduler"),
		"--kubeconfig", p.Kubeconfig, "--leader-elect=false", "--log-level", "warn", "--port", "0")
	if err != nil {
		return nil, fmt.Errorf("start scheduler: %w", err)
	}
	defer sched.Stop()
	// A scheduler that dies fails the run now rather than at the timeout.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-sched.Done():
			cancel(sched.Err())
		case <-ctx.Done():
		}
	}()
	c, err := client.NewFromKubeconfig(p.Kubeconfig)
	if err != nil {
		return nil, err
	}
	res := &apibench.Result{Target: "skiff"}
	peak := 0.0 // VmHWM, and VmRSS read before it: the kernel syncs both lazily
	for _, size := range o.parsed {
		fmt.Fprintf(os.Stderr, "measuring skiff at %s...\n", size)
		cfg := o.config(size)
		cfg.Loaded = func() []apibench.Figure {
			mib, err := sched.RSS()
			if err != nil {
				fmt.Fprintln(os.Stderr, "schedbench: scheduler memory:", err)
				return nil
			}
			peak = max(peak, mib)
			return []apibench.Figure{schedbench.SchedulerRSSFigure(size, mib)}
		}
		r, err := schedbench.Run(ctx, c, "skiff", cfg)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				err = fmt.Errorf("%w (%v)", err, cause)
			}
			return nil, fmt.Errorf("at %s: %w", size, err)
		}
		res.Figures = append(res.Figures, r.Figures...)
	}
	if hwm, err := sched.PeakRSS(); err == nil {
		res.Figures = append(res.Figures, apibench.Figure{Name: "scheduler_rss_peak", Value: max(peak, hwm), Unit: "MiB"})
	}
	if d := o.deploymentSize; d != nil {
		cm, err := schedbench.StartProcess(os.Stderr, filepath.Join(o.startSkiff, "controller-manager"),
			"--kubeconfig", p.Kubeconfig, "--leader-elect=false", "--log-level", "warn", "--port", "0")
		if err != nil {
			return nil, fmt.Errorf("start controller-manager: %w", err)
		}
		defer cm.Stop()
		fmt.Fprintf(os.Stderr, "measuring skiff's deployment at %s...\n", d)
		r, err := schedbench.RunDeployment(ctx, c, "skiff", schedbench.DeploymentConfig{Nodes: d.Nodes, Replicas: d.Pods, Timeout: o.timeout,
			Loaded: func() []apibench.Figure {
				mib, err := cm.RSS()
				if err != nil {
					return nil
				}
				return []apibench.Figure{{Name: "controller_manager_rss_after_" + d.Name(), Value: mib, Unit: "MiB"}}
			}})
		if err != nil {
			return nil, fmt.Errorf("deployment at %s: %w", d, err)
		}
		res.Figures = append(res.Figures, r.Figures...)
	}
	return res, nil
}
