// Package controllertest runs controllers in integration tests against a real
// apiserver (apiservertest) with no scheduler and no node agents, and stands in
// for the node agents where a test needs pods to run and be ready:
//
//	s := apiservertest.Start(t)
//	rsc := controllertest.RunController(t, s, replicaset.New)
//	... create a ReplicaSet with s.Client ...
//	controllertest.WaitFor(t, "3 pods", func() (bool, error) { ... })
//	controllertest.MarkPodsReady(ctx, s.Client, "default", "app=web")
//
// Several controllers that share informers (a Deployment and the ReplicaSet
// controller under it) are built on one context and started together:
//
//	cc := controllertest.NewContext(t, s)
//	controllertest.Start(t, cc, replicaset.New(cc), deployment.New(cc))
//
// Everything started here stops when the test ends, before the apiserver does.
package controllertest

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/controller"
)

// SyncTimeout bounds how long Start waits for the informers' first list.
const SyncTimeout = 30 * time.Second

// StopTimeout bounds how long the end of a test waits for each controller's
// Run to return.
const StopTimeout = 30 * time.Second

// NewContext returns a controller.Context for a test apiserver. Its client
// authenticates as the controller-manager (the apiserver's
// controller-manager.kubeconfig), so the controllers run with the RBAC rules
// the real controller-manager has and a missing permission fails the test.
// It has fresh informers, an event recorder (events are written once Start
// runs it), metrics on a registry of its own, and a logger that writes to
// t.Log at debug level, so only failing tests print the controllers' logs.
// Build the controllers on it, then call Start.
func NewContext(t testing.TB, s *apiservertest.Server) *controller.Context {
	t.Helper()
	c, err := client.NewFromKubeconfig(filepath.Join(s.DataDir, apiserver.ControllerManagerKubeconfig))
	if err != nil {
		t.Fatalf("controllertest: controller-manager client: %v", err)
	}
	return NewContextFor(t, c)
}

// NewContextFor is NewContext with a client of the caller's choosing, such as
// the admin client s.Client.
func NewContextFor(t testing.TB, c *client.Client) *controller.Context {
	log := Logger(t)
	return &controller.Context{
		Client:    c,
		Informers: controller.NewInformers(c, log),
		Events:    record.New(c, api.EventSource{Component: "controller-manager"}, log),
		Metrics:   controller.NewMetrics(),
		Log:       log,
	}
}

// Start runs cc's event recorder and informers, waits until the informers
// have listed once (failing the test after SyncTimeout), then runs each
// controller on its own goroutine, as the controller-manager does. When the
// test ends, everything is stopped and each Run has returned before the
// apiserver stops; a Run that returns an error fails the test. Build every
// controller on cc before calling Start: informers cannot be added afterwards.
func Start(t testing.TB, cc *controller.Context, ctrls ...controller.Controller) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(StopTimeout):
			t.Errorf("controllertest: controllers did not stop within %v", StopTimeout)
		}
	})
	go cc.Events.Run(ctx)
	synced := make(chan bool, 1)
	go func() { synced <- cc.Informers.Start(ctx) }()
	select {
	case ok := <-synced:
		if !ok {
			t.Fatal("controllertest: informers did not sync")
		}
	case <-time.After(SyncTimeout):
		t.Fatalf("controllertest: informers did not sync within %v", SyncTimeout)
	}
	for _, ctl := range ctrls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ctl.Run(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("controllertest: controller %s: %v", ctl.Name(), err)
			}
		}()
	}
}

// RunController builds one controller on NewContext(t, s), starts it with
// Start and returns it:
//
//	rsc := controllertest.RunController(t, s, replicaset.New)
func RunController[C controller.Controller](t testing.TB, s *apiservertest.Server, build func(*controller.Context) C) C {
	t.Helper()
	cc := NewContext(t, s)
	ctl := build(cc)
	Start(t, cc, ctl)
	return ctl
}

// Logger returns a logger that writes to t.Log at debug level and drops what
// is logged after the test has ended (a goroutine that is still winding down
// must not make the test panic).
func Logger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}
