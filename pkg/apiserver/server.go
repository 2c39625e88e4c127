// Package apiserver is Skiff's Kubernetes-compatible REST server. A request passes
// TLS, then authentication, authorization and admission (mutating, then
// validating), then the generic REST handlers, which use the registry for what is
// kind-specific and package storage for persistence in etcd.
//
//	request ─▶ recover+metrics ─▶ request info ─▶ authn ─▶ authz ─▶ route
//	            route: /api, /apis (discovery) │ resources ─▶ admission ─▶ storage
package apiserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/authn"
	"skiff/pkg/apiserver/authn/bootstrap"
	"skiff/pkg/apiserver/authn/serviceaccount"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/authz/rbac"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/storage"
	"skiff/pkg/storage/etcd"
)

// Server is a running apiserver.
type Server struct {
	opts      Options
	log       *slog.Logger
	registry  *registry.Registry
	stores    map[*registry.Resource]storage.Interface
	authn     authn.Authenticator
	authz     authz.Authorizer
	rbac      *rbac.Authorizer
	admission *admission.Chain
	metrics   *metrics
	pki       *clusterPKI
	audit     *auditLog
	caches    *caches
	lookups   lookups

	saIssuer     *serviceaccount.Issuer
	apiAudiences []string

	etcd       *etcd.Embedded // nil with an external etcd
	etcdClient *clientv3.Client
	listener   net.Listener
	httpServer *http.Server

	// bg is the context of background work (caches, the quota controller); it
	// ends at shutdown.
	bg           context.Context
	stopBg       context.CancelFunc
	cachesSynced []func(context.Context) bool

	// stopping is closed when shutdown begins: watches end and /readyz fails.
	stopping     chan struct{}
	stopOnce     sync.Once
	shuttingDown atomic.Bool
	startedAt    time.Time
}

