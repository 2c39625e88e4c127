package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"

	"skiff/pkg/api"
	"skiff/proto/agentv1"
)

// pods/exec speaks Kubernetes' WebSocket remote command protocol (what
// kubectl 1.30 and later use; older kubectl speaks SPDY only, which Skiff does
// not): one binary WebSocket message per chunk, its first byte naming the
// stream. The constants are k8s.io/apimachinery/pkg/util/remotecommand's.
const (
	execProtocolV5 = "v5.channel.k8s.io" // v4 plus the stream-close message
	execProtocolV4 = "v4.channel.k8s.io"

	streamStdin  = 0
	streamStdout = 1
	streamStderr = 2
	streamError  = 3 // the final Status, JSON
	streamResize = 4 // terminal sizes, JSON {"Width":..,"Height":..}
	// streamClose (v5): the client closed the stream named by the next byte
	// (stdin, when its input ended).
	streamClose = 255

	// execWriteWait bounds one write to the client, as client-go's does.
	execWriteWait = 60 * time.Second
	// execCloseWait bounds the wait for the client's answer to our close
	// message, after which the connection is closed anyway.
	execCloseWait = 5 * time.Second
	// execMaxMessage bounds a message from the client (kubectl sends 32 KiB
	// chunks of stdin).
	execMaxMessage = 1 << 20
	// reasonNonZeroExitCode and causeExitCode are how the final Status tells
	// kubectl the command's exit code.
	reasonNonZeroExitCode = "NonZeroExitCode"
	causeExitCode         = "ExitCode"
)

// execProtocols are the subprotocols pods/exec speaks, preferred first.
var execProtocols = []string{execProtocolV5, execProtocolV4}

// execOptions are the query parameters of pods/exec (Kubernetes'
// PodExecOptions).
type execOptions struct {
	command                    []string
	container                  string
	stdin, stdout, stderr, tty bool
}

// serveExec serves pods/{name}/exec, what `kubectl exec` calls: it checks the
// request against the API (pod, container, node), upgrades the connection to
// a WebSocket and relays the streams to the Exec rpc of the agent on the pod's
// node (proto/agent.proto), as pods/log does for Logs. Authorization is
// `create` on pods/exec for GET and POST alike (request.Parse sees to it).
// Errors found before the upgrade are Statuses in the HTTP response; after it,
// they are the Status on the error stream, which is also where the exit code
// goes.
func (c *call) serveExec(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		c.s.writeError(w, r, methodNotAllowed(r, "pods/exec"), c.res)
		return
	}
	ctx := r.Context()
	opts, err := parseExecOptions(r.URL.Query())
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	pod, container, addr, err := c.podAgent(ctx, opts.container, func(pod *api.Pod) error {
		if pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed {
			return api.NewBadRequest(fmt.Sprintf("cannot exec into a container in a completed pod; current phase is %s", pod.Status.Phase))
		}
		return nil
	})
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	proto, err := execProtocol(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	up := websocket.Upgrader{
		Subprotocols:    []string{proto},
		ReadBufferSize:  32 * 1024,
		WriteBufferSize: 32 * 1024,
		Error: func(w http.ResponseWriter, r *http.Request, code int, reason error) {
			writeStatus(w, r, api.NewGenericError(code, api.ReasonBadRequest, "upgrading to a WebSocket failed: "+reason.Error()))
		},
		// CheckOrigin is left to its default: a browser page of another
		// origin may not use the user's client certificate to exec.
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	start := &agentv1.ExecStart{Namespace: pod.Namespace, PodName: pod.Name, PodUid: pod.UID, Container: container,
		Command: opts.command, Stdin: opts.stdin, Tty: opts.tty}
	c.s.relayExec(ctx, newExecConn(ws, proto), pod.Spec.NodeName, addr, start, opts)
}

// execProtocol picks the subprotocol of a WebSocket request, or explains
// what is wrong.
func execProtocol(r *http.Request) (string, error) {
	if !websocket.IsWebSocketUpgrade(r) {
		msg := "pods/exec is served over WebSocket only (subprotocol " + strings.Join(execProtocols, " or ") +
			", as kubectl 1.30 and later speak)"
		if up := r.Header.Get("Upgrade"); up != "" {
			msg += fmt.Sprintf("; this client asked to upgrade to %q (SPDY, which kubectl before 1.30 uses and Skiff does not speak): use kubectl 1.30 or later", up)
		}
		return "", api.NewBadRequest(msg)
	}
	asked := websocket.Subprotocols(r)
	for _, p := range execProtocols {
		for _, a := range asked {
			if a == p {
				return p, nil
			}
		}
	}
	return "", api.NewBadRequest(fmt.Sprintf("pods/exec speaks the WebSocket subprotocols %s; the client asked for %q",
		strings.Join(execProtocols, ", "), asked))
}

// parseExecOptions reads and validates the query as Kubernetes does.
func parseExecOptions(q url.Values) (execOptions, error) {
	o := execOptions{command: q["command"], container: q.Get("container"),
		stdin: queryBool(q, "stdin"), stdout: queryBool(q, "stdout"), stderr: queryBool(q, "stderr"), tty: queryBool(q, "tty")}
	if len(o.command) == 0 || o.command[0] == "" {
		return o, api.NewBadRequest("you must specify at least 1 command")
	}
	if !o.stdin && !o.stdout && !o.stderr {
		return o, api.NewBadRequest("you must specify at least one of stdin, stdout, stderr")
	}
	// With a terminal, stderr is the terminal too (Kubernetes does the same).
	if o.tty {
		o.stderr = false
	}
	return o, nil
}

// relayExec runs the command through the agent's Exec rpc and relays the
// streams between it and the WebSocket, then sends the final Status and
// closes the connection.
func (s *Server) relayExec(ctx context.Context, ws *execConn, nodeName, addr string, start *agentv1.ExecStart, opts execOptions) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A shell can last for hours: end it when the server shuts down.
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	readerDone := make(chan struct{})
	defer func() {
		ws.close(readerDone)
	}()

	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(credentials.NewTLS(s.agentTLSConfig())),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: agentConnectTimeout}))
	if err != nil {
		go ws.drain(readerDone)
		ws.writeStatus(nodeAgentError(fmt.Sprintf("unable to reach the node agent of node %q at %s: %v", nodeName, addr, err)).ErrStatus)
		return
	}
	defer conn.Close()
	stream, err := agentv1.NewAgentClient(conn).Exec(ctx)
	if err == nil {
		err = stream.Send(&agentv1.ExecRequest{Msg: &agentv1.ExecRequest_Start{Start: start}})
		if err == io.EOF {
			_, err = stream.Recv() // the agent ended the call: why
		}
	}
	if err != nil {
		go ws.drain(readerDone)
		ws.writeStatus(agentStatus(err, nodeName, addr).ErrStatus)
		return
	}

	// Client → agent: stdin, its end, resizes. A broken or closed connection
	// ends the call (the agent kills the command).
	go func() {
		defer close(readerDone)
		defer cancel()
		ws.readLoop(func(m *agentv1.ExecRequest) error { return stream.Send(m) }, opts)
	}()

	// Agent → client.
	for {
		m, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return // the client went away, or the server is stopping
			}
			if err == io.EOF {
				err = errors.New("the node agent ended the call without an exit code")
			}
			ws.writeStatus(agentStatus(err, nodeName, addr).ErrStatus)
			return
		}
		switch msg := m.GetMsg().(type) {
		case *agentv1.ExecResponse_Stdout:
			if opts.stdout {
				err = ws.write(streamStdout, msg.Stdout)
			}
		case *agentv1.ExecResponse_Stderr:
			if opts.stderr {
				err = ws.write(streamStderr, msg.Stderr)
			}
		case *agentv1.ExecResponse_ExitCode:
			ws.writeStatus(exitStatus(msg.ExitCode, start.Command))
			return
		}
		if err != nil {
			return // the client is gone
		}
	}
}

