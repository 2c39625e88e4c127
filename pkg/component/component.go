// Package component holds what every Skiff daemon besides the apiserver
// serves the same way: /healthz, /metrics and /debug/pprof on a plain HTTP
// port, and the identity it uses in leader election.
package component

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"time"
)

// ServeHealth serves /healthz, /debug/pprof (go tool pprof
// http://ADDR:PORT/debug/pprof/profile) and, if metrics is not nil, /metrics,
// until the returned server is closed.
func ServeHealth(addr string, port int, metrics http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("serve /healthz: %w (choose another port, or 0 to turn it off)", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	if metrics != nil {
		mux.Handle("/metrics", metrics)
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server", "err", err)
		}
	}()
	log.Info("serving /healthz and /metrics", "address", ln.Addr().String())
	return srv, nil
}

// Identity names this process in leader election: the host name and a
// unique suffix, so two processes on one host differ.
func Identity() string {
	host, _ := os.Hostname()
	return host + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
}
