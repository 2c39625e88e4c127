package apiserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"
)

// Defaults of the apiserver's options.
const (
	DefaultDataDir            = "/var/lib/skiff/server"
	DefaultBindAddress        = "0.0.0.0"
	DefaultSecurePort         = 6443
	DefaultEtcdClientURL      = "http://127.0.0.1:2379"
	DefaultEtcdPeerURL        = "http://127.0.0.1:2380"
	DefaultCompactionInterval = 5 * time.Minute
	DefaultShutdownTimeout    = 30 * time.Second
	// MaxBodyBytes is the largest request body accepted, as in Kubernetes.
	MaxBodyBytes = 3 * 1024 * 1024

	DefaultTolerationSeconds    = 300
	DefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
	DefaultQuotaResyncPeriod    = 5 * time.Minute
)

// Options configure an apiserver. cmd/apiserver fills them from flags; tests fill
// them directly.
type Options struct {
	// DataDir holds the PKI, admin.kubeconfig and (embedded) etcd's data.
	DataDir string
	// BindAddress and SecurePort are where HTTPS is served.
	BindAddress string
	SecurePort  int
	// Listener, if set, is used instead of BindAddress and SecurePort (tests use
	// 127.0.0.1:0).
	Listener net.Listener
	// AdvertiseAddress is the IP other machines reach this server at: the
	// server of kube-public/cluster-info (https://<it>:<secure port>), which
	// joining nodes use, and a SAN of the serving certificate. Default: the
	// bind address (or the Listener's) unless it is 0.0.0.0, else the address
	// of the default route's interface, else 127.0.0.1.
	AdvertiseAddress string
	// EtcdServers are the client URLs of an external etcd cluster; empty runs an
	// embedded etcd in DataDir/etcd listening on EtcdClientURL and EtcdPeerURL.
	EtcdServers   []string
	EtcdClientURL string
	EtcdPeerURL   string
	// TLSSANs are extra names and addresses for the serving certificate.
	TLSSANs []string
	// TokenAuthFile is a static token file (token,user,uid,"groups").
	TokenAuthFile string
	// CompactionInterval is how often etcd history is compacted.
	CompactionInterval time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take after SIGTERM.
	ShutdownTimeout time.Duration
	// WatchProgressInterval is how often idle watches get a bookmark.
	WatchProgressInterval time.Duration
	// UnsafeNoFsync makes etcd skip fsync: for tests only.
	UnsafeNoFsync bool
	Logger        *slog.Logger

	// AuditLogPath, if set, receives one JSON line per request.
	AuditLogPath string
	// EnableAdmissionPlugins and DisableAdmissionPlugins adjust the default set
	// (every plugin Skiff has).
	EnableAdmissionPlugins  []string
	DisableAdmissionPlugins []string
	// DefaultNotReadyTolerationSeconds and DefaultUnreachableTolerationSeconds are
	// what DefaultTolerationSeconds gives pods.
	DefaultNotReadyTolerationSeconds    int64
	DefaultUnreachableTolerationSeconds int64
	// ServiceAccountIssuer is the iss (and default audience) of service-account tokens.
	ServiceAccountIssuer string
	// QuotaResyncPeriod is how often every quota's usage is recomputed.
	QuotaResyncPeriod time.Duration
}

// Complete fills in defaults.
func (o *Options) Complete() {
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.BindAddress == "" {
		o.BindAddress = DefaultBindAddress
	}
	if o.SecurePort == 0 {
		o.SecurePort = DefaultSecurePort
	}
	if o.EtcdClientURL == "" {
		o.EtcdClientURL = DefaultEtcdClientURL
	}
	if o.EtcdPeerURL == "" {
		o.EtcdPeerURL = DefaultEtcdPeerURL
	}
	if o.CompactionInterval == 0 {
		o.CompactionInterval = DefaultCompactionInterval
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.WatchProgressInterval == 0 {
		o.WatchProgressInterval = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.AdvertiseAddress == "" {
		o.AdvertiseAddress = defaultAdvertiseAddress(o.BindAddress, o.Listener)
	}
	if o.DefaultNotReadyTolerationSeconds == 0 {
		o.DefaultNotReadyTolerationSeconds = DefaultTolerationSeconds
	}
	if o.DefaultUnreachableTolerationSeconds == 0 {
		o.DefaultUnreachableTolerationSeconds = DefaultTolerationSeconds
	}
	if o.ServiceAccountIssuer == "" {
		o.ServiceAccountIssuer = DefaultServiceAccountIssuer
	}
	if o.QuotaResyncPeriod == 0 {
		o.QuotaResyncPeriod = DefaultQuotaResyncPeriod
	}
}

// Validate reports options that cannot work, saying what to fix.
func (o *Options) Validate() error {
	var errs []error
	if net.ParseIP(o.BindAddress) == nil {
		errs = append(errs, fmt.Errorf("--bind-address %q is not an IP address", o.BindAddress))
	}
	if ip := net.ParseIP(o.AdvertiseAddress); ip == nil || ip.IsUnspecified() {
		errs = append(errs, fmt.Errorf("--advertise-address %q is not an IP address other machines can reach", o.AdvertiseAddress))
	}
	if o.SecurePort < 0 || o.SecurePort > 65535 {
		errs = append(errs, fmt.Errorf("--secure-port %d is not between 0 and 65535", o.SecurePort))
	}
	for _, s := range o.EtcdServers {
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("--etcd-servers: %q is not a URL like http://10.0.0.1:2379", s))
		}
	}
	for _, s := range []string{o.EtcdClientURL, o.EtcdPeerURL} {
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("embedded etcd URL %q is not a URL like http://127.0.0.1:2379", s))
		}
	}
	for _, name := range append(append([]string{}, o.EnableAdmissionPlugins...), o.DisableAdmissionPlugins...) {
		if !knownAdmissionPlugin(name) {
			errs = append(errs, fmt.Errorf("unknown admission plugin %q: known plugins are %v", name, AdmissionPluginNames))
		}
	}
	if o.DefaultNotReadyTolerationSeconds < 0 || o.DefaultUnreachableTolerationSeconds < 0 {
		errs = append(errs, errors.New("toleration seconds must not be negative"))
	}
	if o.CompactionInterval < 0 {
		errs = append(errs, errors.New("the compaction interval must not be negative"))
	}
	return errors.Join(errs...)
}

// defaultAdvertiseAddress is the bind address (the Listener's, if set) unless
// it is unspecified, else the source address of the default route, else
// 127.0.0.1.
func defaultAdvertiseAddress(bind string, ln net.Listener) string {
	if ln != nil {
		if a, ok := ln.Addr().(*net.TCPAddr); ok {
			bind = a.IP.String()
		}
	}
	if ip := net.ParseIP(bind); ip != nil && !ip.IsUnspecified() {
		return ip.String()
	}
	if ip := defaultRouteIP(); ip != nil {
		return ip.String()
	}
	return "127.0.0.1"
}

// defaultRouteIP is the address this machine sends from to reach beyond its
// networks: a UDP "connection" to a documentation address (TEST-NET-3) only
// asks the routing table and sends nothing. nil without a default route.
func defaultRouteIP() net.IP {
	conn, err := net.Dial("udp4", "203.0.113.1:9")
	if err != nil {
		return nil
	}
	defer conn.Close()
	if a, ok := conn.LocalAddr().(*net.UDPAddr); ok && !a.IP.IsUnspecified() && !a.IP.IsLoopback() {
		return a.IP
	}
	return nil
}
