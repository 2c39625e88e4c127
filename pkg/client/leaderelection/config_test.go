package leaderelection

import (
	"testing"
	"time"

	"skiff/pkg/client"
)

func TestConfig(t *testing.T) {
	c, err := client.New(&client.Config{Server: "https://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	valid := func(change func(*Config)) Config {
		cfg := Config{Client: c, Namespace: "kube-system", Name: "skiff-scheduler", Identity: "host_1"}
		change(&cfg)
		return cfg
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"defaults", valid(func(*Config) {}), false},
		{"short durations", valid(func(c *Config) {
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = time.Second, 700*time.Millisecond, 100*time.Millisecond
		}), false},
		{"no client", valid(func(c *Config) { c.Client = nil }), true},
		{"no namespace", valid(func(c *Config) { c.Namespace = "" }), true},
		{"no name", valid(func(c *Config) { c.Name = "" }), true},
		{"no identity", valid(func(c *Config) { c.Identity = "" }), true},
		{"negative retry period", valid(func(c *Config) { c.RetryPeriod = -time.Second }), true},
		{"renew deadline not above retry period", valid(func(c *Config) { c.RetryPeriod = DefaultRenewDeadline }), true},
		{"lease duration not above renew deadline", valid(func(c *Config) { c.RenewDeadline = DefaultLeaseDuration }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New: err = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	if got.LeaseDuration != 15*time.Second || got.RenewDeadline != 10*time.Second || got.RetryPeriod != 2*time.Second || got.Logger == nil {
		t.Fatalf("defaults: got %+v", got)
	}
}

func TestDurationSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int32{time.Second: 1, 1500 * time.Millisecond: 2, 15 * time.Second: 15, 300 * time.Millisecond: 1} {
		e := &Elector{cfg: Config{LeaseDuration: d}}
		if got := e.durationSeconds(); got != want {
			t.Errorf("durationSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
