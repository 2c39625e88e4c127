package logs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"skiff/pkg/pki"
	"skiff/proto/agentv1"
)

// testPKI is a cluster CA with the agent's serving certificate.
type testPKI struct {
	ca      *pki.CA
	serving tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueServing("node-a", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, key)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{ca: ca, serving: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}}
}

// clientTLS is a client config trusting the CA, with a certificate for cn
// issued by issuer (no certificate when issuer is nil).
func (p *testPKI) clientTLS(t *testing.T, issuer *pki.CA, cn string) *tls.Config {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(p.ca.Cert)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if issuer != nil {
		key, err := pki.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		cert, err := issuer.IssueClient(cn, nil, key.Public())
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}
	}
	return cfg
}

// testLogWriter sends logs to the test log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fakePods is a Resolver over files in a directory, laid out as the pod worker
// lays them out: <dir>/pods/<uid>/<container>/<attempt>.log.
type fakePods struct {
	dir string
	mu  sync.Mutex
	// attempts is the current attempt of each container (uid/container);
	// running says it is still going.
	attempts map[string]int
	running  map[string]bool
	// asked records the targets resolved.
	asked []Target
}

func (f *fakePods) path(uid, container string, attempt int) string {
	return filepath.Join(f.dir, "pods", uid, container, strconv.Itoa(attempt)+".log")
}

func (f *fakePods) resolve(_ context.Context, t Target) (Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, t)
	key := t.PodUID + "/" + t.Container
	attempt, ok := f.attempts[key]
	if !ok {
		return Source{}, NotFound("container \"" + t.Container + "\" in pod \"" + t.Pod + "\" is not on this node")
	}
	if t.Previous {
		if attempt == 0 {
			return Source{}, NotFound("previous terminated container \"" + t.Container + "\" in pod \"" + t.Pod + "\" not found")
		}
		return Source{Path: f.path(t.PodUID, t.Container, attempt-1)}, nil
	}
	return Source{Path: f.path(t.PodUID, t.Container, attempt), Done: func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return !f.running[key]
	}}, nil
}

func (f *fakePods) write(t *testing.T, uid, container string, attempt int, content string) {
	t.Helper()
	p := f.path(uid, container, attempt)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// startAgent serves the fake pods on 127.0.0.1 and returns the address.
func startAgent(t *testing.T, p *testPKI, pods *fakePods, opts ...Option) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	opts = append([]Option{WithPollInterval(5 * time.Millisecond), WithLogger(slog.New(slog.NewTextHandler(testLogWriter{t}, nil)))}, opts...)
	go func() { errc <- Serve(ctx, lis, ServerTLSConfig(p.ca.Cert, p.serving), pods.resolve, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().String()
}

func dial(t *testing.T, addr string, cfg *tls.Config) agentv1.AgentClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return agentv1.NewAgentClient(conn)
}

// readAll reads a Logs stream to its end.
func readAll(ctx context.Context, c agentv1.AgentClient, req *agentv1.LogsRequest) (string, error) {
	stream, err := c.Logs(ctx, req)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			return buf.String(), nil
		}
		if err != nil {
			return buf.String(), err
		}
		buf.Write(chunk.GetData())
	}
}