// exitStatus is the final Status for a command that exited, as the kubelet
// writes it: Success for 0, else a NonZeroExitCode Failure whose ExitCode
// cause kubectl turns into its own exit code.
func exitStatus(code int32, cmd []string) api.Status {
	if code == 0 {
		return api.Status{Status: api.StatusSuccess}
	}
	return api.Status{
		Status:  api.StatusFailure,
		Reason:  reasonNonZeroExitCode,
		Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command %v, exit code %d", cmd, code),
		Details: &api.StatusDetails{Causes: []api.StatusCause{{Type: causeExitCode, Message: strconv.Itoa(int(code))}}},
	}
}

// execConn is the WebSocket of one exec: writes from one goroutine at a time,
// reads from another.
type execConn struct {
	ws    *websocket.Conn
	proto string
	mu    sync.Mutex // serializes writes
}

func newExecConn(ws *websocket.Conn, proto string) *execConn {
	ws.SetReadLimit(execMaxMessage)
	return &execConn{ws: ws, proto: proto}
}

// write sends data as one message on stream id.
func (c *execConn) write(id byte, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(execWriteWait)); err != nil {
		return err
	}
	w, err := c.ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte{id}); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// writeStatus sends the final Status on the error stream. Its TypeMeta is
// left out, as the kubelet leaves it out.
func (c *execConn) writeStatus(st api.Status) {
	st.TypeMeta = api.TypeMeta{}
	b, err := json.Marshal(st)
	if err != nil {
		return
	}
	_ = c.write(streamError, b)
}

// readLoop reads the client's messages until the connection ends and passes
// them on with send.
func (c *execConn) readLoop(send func(*agentv1.ExecRequest) error, opts execOptions) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.BinaryMessage || len(data) == 0 {
			continue
		}
		var m *agentv1.ExecRequest
		switch data[0] {
		case streamStdin:
			if opts.stdin && len(data) > 1 {
				m = &agentv1.ExecRequest{Msg: &agentv1.ExecRequest_Stdin{Stdin: data[1:]}}
			}
		case streamResize:
			var sz struct{ Width, Height uint16 }
			if opts.tty && json.Unmarshal(data[1:], &sz) == nil {
				m = &agentv1.ExecRequest{Msg: &agentv1.ExecRequest_Resize{Resize: &agentv1.TerminalSize{Width: uint32(sz.Width), Height: uint32(sz.Height)}}}
			}
		case streamClose:
			if c.proto == execProtocolV5 && len(data) == 2 && data[1] == streamStdin && opts.stdin {
				m = &agentv1.ExecRequest{Msg: &agentv1.ExecRequest_CloseStdin{CloseStdin: true}}
			}
		}
		if m == nil {
			continue
		}
		if err := send(m); err != nil {
			return
		}
	}
}

// drain reads and drops the client's messages until the connection ends, then
// closes done.
func (c *execConn) drain(done chan<- struct{}) {
	defer close(done)
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return
		}
	}
}

// close ends the connection with a close message; it waits (up to
// execCloseWait) for the client's answer, which readLoop reads, so that what
// was sent last is not lost to a reset.
func (c *execConn) close(readerDone <-chan struct{}) {
	c.mu.Lock()
	err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(execWriteWait))
	c.mu.Unlock()
	if err == nil {
		_ = c.ws.SetReadDeadline(time.Now().Add(execCloseWait))
		<-readerDone
	}
	c.ws.Close()
}
