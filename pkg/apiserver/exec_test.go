package apiserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"skiff/pkg/agent/logs"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// fakeCommands is an Executor for the fake agent, with a few commands:
//
//	cat        copies stdin to stdout
//	fail CODE  writes "out" to stdout, "err" to stderr, exits with CODE
//	size       prints the first terminal size it gets, and whether it has a TTY
func fakeCommands(ctx context.Context, t logs.Target, opts runtime.ExecOptions) (int32, error) {
	if t.Container != "app" {
		return -1, logs.NotFound(fmt.Sprintf("container %q in pod %q has not started on this node", t.Container, t.Pod))
	}
	switch opts.Cmd[0] {
	case "cat":
		if opts.Stdin != nil {
			if _, err := io.Copy(opts.Stdout, opts.Stdin); err != nil {
				return -1, err
			}
		}
		return 0, nil
	case "fail":
		io.WriteString(opts.Stdout, "out\n")
		io.WriteString(opts.Stderr, "err\n")
		var code int32
		fmt.Sscan(opts.Cmd[1], &code)
		return code, nil
	case "size":
		select {
		case sz := <-opts.Resize:
			fmt.Fprintf(opts.Stdout, "%dx%d tty=%v", sz.Width, sz.Height, opts.TTY)
			return 0, nil
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
	return -1, fmt.Errorf("%w: exec: %q: executable file not found in $PATH", runtime.ErrInvalidConfig, opts.Cmd[0])
}

// startExecCluster is the logs cluster (see startLogCluster) with a fake
// agent that also runs commands, as node-a: pods single (container app) and
// web (containers a and b) on node-a, pending on no node.
func startExecCluster(t *testing.T) *apiservertest.Server {
	t.Helper()
	s := apiservertest.Start(t)
	agent := startFakeAgent(t, s, logs.WithExecutor(fakeCommands))
	registerNode(t, s.Client, "node-a", "127.0.0.1", agent.port)
	createBoundPod(t, s.Client, "single", "node-a", "app")
	createBoundPod(t, s.Client, "web", "node-a", "a", "b")
	createBoundPod(t, s.Client, "pending", "", "app")
	createBoundPod(t, s.Client, "done", "node-a", "app")
	if err := s.Client.Do(context.Background(), client.Request{Method: "PATCH", Path: "/api/v1/namespaces/default/pods/done/status",
		ContentType: "application/merge-patch+json", Body: map[string]any{"status": map[string]any{"phase": api.PodSucceeded}}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPodExecKubectl: kubectl exec runs commands through the apiserver and
// the agent's Exec; kubectl 1.20 (SPDY only) is told why it cannot.
func TestPodExecKubectl(t *testing.T) {
	s := startExecCluster(t)
	for version, bin := range kubectls(t) {
		t.Run(version, func(t *testing.T) {
			run := func(stdin string, args ...string) (string, int) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				args = append([]string{"--kubeconfig", s.Kubeconfig, "--cache-dir", t.TempDir(), "--namespace", "default"}, args...)
				cmd := exec.CommandContext(ctx, bin, args...)
				cmd.Stdin = strings.NewReader(stdin)
				out, err := cmd.CombinedOutput()
				if ee, ok := err.(*exec.ExitError); ok {
					return string(out), ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				return string(out), 0
			}
			if version == "1.20" {
				out, code := run("", "exec", "single", "--", "fail", "3")
				if code == 0 || !strings.Contains(out, "pods/exec is served over WebSocket only") || !strings.Contains(out, "use kubectl 1.30 or later") {
					t.Errorf("kubectl 1.20 exec: exit %d\n%s", code, out)
				}
				return
			}
			for _, tt := range []struct {
				stdin    string
				args     []string
				want     []string
				wantCode int
			}{
				{"", []string{"exec", "single", "--", "fail", "3"}, []string{"out\n", "err\n"}, 3},
				{"", []string{"exec", "single", "--", "fail", "0"}, []string{"out\n", "err\n"}, 0},
				{"hi\nthere\n", []string{"exec", "-i", "single", "--", "cat"}, []string{"hi\nthere\n"}, 0},
				{"", []string{"exec", "web", "-c", "b", "--", "cat"}, []string{`container "b" in pod "web" has not started on this node`}, 1},
				{"", []string{"exec", "single", "--", "nope"}, []string{`"nope": executable file not found`}, 1},
				{"", []string{"exec", "pending", "--", "cat"}, []string{"pod pending does not have a host assigned"}, 1},
				{"", []string{"exec", "done", "--", "cat"}, []string{"cannot exec into a container in a completed pod; current phase is Succeeded"}, 1},
				{"", []string{"exec", "web", "-c", "nope", "--", "cat"}, []string{"container nope is not valid for pod web"}, 1},
			} {
				out, code := run(tt.stdin, tt.args...)
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("kubectl %s: output lacks %q:\n%s", strings.Join(tt.args, " "), w, out)
					}
				}
				if code != tt.wantCode {
					t.Errorf("kubectl %s: exit code %d, want %d:\n%s", strings.Join(tt.args, " "), code, tt.wantCode, out)
				}
			}
		})
	}
}

// wsDial opens pods/exec on s as the admin with the given subprotocols.
func wsDial(t *testing.T, s *apiservertest.Server, query string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	cfg, err := client.LoadKubeconfig(s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(cfg.CAData)
	cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}, Subprotocols: protocols}
	u := strings.Replace(cfg.Server, "https://", "wss://", 1) + "/api/v1/namespaces/default/pods/single/exec?" + query
	return d.Dial(u, nil)
}

// wsRead reads messages until the server closes, and returns the data of
// each stream.
func wsRead(t *testing.T, c *websocket.Conn) map[byte]string {
	t.Helper()
	got := map[byte]string{}
	for {
		typ, data, err := c.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("connection ended with %v, want a normal close", err)
			}
			return got
		}
		if typ != websocket.BinaryMessage || len(data) == 0 {
			t.Fatalf("message type %d, %q", typ, data)
		}
		got[data[0]] += string(data[1:])
	}
}