func TestServeLogs(t *testing.T) {
	p := newTestPKI(t)
	pods := &fakePods{dir: t.TempDir(), attempts: map[string]int{"uid-1/app": 1}, running: map[string]bool{}}
	pods.write(t, "uid-1", "app", 0, "first attempt\n")
	pods.write(t, "uid-1", "app", 1, "one\ntwo\nthree\n")
	addr := startAgent(t, p, pods)
	c := dial(t, addr, p.clientTLS(t, p.ca, pki.APIServerKubeletClientName))
	ctx := context.Background()
	req := func(mod func(*agentv1.LogsRequest)) *agentv1.LogsRequest {
		r := &agentv1.LogsRequest{Namespace: "default", PodName: "web", PodUid: "uid-1", Container: "app"}
		if mod != nil {
			mod(r)
		}
		return r
	}
	n := func(v int64) *int64 { return &v }

	tests := []struct {
		name     string
		req      *agentv1.LogsRequest
		want     string
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "whole log", req: req(nil), want: "one\ntwo\nthree\n"},
		{name: "tail", req: req(func(r *agentv1.LogsRequest) { r.TailLines = n(1) }), want: "three\n"},
		{name: "limit", req: req(func(r *agentv1.LogsRequest) { r.LimitBytes = n(5) }), want: "one\nt"},
		{name: "previous", req: req(func(r *agentv1.LogsRequest) { r.Previous = true }), want: "first attempt\n"},
		{name: "unknown container", req: req(func(r *agentv1.LogsRequest) { r.Container = "db" }),
			wantCode: codes.NotFound, wantMsg: `container "db" in pod "web" is not on this node`},
		{name: "no container", req: req(func(r *agentv1.LogsRequest) { r.Container = "" }),
			wantCode: codes.InvalidArgument, wantMsg: "container is required"},
		{name: "negative tail", req: req(func(r *agentv1.LogsRequest) { r.TailLines = n(-1) }),
			wantCode: codes.InvalidArgument, wantMsg: "tail_lines must be 0 or more"},
		{name: "zero limit", req: req(func(r *agentv1.LogsRequest) { r.LimitBytes = n(0) }),
			wantCode: codes.InvalidArgument, wantMsg: "limit_bytes must be more than 0"},
		{name: "zero since", req: req(func(r *agentv1.LogsRequest) { r.SinceSeconds = n(0) }),
			wantCode: codes.InvalidArgument, wantMsg: "since_seconds must be more than 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(ctx, c, tt.req)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code %v (%v), want %v", code, err, tt.wantCode)
			}
			if tt.wantCode != codes.OK {
				if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q does not contain %q", msg, tt.wantMsg)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("missing log file", func(t *testing.T) {
		pods.mu.Lock()
		pods.attempts["uid-1/sidecar"] = 0
		pods.mu.Unlock()
		_, err := readAll(ctx, c, req(func(r *agentv1.LogsRequest) { r.Container = "sidecar" }))
		if status.Code(err) != codes.NotFound {
			t.Fatalf("got %v, want NotFound", err)
		}
	})
	t.Run("stats and exec are not implemented", func(t *testing.T) {
		if _, err := c.Stats(ctx, &agentv1.StatsRequest{}); status.Code(err) != codes.Unimplemented {
			t.Errorf("Stats: got %v, want Unimplemented", err)
		}
		stream, err := c.Exec(ctx)
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("Exec: got %v, want Unimplemented", err)
		}
	})
	pods.mu.Lock()
	defer pods.mu.Unlock()
	if got := pods.asked[0]; got != (Target{Namespace: "default", Pod: "web", PodUID: "uid-1", Container: "app"}) {
		t.Errorf("resolver got %+v", got)
	}
}

// TestServeFollow: a followed stream gets appended output and ends when the
// attempt ends.
func TestServeFollow(t *testing.T) {
	p := newTestPKI(t)
	pods := &fakePods{dir: t.TempDir(), attempts: map[string]int{"uid-1/app": 0}, running: map[string]bool{"uid-1/app": true}}
	pods.write(t, "uid-1", "app", 0, "started\n")
	c := dial(t, startAgent(t, p, pods), p.clientTLS(t, p.ca, pki.APIServerKubeletClientName))
	stream, err := c.Logs(context.Background(), &agentv1.LogsRequest{PodUid: "uid-1", Container: "app", Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	// Headers come before any data.
	if md, err := stream.Header(); err != nil || md == nil {
		t.Fatalf("header: %v %v", md, err)
	}
	recv := func() string {
		t.Helper()
		chunk, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return string(chunk.GetData())
	}
	if got := recv(); got != "started\n" {
		t.Fatalf("got %q", got)
	}
	pods.write(t, "uid-1", "app", 0, "more\n")
	if got := recv(); got != "more\n" {
		t.Fatalf("got %q", got)
	}
	pods.write(t, "uid-1", "app", 0, "bye\n")
	pods.mu.Lock()
	pods.running["uid-1/app"] = false
	pods.mu.Unlock()
	var rest bytes.Buffer
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rest.Write(chunk.GetData())
	}
	if rest.String() != "bye\n" {
		t.Errorf("after the attempt ended: got %q, want %q", rest.String(), "bye\n")
	}
}

// TestServeClients: only the apiserver's certificate from the cluster CA gets in.
func TestServeClients(t *testing.T) {
	p := newTestPKI(t)
	pods := &fakePods{dir: t.TempDir(), attempts: map[string]int{"uid-1/app": 0}}
	pods.write(t, "uid-1", "app", 0, "secret\n")
	addr := startAgent(t, p, pods)
	other, err := pki.NewCA("other-ca")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  *tls.Config
		want codes.Code
	}{
		{"apiserver", p.clientTLS(t, p.ca, pki.APIServerKubeletClientName), codes.OK},
		{"another user of the cluster CA", p.clientTLS(t, p.ca, "system:node:node-b"), codes.PermissionDenied},
		{"certificate from another CA", p.clientTLS(t, other, pki.APIServerKubeletClientName), codes.Unavailable},
		{"no certificate", p.clientTLS(t, nil, ""), codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := readAll(ctx, dial(t, addr, tt.cfg), &agentv1.LogsRequest{PodUid: "uid-1", Container: "app"})
			if status.Code(err) != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.want != codes.OK && got != "" {
				t.Errorf("a refused client read %q", got)
			}
		})
	}
}

func TestServeNeedsClientCAs(t *testing.T) {
	p := newTestPKI(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	cfg := &tls.Config{Certificates: []tls.Certificate{p.serving}}
	err = Serve(context.Background(), lis, cfg, func(context.Context, Target) (Source, error) { return Source{}, nil })
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("Serve without ClientCAs: got %v, want an error", err)
	}
}
