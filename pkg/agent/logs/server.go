package logs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"skiff/pkg/pki"
	"skiff/proto/agentv1"
)

// DefaultPollInterval is how often a followed log file is checked for new
// output.
const DefaultPollInterval = 100 * time.Millisecond

// Service implements the Agent gRPC service: Logs over the files a Resolver
// finds, and Exec with the Executor given by WithExecutor (exec.go). Stats
// answers Unimplemented.
type Service struct {
	agentv1.UnimplementedAgentServer
	resolve Resolver
	cfg     config
}

var _ agentv1.AgentServer = (*Service)(nil)

// maxSinceSeconds caps since_seconds at 100 years.
const maxSinceSeconds = 100 * 365 * 24 * 3600

// config is what Options set.
type config struct {
	log            *slog.Logger
	poll           time.Duration
	now            func() time.Time
	allowedClients []string
	exec           Executor // nil: Exec answers Unimplemented
}

// Option adjusts a Service or Serve.
type Option func(*config)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithPollInterval sets how often a followed file is checked for growth and
// its attempt for its end (default DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.poll = d } }

// WithAllowedClients replaces the client certificate common names Serve
// accepts (default: only pki.APIServerKubeletClientName, the apiserver).
func WithAllowedClients(names ...string) Option {
	return func(c *config) { c.allowedClients = names }
}

// withClock sets the clock, for tests of since and timestamps.
func withClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// NewService returns the Agent service over resolve.
func NewService(resolve Resolver, opts ...Option) *Service {
	cfg := config{
		log:            slog.Default(),
		poll:           DefaultPollInterval,
		now:            time.Now,
		allowedClients: []string{pki.APIServerKubeletClientName},
	}
	for _, o := range opts {
		o(&cfg)
	}
	return &Service{resolve: resolve, cfg: cfg}
}

// Serve serves the Agent service on lis until ctx ends, then stops at once
// (open log streams end) and returns nil. tlsConfig must hold the agent's
// serving certificate (signed by the cluster CA, naming the node's addresses)
// and ClientCAs with the cluster CA: Serve requires and verifies a client
// certificate and, beyond that, accepts only the apiserver's common name (see
// WithAllowedClients). It returns an error for a config without those, or
// when serving fails.
func Serve(ctx context.Context, lis net.Listener, tlsConfig *tls.Config, resolve Resolver, opts ...Option) error {
	if tlsConfig == nil || tlsConfig.ClientCAs == nil || (len(tlsConfig.Certificates) == 0 && tlsConfig.GetCertificate == nil) {
		return errors.New("logs: Serve needs a TLS config with a serving certificate and ClientCAs (the cluster CA)")
	}
	if resolve == nil {
		return errors.New("logs: Serve needs a Resolver")
	}
	cfg := tlsConfig.Clone()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	svc := NewService(resolve, opts...)
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(cfg)),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := svc.authorize(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := svc.authorize(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	)
	agentv1.RegisterAgentServer(srv, svc)
	svc.cfg.log.Info("agent gRPC serving", "addr", lis.Addr().String(), "allowedClients", svc.cfg.allowedClients)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	select {
	case <-ctx.Done():
		srv.Stop()
		<-errc
		return nil
	case err := <-errc:
		return fmt.Errorf("logs: serve: %w", err)
	}
}

// ServerTLSConfig is the TLS config Serve expects: the agent's serving
// certificate, and the cluster CA as the only issuer of client certificates.
func ServerTLSConfig(ca *x509.Certificate, serving tls.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		Certificates: []tls.Certificate{serving},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
}

// authorize accepts only verified client certificates with an allowed name.
func (s *Service) authorize(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "no peer")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return status.Error(codes.Unauthenticated, "a client certificate from the cluster CA is required")
	}
	cn := info.State.VerifiedChains[0][0].Subject.CommonName
	if !slices.Contains(s.cfg.allowedClients, cn) {
		return status.Errorf(codes.PermissionDenied, "client %q may not use the node agent's API; only %v may", cn, s.cfg.allowedClients)
	}
	return nil
}

// Logs implements agentv1.AgentServer.
func (s *Service) Logs(req *agentv1.LogsRequest, stream agentv1.Agent_LogsServer) error {
	ctx := stream.Context()
	t, opts, err := parseRequest(req)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	src, err := s.resolve(ctx, t)
	if err != nil {
		return s.toStatus(err, t)
	}
	f, err := os.Open(src.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return status.Errorf(codes.NotFound, "container %q in pod %q has no log on this node yet", t.Container, podName(t))
	} else if err != nil {
		return s.toStatus(err, t)
	}
	defer f.Close()
	// Headers now: the client knows the log exists before any of it arrives.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	r := &reader{f: f, src: src, opts: opts, now: s.cfg.now, poll: s.cfg.poll,
		send: func(b []byte) error { return stream.Send(&agentv1.LogsChunk{Data: b}) }}
	err = copyLog(ctx, r)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case status.Code(err) != codes.Unknown:
		return err // from stream.Send
	}
	return s.toStatus(err, t)
}

// Stats implements agentv1.AgentServer; not yet.
func (s *Service) Stats(context.Context, *agentv1.StatsRequest) (*agentv1.StatsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "stats are not implemented by this node agent yet")
}

// toStatus maps an error to a gRPC status: ErrNotFound to NotFound with its
// message, a status error as it is, anything else to Internal (logged, and
// shown generically).
func (s *Service) toStatus(err error, t Target) error {
	if errors.Is(err, ErrNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	s.cfg.log.Error("reading container log failed", "pod", podName(t), "uid", t.PodUID, "container", t.Container, "err", err)
	return status.Errorf(codes.Internal, "reading the log of container %q in pod %q failed on the node; see the node agent's log", t.Container, podName(t))
}

func podName(t Target) string {
	if t.Pod == "" {
		return t.PodUID
	}
	return t.Namespace + "/" + t.Pod
}

// parseRequest validates a request as Kubernetes validates PodLogOptions.
func parseRequest(req *agentv1.LogsRequest) (Target, options, error) {
	t := Target{Namespace: req.GetNamespace(), Pod: req.GetPodName(), PodUID: req.GetPodUid(),
		Container: req.GetContainer(), Previous: req.GetPrevious()}
	o := options{follow: req.GetFollow(), timestamps: req.GetTimestamps(), tail: -1}
	var errs []string
	if t.Container == "" {
		errs = append(errs, "container is required")
	}
	if t.PodUID == "" && (t.Namespace == "" || t.Pod == "") {
		errs = append(errs, "pod_uid or namespace and pod_name are required")
	}
	if req.TailLines != nil {
		if o.tail = req.GetTailLines(); o.tail < 0 {
			errs = append(errs, fmt.Sprintf("tail_lines must be 0 or more, not %d", o.tail))
		}
	}
	if req.SinceSeconds != nil {
		n := req.GetSinceSeconds()
		if n < 1 {
			errs = append(errs, fmt.Sprintf("since_seconds must be more than 0, not %d", n))
		}
		// Capped, so the duration cannot overflow.
		o.since = time.Duration(min(n, maxSinceSeconds)) * time.Second
	}
	if req.LimitBytes != nil {
		if o.limit = req.GetLimitBytes(); o.limit < 1 {
			errs = append(errs, fmt.Sprintf("limit_bytes must be more than 0, not %d", o.limit))
		}
	}
	if len(errs) > 0 {
		return t, o, errors.New("invalid logs request: " + strings.Join(errs, "; "))
	}
	return t, o, nil
}
