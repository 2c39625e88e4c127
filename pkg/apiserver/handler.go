package apiserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authn"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/request"
	bt "skiff/pkg/bootstrap"
)

// buildHandler wires the filter chain around the routes. Filters run outermost
// first: recover and measure, parse request info, authenticate, authorize.
func (s *Server) buildHandler() http.Handler {
	r := mux.NewRouter()
	r.UseEncodedPath()
	get := func(path string, h http.HandlerFunc) { r.Handle(path, onlyGet(h)) }
	get("/healthz", s.serveLivez)
	get("/livez", s.serveLivez)
	get("/readyz", s.serveReadyz)
	get("/version", s.serveVersion)
	get("/metrics", s.metrics.handler().ServeHTTP)
	get("/api", s.serveAPIVersions)
	get("/api/v1", s.serveResourceList("", "v1"))
	get("/apis", s.serveAPIGroups)
	get("/apis/{group}", s.serveAPIGroup)
	get("/apis/{group}/{version}", s.serveGroupVersionResources)
	get("/openapi/v2", s.serveOpenAPIv2)
	r.PathPrefix("/api/").Handler(http.HandlerFunc(s.serveResource))
	r.PathPrefix("/apis/").Handler(http.HandlerFunc(s.serveResource))
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, api.NewNotFound(api.GroupResource{}, ""), nil)
	})

	var h http.Handler = r
	h = s.withAuthorization(h)
	h = s.withImpersonation(h)
	h = s.withAuthentication(h)
	h = s.withRecoveryAndMetrics(h)
	h = s.withAudit(h)
	h = withRequestInfo(h)
	return h
}

func onlyGet(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeStatus(w, r, api.NewMethodNotAllowed(fmt.Sprintf("the server does not allow this method on the requested resource: %s %s", r.Method, r.URL.Path)))
			return
		}
		h(w, r)
	})
}

func withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(request.WithInfo(r.Context(), request.Parse(r))))
	})
}

// withAuthentication identifies the user; requests without credentials are
// anonymous only on public paths, and 401 elsewhere.
func (s *Server) withAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, ok, err := s.authn.Authenticate(r)
		if err != nil {
			s.log.Debug("authentication failed", "err", err, "remote", r.RemoteAddr)
			s.writeError(w, r, api.NewUnauthorized("Unauthorized: "+userFacing(err)), nil)
			return
		}
		if !ok {
			if info, _ := request.InfoFrom(r.Context()); !authz.IsPublic(r.URL.Path) && !isClusterInfoRead(info) {
				s.writeError(w, r, api.NewUnauthorized("Unauthorized: the request carries no credentials; use a client certificate signed by the cluster CA or a bearer token"), nil)
				return
			}
			user = &request.User{Name: request.Anonymous, Groups: []string{request.AllUnauthenticated}}
		}
		auditFrom(r.Context()).user = user
		next.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), user)))
	})
}

// isClusterInfoRead reports whether a request reads kube-public/cluster-info,
// the one object anonymous requests may reach (and only if RBAC allows it,
// as the default kubeadm:bootstrap-signer-clusterinfo role does): a joining
// node reads it before it has credentials.
func isClusterInfoRead(info *request.Info) bool {
	return info != nil && info.IsResourceRequest && info.Verb == "get" && info.APIGroup == "" &&
		info.Namespace == api.NamespacePublic && info.Resource == "configmaps" && info.Subresource == "" &&
		info.Name == bt.ClusterInfoName
}

// userFacing hides details of why credentials failed beyond their kind.
func userFacing(err error) string {
	if errors.Is(err, authn.ErrInvalidCredentials) {
		return "invalid credentials"
	}
	return "authentication failed"
}

func (s *Server) withAuthorization(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ := request.UserFrom(r.Context())
		info, _ := request.InfoFrom(r.Context())
		attrs := authz.Attributes{User: user, Info: info}
		d, reason, err := s.authz.Authorize(r.Context(), attrs)
		if err != nil {
			s.log.Error("authorizer failed", "err", err)
		}
		rec := auditFrom(r.Context())
		rec.reason = reason
		if d == authz.Allow {
			rec.decision = "allow"
		} else {
			rec.decision = "forbid"
		}
		if d != authz.Allow {
			gr := api.GroupResource{Group: info.APIGroup, Resource: info.Resource}
			msg := authz.DeniedMessage(attrs)
			switch {
			case !info.IsResourceRequest:
			case info.Name != "":
				msg = fmt.Sprintf("%s %q is forbidden: %s", gr, info.Name, msg)
			default:
				msg = fmt.Sprintf("%s is forbidden: %s", gr, msg)
			}
			if reason != "" {
				msg += ": " + reason
			}
			s.writeError(w, r, api.NewForbidden(gr, info.Name, msg), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the response code for metrics and passes Flush through
// for watches.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack hands the connection over for a WebSocket (pods/exec), recorded as
// 101 Switching Protocols.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil && r.code == 0 {
		r.code = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// withRecoveryAndMetrics runs inside withRequestInfo. It turns a panic into a 500 (and a log line with the
// stack), and counts every request by verb, resource and code.
func (s *Server) withRecoveryAndMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if rec.code == 0 {
					writeStatus(rec, r, api.NewInternalError())
				}
			}
			info, _ := request.InfoFrom(r.Context())
			verb, resource, sub := info.Verb, info.Resource, info.Subresource
			if _, known := s.registry.Lookup(info.APIGroup, info.APIVersion, info.Resource); !known || !info.IsResourceRequest {
				// Label only real resources, so odd paths cannot grow the metrics.
				verb, resource, sub = strings.ToLower(r.Method), "", ""
			}
			if sub != "" && sub != "status" && sub != "scale" && sub != "binding" && sub != "log" && sub != "exec" && sub != "approval" {
				sub = "unknown"
			}
			code := rec.code
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.observeRequest(verb, resource, sub, strconv.Itoa(code), time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}
