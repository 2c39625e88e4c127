// Package apiservertest starts a real apiserver, with a real embedded etcd, on
// free loopback ports for tests, and stops it (removing its data) when the test
// ends.
package apiservertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"skiff/pkg/apiserver"
	"skiff/pkg/client"
)

// Server is a running test apiserver.
type Server struct {
	*apiserver.Server
	// Kubeconfig is the admin kubeconfig (user admin, group system:masters).
	Kubeconfig string
	// Client is an admin client.
	Client *client.Client
	// DataDir is the server's data directory.
	DataDir string
}

// Start runs an apiserver for the test. Options may adjust the configuration
// before it starts; DataDir, Listener and the etcd URLs are already set.
func Start(t testing.TB, options ...func(*apiserver.Options)) *Server {
	t.Helper()
	dataDir := t.TempDir()
	var srv *apiserver.Server
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		srv, err = start(t, dataDir, options)
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		t.Fatalf("start apiserver: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("apiserver stopped with error: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("apiserver did not stop within 60s")
		}
	})
	kubeconfig := filepath.Join(dataDir, apiserver.AdminKubeconfig)
	c, err := client.NewFromKubeconfig(kubeconfig)
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	s := &Server{Server: srv, Kubeconfig: kubeconfig, Client: c, DataDir: dataDir}
	s.WaitReady(t)
	return s
}

func start(t testing.TB, dataDir string, options []func(*apiserver.Options)) (*apiserver.Server, error) {
	ports, err := FreePorts(2)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := apiserver.Options{
		DataDir:            dataDir,
		Listener:           ln,
		EtcdClientURL:      fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		EtcdPeerURL:        fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		UnsafeNoFsync:      true,
		CompactionInterval: time.Hour,
		ShutdownTimeout:    10 * time.Second,
		Logger:             slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, opt := range options {
		opt(&o)
	}
	srv, err := apiserver.New(context.Background(), o)
	if err != nil {
		ln.Close()
		os.RemoveAll(filepath.Join(dataDir, "etcd"))
	}
	return srv, err
}

// WaitReady polls /readyz until it answers ok.
func (s *Server) WaitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, err := s.Client.Raw(context.Background(), client.Request{Method: "GET", Path: "/readyz"})
		if err == nil && string(body) == "ok" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("apiserver not ready after 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePorts returns n loopback TCP ports that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// testWriter sends server logs to the test log, so only failing tests print them.
// The server stops in t.Cleanup, before the test completes, so nothing logs late.
type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