// wsRun opens pods/exec with one subprotocol, sends msgs, and returns what
// each stream received until the server closed.
func wsRun(t *testing.T, s *apiservertest.Server, query, protocol string, msgs ...[]byte) map[byte]string {
	t.Helper()
	c, resp, err := wsDial(t, s, query, protocol)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := resp.Header.Get("Sec-Websocket-Protocol"); p != protocol {
		t.Errorf("subprotocol %q, want %q", p, protocol)
	}
	for _, m := range msgs {
		if err := c.WriteMessage(websocket.BinaryMessage, m); err != nil {
			t.Fatal(err)
		}
	}
	return wsRead(t, c)
}

// finalStatus decodes the Status on the error stream.
func finalStatus(t *testing.T, got map[byte]string) api.Status {
	t.Helper()
	var st api.Status
	if err := json.Unmarshal([]byte(got[3]), &st); err != nil {
		t.Fatalf("status %q: %v", got[3], err)
	}
	return st
}

// TestPodExecWebSocket checks the channel protocol byte by byte.
func TestPodExecWebSocket(t *testing.T) {
	s := startExecCluster(t)
	success := `{"metadata":{},"status":"Success"}`

	t.Run("v5: output, exit code, stdin closed", func(t *testing.T) {
		got := wsRun(t, s, "command=cat&stdin=true&stdout=true&stderr=true", "v5.channel.k8s.io",
			append([]byte{0}, "ping\n"...), []byte{255, 0})
		if got[1] != "ping\n" || got[3] != success {
			t.Errorf("got %q", got)
		}
	})

	t.Run("v4: non-zero exit", func(t *testing.T) {
		got := wsRun(t, s, "command=fail&command=7&stdout=true&stderr=true", "v4.channel.k8s.io")
		st := finalStatus(t, got)
		if got[1] != "out\n" || got[2] != "err\n" || st.Status != "Failure" || st.Reason != "NonZeroExitCode" ||
			st.Details == nil || len(st.Details.Causes) != 1 || st.Details.Causes[0] != (api.StatusCause{Type: "ExitCode", Message: "7"}) {
			t.Errorf("got %q", got)
		}
	})

	t.Run("tty: resize, no stderr", func(t *testing.T) {
		got := wsRun(t, s, "command=size&stdin=true&stdout=true&stderr=true&tty=true", "v5.channel.k8s.io",
			append([]byte{4}, `{"Width":100,"Height":30}`...))
		if got[1] != "100x30 tty=true" || got[3] != success {
			t.Errorf("got %q", got)
		}
	})

	t.Run("agent's error on the error stream", func(t *testing.T) {
		st := finalStatus(t, wsRun(t, s, "command=nope&stdout=true", "v5.channel.k8s.io"))
		if st.Status != "Failure" || st.Code != 400 || !strings.Contains(st.Message, "executable file not found") {
			t.Errorf("status %+v", st)
		}
	})

	t.Run("unsupported subprotocol", func(t *testing.T) {
		_, resp, err := wsDial(t, s, "command=cat&stdout=true", "channel.k8s.io")
		if err == nil || resp == nil || resp.StatusCode != 400 {
			t.Fatalf("got %v, %v; want a 400", resp, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), "v5.channel.k8s.io") {
			t.Errorf("body %s", b)
		}
	})
}
