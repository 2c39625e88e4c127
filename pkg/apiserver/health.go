package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// serveLivez says the process is serving.
func (s *Server) serveLivez(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "ok")
}

// serveReadyz says whether the server can serve requests: it is not shutting down
// and etcd answers. With ?verbose each check is listed.
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	checks := []struct {
		name string
		err  error
	}{
		{"shutdown", s.shutdownCheck()},
		{"etcd", s.etcdCheck(r.Context())},
	}
	ok := true
	out := ""
	for _, c := range checks {
		if c.err != nil {
			ok = false
			out += fmt.Sprintf("[-]%s failed: %v\n", c.name, c.err)
		} else {
			out += fmt.Sprintf("[+]%s ok\n", c.name)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, out+"readyz check failed\n")
		return
	}
	if _, verbose := r.URL.Query()["verbose"]; verbose {
		fmt.Fprint(w, out+"readyz check passed\n")
		return
	}
	fmt.Fprint(w, "ok")
}

func (s *Server) shutdownCheck() error {
	if s.shuttingDown.Load() {
		return fmt.Errorf("server is shutting down")
	}
	return nil
}

func (s *Server) etcdCheck(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := s.etcdClient.Get(ctx, "/registry/health")
	return err
}
