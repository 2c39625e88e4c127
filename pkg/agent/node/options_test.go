package node

import (
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

func TestValidate(t *testing.T) {
	valid := func() Options {
		return Options{NodeName: "node-a", Client: &client.Client{}, Runtime: &fakeRuntime{}}
	}
	tests := []struct {
		name    string
		change  func(*Options)
		wantErr string
	}{
		{name: "minimal", change: func(*Options) {}},
		{name: "everything", change: func(o *Options) {
			o.MaxPods = 20
			o.SystemReserved = list("cpu", "500m", "memory", "1Gi", "ephemeral-storage", "1Gi")
			o.InternalIP = "2001:db8::1"
			o.DaemonPort = 10250
			o.LeaseRenewInterval = time.Second
		}},
		{name: "no name", change: func(o *Options) { o.NodeName = "" }, wantErr: "node name is required"},
		{name: "bad name", change: func(o *Options) { o.NodeName = "Node_A" }, wantErr: `node name "Node_A"`},
		{name: "no client", change: func(o *Options) { o.Client = nil }, wantErr: "client is required"},
		{name: "no runtime", change: func(o *Options) { o.Runtime = nil }, wantErr: "runtime is required"},
		{name: "negative max pods", change: func(o *Options) { o.MaxPods = -1 }, wantErr: "max pods -1"},
		{name: "reserving pods", change: func(o *Options) { o.SystemReserved = list("pods", "10") }, wantErr: `system-reserved "pods"`},
		{name: "negative reservation", change: func(o *Options) { o.SystemReserved = list("cpu", "-1") }, wantErr: "is negative"},
		{name: "bad IP", change: func(o *Options) { o.InternalIP = "10.0.0" }, wantErr: "not an IP address"},
		{name: "bad port", change: func(o *Options) { o.DaemonPort = 70000 }, wantErr: "daemon port"},
		{name: "negative interval", change: func(o *Options) { o.StatusUpdateInterval = -time.Second }, wantErr: "status update interval"},
		{name: "lease under a second", change: func(o *Options) { o.LeaseDuration = time.Millisecond }, wantErr: "under a second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid()
			tt.change(&o)
			err := o.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.MaxPods != 110 || o.LeaseDuration != 40*time.Second || o.LeaseRenewInterval != 10*time.Second ||
		o.StatusUpdateInterval != 10*time.Second || o.RootDir != DefaultRootDir || o.Now == nil || o.Logger == nil {
		t.Errorf("defaults: %+v", o)
	}
}

func TestNewWithGivenIP(t *testing.T) {
	m, err := New(Options{NodeName: "node-a", Client: &client.Client{}, Runtime: &fakeRuntime{}, InternalIP: "192.0.2.9", Hostname: "host-a"})
	if err != nil {
		t.Fatal(err)
	}
	if m.NodeIP() != "192.0.2.9" {
		t.Errorf("NodeIP = %q, want the given one", m.NodeIP())
	}
	if got := addresses(m.nodeIP, m.hostname); got[1] != (api.NodeAddress{Type: "Hostname", Address: "host-a"}) {
		t.Errorf("addresses = %v", got)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		failures int
		limit    time.Duration
		want     time.Duration
	}{
		{1, 7 * time.Second, 200 * time.Millisecond},
		{2, 7 * time.Second, 400 * time.Millisecond},
		{5, 7 * time.Second, 3200 * time.Millisecond},
		{6, 7 * time.Second, 6400 * time.Millisecond},
		{7, 7 * time.Second, 7 * time.Second},
		{1000, 7 * time.Second, 7 * time.Second},
		{1, 50 * time.Millisecond, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := backoff(tt.failures, tt.limit); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.failures, tt.limit, got, tt.want)
		}
	}
}
