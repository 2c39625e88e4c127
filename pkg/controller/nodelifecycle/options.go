package nodelifecycle

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of Options, as kube-controller-manager's.
const (
	// DefaultMonitorGracePeriod is --node-monitor-grace-period.
	DefaultMonitorGracePeriod = 40 * time.Second
	// DefaultStartupGracePeriod is --node-startup-grace-period.
	DefaultStartupGracePeriod = 60 * time.Second
	// DefaultMonitorPeriod is --node-monitor-period.
	DefaultMonitorPeriod = 5 * time.Second
)

// Options configure the node lifecycle controller. Zero values take the defaults.
type Options struct {
	// MonitorGracePeriod is how long a node may go without a heartbeat (a new
	// Lease renewTime or a new Ready lastHeartbeatTime, as first seen by this
	// controller) before its conditions turn Unknown and it is tainted unreachable.
	MonitorGracePeriod time.Duration
	// StartupGracePeriod replaces MonitorGracePeriod for a node that has never
	// posted a Ready condition, so a node has time to come up.
	StartupGracePeriod time.Duration
	// MonitorPeriod is how often every node is checked.
	MonitorPeriod time.Duration
	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
}

// withDefaults fills in zero values, and negative ones (which Validate
// reports), so New never builds a controller that cannot run.
func (o Options) withDefaults() Options {
	if o.MonitorGracePeriod <= 0 {
		o.MonitorGracePeriod = DefaultMonitorGracePeriod
	}
	if o.StartupGracePeriod <= 0 {
		o.StartupGracePeriod = DefaultStartupGracePeriod
	}
	if o.MonitorPeriod <= 0 {
		o.MonitorPeriod = DefaultMonitorPeriod
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports options that cannot work. Zero values are valid (defaults).
func (o Options) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"node monitor grace period", o.MonitorGracePeriod},
		{"node startup grace period", o.StartupGracePeriod},
		{"node monitor period", o.MonitorPeriod},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("nodelifecycle: %s %v is negative (leave it 0 for the default)", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}