// New prepares a server: it loads or creates the PKI, starts (or connects to)
// etcd, and creates the built-in namespaces. Call Run to serve, which also cleans
// up; if New fails, nothing is left running.
func New(ctx context.Context, o Options) (s *Server, err error) {
	o.Complete()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s = &Server{opts: o, log: o.Logger, registry: registry.Builtin(), stopping: make(chan struct{}), startedAt: time.Now()}
	s.bg, s.stopBg = context.WithCancel(context.Background())
	s.metrics = newMetrics()
	for _, r := range s.registry.All() {
		s.metrics.watchers.WithLabelValues(r.Plural) // export 0 before the first watch
	}

	s.listener = o.Listener
	if s.listener == nil {
		addr := net.JoinHostPort(o.BindAddress, strconv.Itoa(o.SecurePort))
		if s.listener, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	// The named result s is nil by the time a failing return reaches this.
	srv := s
	defer func() {
		if err != nil {
			srv.stopBg()
			srv.listener.Close()
			srv.closeStorage()
			if srv.audit != nil {
				srv.audit.Close()
			}
		}
	}()

	if s.pki, err = ensurePKI(&o, s.URL()); err != nil {
		return nil, fmt.Errorf("prepare certificates in %s: %w", o.DataDir, err)
	}
	if err := s.startStorage(ctx); err != nil {
		return nil, err
	}
	if o.AuditLogPath != "" {
		if s.audit, err = openAuditLog(o.AuditLogPath); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
	}
	if err := s.bootstrap(ctx); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	s.caches = s.startCaches()
	s.lookups = lookups{s: s, c: s.caches}
	if err := s.buildAuth(); err != nil {
		return nil, err
	}
	s.admission = s.buildAdmission()
	s.startQuotaController()
	if err := s.waitForCaches(ctx); err != nil {
		return nil, err
	}
	s.httpServer = &http.Server{
		Handler:           s.buildHandler(),
		TLSConfig:         s.tlsConfig(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// URL is the address clients use to reach this server on this machine.
func (s *Server) URL() string {
	addr := s.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// AdvertisedURL is the address other machines use to reach this server:
// https://<advertise address>:<port>. Joining nodes find it in
// kube-public/cluster-info.
func (s *Server) AdvertisedURL() string {
	port := s.listener.Addr().(*net.TCPAddr).Port
	return "https://" + net.JoinHostPort(s.opts.AdvertiseAddress, strconv.Itoa(port))
}

// AdminKubeconfigPath is where the admin kubeconfig was written.
func (s *Server) AdminKubeconfigPath() string {
	return filepath.Join(s.opts.DataDir, AdminKubeconfig)
}

// EtcdClient gives tests direct access to etcd, for example to compact.
func (s *Server) EtcdClient() *clientv3.Client { return s.etcdClient }

func (s *Server) startStorage(ctx context.Context) error {
	if len(s.opts.EtcdServers) > 0 {
		c, err := etcd.NewClient(ctx, s.opts.EtcdServers)
		if err != nil {
			return err
		}
		s.etcdClient = c
	} else {
		e, err := etcd.StartEmbedded(etcd.EmbeddedConfig{
			Dir:                    filepath.Join(s.opts.DataDir, "etcd"),
			ClientURL:              s.opts.EtcdClientURL,
			PeerURL:                s.opts.EtcdPeerURL,
			UnsafeNoFsync:          s.opts.UnsafeNoFsync,
			ProgressNotifyInterval: s.opts.WatchProgressInterval,
		})
		if err != nil {
			return err
		}
		s.etcd, s.etcdClient = e, e.Client
	}
	s.stores = map[*registry.Resource]storage.Interface{}
	for _, r := range s.registry.All() {
		if !r.Virtual {
			s.stores[r] = etcd.NewStore(s.etcdClient, r.Plural, r.New, s.metrics)
		}
	}
	return nil
}

func (s *Server) closeStorage() {
	if s.etcd != nil {
		s.etcd.Close()
	} else if s.etcdClient != nil {
		s.etcdClient.Close()
	}
}

// buildAuth sets up authentication (client certificates, the token file,
// bootstrap tokens, service-account tokens: the first that recognises a request
// decides) and authorization (system:masters, the node authorizer, RBAC).
func (s *Server) buildAuth() error {
	roots := x509.NewCertPool()
	roots.AddCert(s.pki.ca.Cert)
	chain := authn.Union{&authn.X509{Roots: roots}}
	if s.opts.TokenAuthFile != "" {
		tf, err := authn.LoadTokenFile(s.opts.TokenAuthFile)
		if err != nil {
			return err
		}
		chain = append(chain, tf)
	}
	key, err := serviceaccount.LoadOrCreateKey(filepath.Join(s.opts.DataDir, ServiceAccountKeyFile))
	if err != nil {
		return fmt.Errorf("service-account signing key: %w", err)
	}
	s.apiAudiences = []string{s.opts.ServiceAccountIssuer}
	s.saIssuer = serviceaccount.NewIssuer(key, s.opts.ServiceAccountIssuer, s.apiAudiences)
	chain = append(chain,
		bootstrap.NewAuthenticator(s.lookups, time.Now),
		serviceaccount.NewAuthenticator(s.saIssuer, s.lookups, time.Now))
	s.authn = chain
	s.rbac = rbac.New(s.lookups)
	s.authz = authz.Chain{authz.Masters{}, authz.Node{Pods: cachedPods{s.lookups}}, s.rbac}
	return nil
}

func (s *Server) tlsConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{s.pki.serving},
		// Certificates are verified by the x509 authenticator, per request.
		ClientAuth: tls.RequestClientCert,
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
	}
}

// Run serves until ctx ends, then shuts down: it stops accepting connections, ends
// watches, waits up to ShutdownTimeout for in-flight requests, and closes etcd.
func (s *Server) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.opts.CompactionInterval > 0 {
		go etcd.RunCompactor(runCtx, s.etcdClient, s.opts.CompactionInterval, s.log)
	}
	errc := make(chan error, 1)
	go func() {
		errc <- s.httpServer.ServeTLS(s.listener, "", "")
	}()
	var etcdErr <-chan error
	if s.etcd != nil {
		etcdErr = s.etcd.Err()
	}
	s.log.Info("apiserver serving", "url", s.URL(), "dataDir", s.opts.DataDir, "startup", time.Since(s.startedAt).Round(time.Millisecond))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		runErr = fmt.Errorf("serve: %w", err)
	case err := <-etcdErr:
		runErr = fmt.Errorf("etcd stopped: %w", err)
	}
	s.shutdown()
	return runErr
}

func (s *Server) shutdown() {
	s.shuttingDown.Store(true)
	s.stopOnce.Do(func() { close(s.stopping) })
	defer s.stopBg()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := s.httpServer.Shutdown(ctx); err != nil {
		s.log.Warn("in-flight requests did not finish in time", "err", err)
		s.httpServer.Close()
	}
	s.stopBg()
	s.closeStorage()
	if s.audit != nil {
		s.audit.Close()
	}
	s.log.Info("apiserver stopped")
}
