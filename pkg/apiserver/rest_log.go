package apiserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"skiff/pkg/api"
	"skiff/proto/agentv1"
)

// Limits of a pods/log call to a node agent.
const (
	// agentConnectTimeout bounds one attempt to connect to a node agent.
	agentConnectTimeout = 10 * time.Second
	// agentAnswerTimeout bounds the wait for the agent to open the log: past
	// it the node counts as unreachable.
	agentAnswerTimeout = 30 * time.Second
)

// logOptions are the query parameters of pods/log (Kubernetes' PodLogOptions).
type logOptions struct {
	container                    string
	follow, previous, timestamps bool
	tailLines, sinceSeconds      *int64
	limitBytes                   *int64
}

// serveLog serves GET pods/{name}/log, what `kubectl logs [-f]` reads: it finds
// the pod's node and streams the container's log from that node's agent over
// gRPC (proto/agent.proto), as text/plain, flushing as it goes when following.
// The apiserver presents its kubelet-client certificate and trusts only agents
// whose serving certificate the cluster CA signed for the address it dials.
func (c *call) serveLog(w http.ResponseWriter, r *http.Request) {
	if c.info.Verb != "get" {
		c.s.writeError(w, r, methodNotAllowed(r, "pods/log"), c.res)
		return
	}
	ctx := r.Context()
	opts, err := parseLogOptions(r.URL.Query(), c.info.Name, now())
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	pod, container, addr, err := c.podAgent(ctx, opts.container, nil)
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	req := &agentv1.LogsRequest{
		Namespace: pod.Namespace, PodName: pod.Name, PodUid: pod.UID, Container: container,
		Follow: opts.follow, Previous: opts.previous, Timestamps: opts.timestamps,
		TailLines: opts.tailLines, SinceSeconds: opts.sinceSeconds, LimitBytes: opts.limitBytes,
	}
	c.s.proxyLog(w, r, pod.Spec.NodeName, addr, req)
}

// podAgent finds what a pods/log or pods/exec request reaches: the pod, the
// container it names (or the default one), and the address of the agent of
// the pod's node. check, if not nil, may refuse the pod before its node is
// looked at.
func (c *call) podAgent(ctx context.Context, containerName string, check func(*api.Pod) error) (pod *api.Pod, container, addr string, err error) {
	obj, err := c.store.Get(ctx, c.key(c.info.Name))
	if err != nil {
		return nil, "", "", err
	}
	pod = obj.(*api.Pod)
	if container, err = logContainer(pod, containerName); err != nil {
		return nil, "", "", err
	}
	if check != nil {
		if err := check(pod); err != nil {
			return nil, "", "", err
		}
	}
	if pod.Spec.NodeName == "" {
		return nil, "", "", api.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	if addr, err = c.s.agentAddress(ctx, pod.Spec.NodeName); err != nil {
		return nil, "", "", err
	}
	return pod, container, addr, nil
}

// parseLogOptions reads and validates the query as Kubernetes validates
// PodLogOptions: malformed numbers are a 400, out-of-range values a 422.
func parseLogOptions(q url.Values, name string, now time.Time) (logOptions, error) {
	o := logOptions{container: q.Get("container"), follow: queryBool(q, "follow"),
		previous: queryBool(q, "previous"), timestamps: queryBool(q, "timestamps")}
	var err error
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"tailLines", &o.tailLines}, {"sinceSeconds", &o.sinceSeconds}, {"limitBytes", &o.limitBytes}} {
		if *p.dst, err = queryInt(q, p.name); err != nil {
			return o, err
		}
	}
	if s := q.Get("stream"); s != "" && s != "All" {
		return o, api.NewBadRequest(fmt.Sprintf("stream=%s is not supported: container logs merge stdout and stderr", s))
	}
	var errs api.FieldErrors
	invalid := func(field string, v any, detail string) {
		errs = append(errs, &api.FieldError{Type: api.FieldValueInvalid, Field: field, BadValue: v, Detail: detail})
	}
	if o.tailLines != nil && *o.tailLines < 0 {
		invalid("tailLines", *o.tailLines, "must be greater than or equal to 0")
	}
	if o.limitBytes != nil && *o.limitBytes < 1 {
		invalid("limitBytes", *o.limitBytes, "must be greater than 0")
	}
	if o.sinceSeconds != nil && *o.sinceSeconds < 1 {
		invalid("sinceSeconds", *o.sinceSeconds, "must be greater than 0")
	}
	if st := q.Get("sinceTime"); st != "" {
		t, err := time.Parse(time.RFC3339, st)
		switch {
		case err != nil:
			return o, api.NewBadRequest(fmt.Sprintf("invalid sinceTime %q: must be an RFC 3339 time like 2024-01-02T15:04:05Z", st))
		case o.sinceSeconds != nil:
			errs = append(errs, &api.FieldError{Type: api.FieldValueForbidden, Field: "",
				Detail: "at most one of `sinceTime` or `sinceSeconds` may be specified"})
		default:
			// Log files carry no per-line times; the agent works in seconds.
			secs := max(1, int64(math.Ceil(now.Sub(t).Seconds())))
			o.sinceSeconds = &secs
		}
	}
	if len(errs) > 0 {
		return o, api.NewInvalid("PodLogOptions", name, errs)
	}
	return o, nil
}

// queryBool reads a boolean parameter as Kubernetes does: absent, "0" and
// "false" are false, anything else true.
func queryBool(q url.Values, name string) bool {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return false
	}
	return v[0] != "0" && !strings.EqualFold(v[0], "false")
}

