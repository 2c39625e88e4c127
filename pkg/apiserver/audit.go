package apiserver

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"skiff/pkg/apiserver/request"
)

// auditRecord is what the filters learn about a request as it passes them; the
// audit filter writes it out when the request ends.
type auditRecord struct {
	user         *request.User
	impersonator *request.User
	decision     string // "allow" or "forbid"
	reason       string // the authorizer's explanation, e.g. which binding allowed it
}

type auditKey struct{}

func auditFrom(ctx context.Context) *auditRecord {
	rec, _ := ctx.Value(auditKey{}).(*auditRecord)
	if rec == nil {
		return &auditRecord{} // auditing off: a throwaway record
	}
	return rec
}

// auditEvent is one line of the audit log.
type auditEvent struct {
	Time         time.Time `json:"time"`
	User         string    `json:"user"`
	Groups       []string  `json:"groups,omitempty"`
	Impersonator string    `json:"impersonator,omitempty"`
	Verb         string    `json:"verb"`
	APIGroup     string    `json:"apiGroup,omitempty"`
	Resource     string    `json:"resource,omitempty"`
	Subresource  string    `json:"subresource,omitempty"`
	Namespace    string    `json:"namespace,omitempty"`
	Name         string    `json:"name,omitempty"`
	Path         string    `json:"path"`
	Code         int       `json:"code"`
	LatencyMs    float64   `json:"latencyMs"`
	Decision     string    `json:"decision,omitempty"`
	Authorizer   string    `json:"authorizer,omitempty"`
	SourceIP     string    `json:"sourceIP,omitempty"`
	UserAgent    string    `json:"userAgent,omitempty"`
}

// auditLog writes one JSON line per request. Bodies, headers and query strings
// are never written, so tokens and secrets cannot leak into it.
type auditLog struct {
	mu sync.Mutex
	f  *os.File
}

func openAuditLog(path string) (*auditLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &auditLog{f: f}, nil
}

func (a *auditLog) write(ev *auditEvent) {
	line, err := json.Marshal(ev)
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.f.Write(append(line, '\n'))
}

func (a *auditLog) Close() error { return a.f.Close() }

// withAudit records each request once it is done. It runs inside withRequestInfo
// and outside everything else, so it sees 401s and 403s too.
func (s *Server) withAudit(next http.Handler) http.Handler {
	if s.audit == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &auditRecord{}
		sr := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(sr, r.WithContext(context.WithValue(r.Context(), auditKey{}, rec)))
		info, _ := request.InfoFrom(r.Context())
		ev := &auditEvent{
			Time: start.UTC(), Verb: info.Verb, Path: r.URL.Path, Code: sr.code,
			LatencyMs: float64(time.Since(start).Microseconds()) / 1000,
			Decision:  rec.decision, Authorizer: rec.reason, UserAgent: r.UserAgent(),
		}
		if ev.Code == 0 {
			ev.Code = http.StatusOK
		}
		if info.IsResourceRequest {
			ev.APIGroup, ev.Resource, ev.Subresource, ev.Namespace, ev.Name = info.APIGroup, info.Resource, info.Subresource, info.Namespace, info.Name
		}
		if rec.user != nil {
			ev.User, ev.Groups = rec.user.Name, rec.user.Groups
		}
		if rec.impersonator != nil {
			ev.Impersonator = rec.impersonator.Name
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ev.SourceIP = host
		}
		s.audit.write(ev)
	})
}
