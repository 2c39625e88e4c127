package leaderelection_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/leaderelection"
)

func Example() {
	// A real program builds its client from a kubeconfig; the example talks to a
	// stand-in apiserver that serves one Lease.
	srv := httptest.NewServer(&leaseServer{})
	defer srv.Close()
	c, err := client.New(&client.Config{Server: srv.URL})
	if err != nil {
		panic(err)
	}

	e, err := leaderelection.New(leaderelection.Config{
		Client:    c,
		Namespace: "kube-system",
		Name:      "skiff-scheduler",
		Identity:  "host-a_7f3c",
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	err = e.Run(ctx, func(ctx context.Context) {
		fmt.Println("leading:", e.IsLeader())
		stop() // a scheduler would work until ctx ends; the example stops at once
		<-ctx.Done()
	})
	// After ErrLeaseLost a component exits, as kube-scheduler does.
	fmt.Println("Run returned:", err)

	lease, err := client.Leases(c, "kube-system").Get(context.Background(), "skiff-scheduler")
	if err != nil {
		panic(err)
	}
	fmt.Println("released:", lease.Spec.HolderIdentity == nil)
	// Output:
	// leading: true
	// Run returned: <nil>
	// released: true
}

// leaseServer is an in-memory apiserver for a single Lease: GET, POST to create
// and PUT to update with resourceVersion checks.
type leaseServer struct {
	mu    sync.Mutex
	lease *api.Lease
	rv    int
}

func (s *leaseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodGet {
		var l api.Lease
		if err := json.NewDecoder(r.Body).Decode(&l); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if create := r.Method == http.MethodPost; create != (s.lease == nil) || !create && l.ResourceVersion != s.lease.ResourceVersion {
			http.Error(w, "conflict", http.StatusConflict)
			return
		}
		s.rv++
		l.ResourceVersion = strconv.Itoa(s.rv)
		s.lease = &l
	}
	if s.lease == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	json.NewEncoder(w).Encode(s.lease)
}