func queryInt(q url.Values, name string) (*int64, error) {
	s := q.Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, api.NewBadRequest(fmt.Sprintf("invalid %s %q: must be an integer", name, s))
	}
	return &n, nil
}

// logContainer picks the container whose log is asked for, with Kubernetes'
// rules and messages: the one named, else the pod's only container.
func logContainer(pod *api.Pod, name string) (string, error) {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	if name != "" {
		for _, n := range names {
			if n == name {
				return name, nil
			}
		}
		return "", api.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
	}
	switch len(pod.Spec.Containers) {
	case 0:
		return "", api.NewBadRequest(fmt.Sprintf("pod %s does not have a container", pod.Name))
	case 1:
		return pod.Spec.Containers[0].Name, nil
	}
	return "", api.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
}

// agentAddress is host:port of a node's agent: the node's InternalIP (else
// ExternalIP, else Hostname) and status.daemonEndpoints.kubeletEndpoint.Port.
func (s *Server) agentAddress(ctx context.Context, nodeName string) (string, error) {
	obj, err := s.lookups.get(ctx, "", "nodes", "", nodeName)
	if err != nil {
		return "", err
	}
	node := obj.(*api.Node)
	host := nodeAddress(node)
	port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
	if host == "" || port <= 0 {
		return "", nodeAgentError(fmt.Sprintf("node %q does not report where its agent listens (status.addresses and status.daemonEndpoints.kubeletEndpoint.Port); is its node agent running?", nodeName))
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// nodeAddress is the first of the node's addresses by type: InternalIP,
// ExternalIP, Hostname.
func nodeAddress(node *api.Node) string {
	for _, typ := range []string{api.NodeInternalIP, api.NodeExternalIP, api.NodeHostName} {
		if addr := api.NodeAddressOf(node, typ); addr != "" {
			return addr
		}
	}
	return ""
}

// agentTLSConfig trusts the cluster CA only, and presents the apiserver's
// kubelet-client certificate.
func (s *Server) agentTLSConfig() *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(s.pki.ca.Cert)
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{s.pki.kubeletClient}, MinVersion: tls.VersionTLS12}
}

// proxyLog calls Logs on the agent at addr and copies the stream to w. Errors
// before the agent has opened the log become Statuses; after that the response
// has begun, and a broken stream just ends it.
func (s *Server) proxyLog(w http.ResponseWriter, r *http.Request, nodeName, addr string, req *agentv1.LogsRequest) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// A follow can last for hours: end it when the server shuts down.
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(credentials.NewTLS(s.agentTLSConfig())),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: agentConnectTimeout}))
	if err != nil {
		s.writeError(w, r, nodeAgentError(fmt.Sprintf("unable to reach the node agent of node %q at %s: %v", nodeName, addr, err)), nil)
		return
	}
	defer conn.Close()

	timer := time.AfterFunc(agentAnswerTimeout, cancel)
	stream, err := agentv1.NewAgentClient(conn).Logs(ctx, req)
	var first *agentv1.LogsChunk
	if err == nil {
		// Headers mean the agent has opened the log; none means the call
		// ended at once, and Recv says how.
		if md, _ := stream.Header(); md == nil {
			first, err = stream.Recv()
		}
	}
	timedOut := !timer.Stop()
	ended := err == io.EOF
	if err != nil && !ended {
		if r.Context().Err() != nil {
			return // the client went away
		}
		if timedOut {
			err = status.Errorf(codes.DeadlineExceeded, "no answer within %v", agentAnswerTimeout)
		}
		s.writeError(w, r, agentStatus(err, nodeName, addr), nil)
		return
	}

	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if req.Follow && flusher != nil {
			flusher.Flush()
		}
	}
	flush()
	for chunk := first; !ended; {
		if chunk != nil {
			if _, err := w.Write(chunk.GetData()); err != nil {
				return
			}
			flush()
		}
		if chunk, err = stream.Recv(); err != nil {
			if err != io.EOF && ctx.Err() == nil {
				s.log.Warn("log stream from node agent broke", "node", nodeName, "addr", addr,
					"pod", req.Namespace+"/"+req.PodName, "container", req.Container, "err", err)
			}
			return
		}
	}
}

// agentStatus turns an agent's gRPC error into a Status: what the agent says
// about the request (no such container, no previous attempt) is a 400 with its
// message, as kubelet's answers are; failing to reach it is a 500 that says so.
func agentStatus(err error, nodeName, addr string) *api.StatusError {
	st := status.Convert(err)
	switch st.Code() {
	case codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return api.NewBadRequest(st.Message())
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return nodeAgentError(fmt.Sprintf("unable to reach the node agent of node %q at %s: %s", nodeName, addr, st.Message()))
	case codes.Unauthenticated, codes.PermissionDenied:
		return nodeAgentError(fmt.Sprintf("the node agent of node %q at %s refused the apiserver: %s", nodeName, addr, st.Message()))
	}
	return nodeAgentError(fmt.Sprintf("the node agent of node %q at %s failed: %s: %s", nodeName, addr, st.Code(), st.Message()))
}

// nodeAgentError is a 500 whose message the user sees, like Kubernetes' errors
// for an unreachable kubelet.
func nodeAgentError(msg string) *api.StatusError {
	return api.NewGenericError(http.StatusInternalServerError, api.ReasonInternalError, msg)
}
