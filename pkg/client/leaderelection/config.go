package leaderelection

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"skiff/pkg/client"
)

// Defaults for the durations a Config leaves zero; they are client-go's.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// Config says which Lease to compete for, as whom, and how fast.
type Config struct {
	// Client talks to the apiserver. It needs get, create and update on the Lease.
	Client *client.Client
	// Namespace and Name identify the Lease, e.g. kube-system/skiff-scheduler.
	Namespace, Name string
	// Identity names this candidate in spec.holderIdentity. It must be unique per
	// process (e.g. hostname_random): two processes with one identity would both lead.
	Identity string

	// LeaseDuration is how long other candidates wait, after they last saw the Lease
	// change, before taking it over. It is written to spec.leaseDurationSeconds,
	// rounded up to whole seconds.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps trying to renew before it gives up
	// leadership. It must be shorter than LeaseDuration; the difference is how long
	// lead has to return once its context is cancelled.
	RenewDeadline time.Duration
	// RetryPeriod is the pause between attempts to acquire or renew.
	RetryPeriod time.Duration

	// Logger receives the elector's logs; nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = DefaultRenewDeadline
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = DefaultRetryPeriod
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

// validate checks a Config that has its defaults applied.
func (cfg Config) validate() error {
	switch {
	case cfg.Client == nil:
		return errors.New("leaderelection: Client is required")
	case cfg.Namespace == "" || cfg.Name == "":
		return errors.New("leaderelection: Lease Namespace and Name are required")
	case cfg.Identity == "":
		return errors.New("leaderelection: Identity is required")
	case cfg.RetryPeriod <= 0:
		return fmt.Errorf("leaderelection: RetryPeriod %v must be positive", cfg.RetryPeriod)
	case cfg.RenewDeadline <= cfg.RetryPeriod:
		return fmt.Errorf("leaderelection: RenewDeadline %v must be longer than RetryPeriod %v", cfg.RenewDeadline, cfg.RetryPeriod)
	case cfg.LeaseDuration <= cfg.RenewDeadline:
		return fmt.Errorf("leaderelection: LeaseDuration %v must be longer than RenewDeadline %v", cfg.LeaseDuration, cfg.RenewDeadline)
	}
	return nil
}
