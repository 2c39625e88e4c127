package nodelifecycle

import (
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v, want valid (defaults)", err)
	}
	if err := (Options{MonitorGracePeriod: -time.Second}).Validate(); err == nil {
		t.Error("negative grace period: valid, want an error")
	}
	o := Options{}.withDefaults()
	if o.MonitorGracePeriod != DefaultMonitorGracePeriod || o.MonitorPeriod != DefaultMonitorPeriod ||
		o.StartupGracePeriod != DefaultStartupGracePeriod || o.Now == nil {
		t.Errorf("defaults: %+v", o)
	}
}
