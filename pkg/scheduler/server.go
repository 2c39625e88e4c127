package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"time"

	"skiff/pkg/client"
	"skiff/pkg/client/leaderelection"
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
		srv, err := serveHealth(o.BindAddress, o.Port, metrics, log)
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
	host, _ := os.Hostname()
	id := host + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var runErr error
	err = leaderelection.Run(ctx, leaderelection.Config{
		Client: c, Namespace: LeaseNamespace, Name: LeaseName, Identity: id, Logger: log,
	}, func(ctx context.Context) {
		log.Info("became the leader: scheduling", "identity", id)
		runErr = run(ctx)
	})
	return errors.Join(err, runErr)
}

func serveHealth(addr string, port int, m *Metrics, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("serve /healthz and /metrics: %w (choose another --port, or 0 to turn them off)", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("/metrics", m.Handler())
	// Profiling, as kube-scheduler's --profiling: go tool pprof http://127.0.0.1:10251/debug/pprof/profile
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server", "err", err)
		}
	}()
	log.Info("serving /healthz and /metrics", "address", ln.Addr().String())
	return srv, nil
}
