package apiserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/agent/logs"
	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

// fakeAgent is a node agent that serves logs (and exec, with an option): the
// real logs service over files in a temporary directory, on 127.0.0.1, with a serving certificate from
// the test cluster's CA.
type fakeAgent struct {
	dir  string
	port int32

	mu      sync.Mutex
	running map[string]bool // uid/container → the current attempt runs
}

func startFakeAgent(t *testing.T, s *apiservertest.Server, opts ...logs.Option) *fakeAgent {
	t.Helper()
	ca, err := pki.LoadCA(filepath.Join(s.DataDir, apiserver.CACertFile), filepath.Join(s.DataDir, apiserver.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueServing("system:node:node-a", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, key)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAgent{dir: t.TempDir(), port: int32(lis.Addr().(*net.TCPAddr).Port), running: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	tlsConfig := logs.ServerTLSConfig(ca.Cert, tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert})
	go func() {
		errc <- logs.Serve(ctx, lis, tlsConfig, a.resolve, append([]logs.Option{logs.WithPollInterval(10 * time.Millisecond)}, opts...)...)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("fake agent: %v", err)
		}
	})
	return a
}

// path is attempt 0's log, or attempt -1's (the previous one).
func (a *fakeAgent) path(uid, container string, previous bool) string {
	name := "1.log"
	if previous {
		name = "0.log"
	}
	return filepath.Join(a.dir, "pods", uid, container, name)
}

func (a *fakeAgent) resolve(_ context.Context, t logs.Target) (logs.Source, error) {
	p := a.path(t.PodUID, t.Container, t.Previous)
	if _, err := os.Stat(p); err != nil {
		if t.Previous {
			return logs.Source{}, logs.NotFound(`previous terminated container "` + t.Container + `" in pod "` + t.Pod + `" not found`)
		}
		return logs.Source{}, logs.NotFound(`container "` + t.Container + `" in pod "` + t.Pod + `" is waiting to start`)
	}
	key := t.PodUID + "/" + t.Container
	if t.Previous {
		return logs.Source{Path: p}, nil
	}
	return logs.Source{Path: p, Done: func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return !a.running[key]
	}}, nil
}

func (a *fakeAgent) write(t *testing.T, uid, container string, previous bool, content string) {
	t.Helper()
	p := a.path(uid, container, previous)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

func (a *fakeAgent) setRunning(uid, container string, running bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running[uid+"/"+container] = running
}

// registerNode creates a Node whose status says where an agent listens.
func registerNode(t *testing.T, c *client.Client, name, ip string, port int32) {
	t.Helper()
	ctx := context.Background()
	n, err := client.Nodes(c).Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: name}})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []api.NodeAddress{{Type: api.NodeHostName, Address: name}, {Type: api.NodeInternalIP, Address: ip}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = port
	if _, err := client.Nodes(c).UpdateStatus(ctx, n); err != nil {
		t.Fatal(err)
	}
}

// createBoundPod creates a pod with the named containers, bound to node ("" for none).
func createBoundPod(t *testing.T, c *client.Client, name, node string, containers ...string) *api.Pod {
	t.Helper()
	p := makePod("default", name, nil)
	p.Spec.Containers = nil
	for _, n := range containers {
		p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: n, Image: "busybox"})
	}
	p = mustCreatePod(t, c, p)
	if node != "" {
		err := client.Bind(context.Background(), c, &api.Binding{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
			Target: api.ObjectReference{Kind: "Node", Name: node}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// logCluster is an apiserver with a fake agent as node-a, and pods whose logs
// are in the agent's files: web (containers a and b, a with a previous
// attempt) and single (one container, app) on node-a; pending, bound to no
// node; stranded, on a node whose agent is down; mute, on a node that reports
// no agent port.
type logCluster struct {
	*apiservertest.Server
	agent       *fakeAgent
	web, single *api.Pod
}

func startLogCluster(t *testing.T) *logCluster {
	t.Helper()
	s := apiservertest.Start(t)
	agent := startFakeAgent(t, s)
	registerNode(t, s.Client, "node-a", "127.0.0.1", agent.port)
	// A node whose agent does not listen: a port that was free a moment ago.
	ports, err := apiservertest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	registerNode(t, s.Client, "node-down", "127.0.0.1", int32(ports[0]))
	registerNode(t, s.Client, "node-silent", "127.0.0.1", 0)

	web := createBoundPod(t, s.Client, "web", "node-a", "a", "b")
	single := createBoundPod(t, s.Client, "single", "node-a", "app")
	createBoundPod(t, s.Client, "pending", "", "app")
	createBoundPod(t, s.Client, "stranded", "node-down", "app")
	createBoundPod(t, s.Client, "mute", "node-silent", "app")
	agent.write(t, string(web.UID), "a", false, "a1\na2\na3\n")
	agent.write(t, string(web.UID), "b", false, "b1\n")
	agent.write(t, string(web.UID), "a", true, "crashed\n")
	agent.write(t, string(single.UID), "app", false, "only\n")
	return &logCluster{Server: s, agent: agent, web: web, single: single}
}

// TestPodLog: pods/log is proxied to the agent of the pod's node.
func TestPodLog(t *testing.T) {
	lc := startLogCluster(t)
	s, agent, web := lc.Server, lc.agent, lc.web

	t.Run("the apiserver's client certificate for agents", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(s.DataDir, apiserver.KubeletClientKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("key mode %v, want 0600", fi.Mode().Perm())
		}
		cert, _, err := pki.LoadPair(filepath.Join(s.DataDir, apiserver.KubeletClientCertFile), filepath.Join(s.DataDir, apiserver.KubeletClientKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if cert.Subject.CommonName != pki.APIServerKubeletClientName || len(cert.Subject.Organization) != 0 {
			t.Errorf("subject %v, want CN %s and no groups", cert.Subject, pki.APIServerKubeletClientName)
		}
	})

	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name     string
		pod      string
		query    url.Values
		header   http.Header
		wantCode int
		want     string // the body, or a part of the Status message
	}{
		{name: "named container", pod: "web", query: q("container", "a"), wantCode: 200, want: "a1\na2\na3\n"},
		{name: "other container", pod: "web", query: q("container", "b"), wantCode: 200, want: "b1\n"},
		{name: "the only container by default", pod: "single", wantCode: 200, want: "only\n"},
		{name: "tailLines", pod: "web", query: q("container", "a", "tailLines", "2"), wantCode: 200, want: "a2\na3\n"},
		{name: "limitBytes", pod: "web", query: q("container", "a", "limitBytes", "4"), wantCode: 200, want: "a1\na"},
		{name: "sinceSeconds, written just now", pod: "web", query: q("container", "a", "sinceSeconds", "60"), wantCode: 200, want: "a1\na2\na3\n"},
		{name: "previous", pod: "web", query: q("container", "a", "previous", "true"), wantCode: 200, want: "crashed\n"},
		{name: "no previous attempt", pod: "web", query: q("container", "b", "previous", "true"),
			wantCode: 400, want: `previous terminated container "b" in pod "web" not found`},
		{name: "container name needed", pod: "web",
			wantCode: 400, want: "a container name must be specified for pod web, choose one of: [a b]"},
		{name: "unknown container", pod: "web", query: q("container", "c"),
			wantCode: 400, want: "container c is not valid for pod web"},
		{name: "unbound pod", pod: "pending",
			wantCode: 400, want: "pod pending does not have a host assigned"},
		{name: "no such pod", pod: "nope", wantCode: 404, want: `pods "nope" not found`},
		{name: "negative tailLines", pod: "web", query: q("container", "a", "tailLines", "-1"),
			wantCode: 422, want: "tailLines: Invalid value: -1: must be greater than or equal to 0"},
		{name: "malformed limitBytes", pod: "web", query: q("container", "a", "limitBytes", "x"), wantCode: 400, want: "invalid limitBytes"},
		{name: "node agent down", pod: "stranded",
			wantCode: 500, want: `unable to reach the node agent of node "node-down" at 127.0.0.1:`},
		{name: "node without an agent port", pod: "mute",
			wantCode: 500, want: `node "node-silent" does not report where its agent listens`},
		{name: "viewers may read logs", pod: "single", header: http.Header{"Impersonate-User": {"viewer"}}, wantCode: 200, want: "only\n"},
		{name: "others may not", pod: "single", header: http.Header{"Impersonate-User": {"stranger"}},
			wantCode: 403, want: `pods "single" is forbidden: User "stranger" cannot get resource "pods/log"`},
	}
	if err := s.Client.Do(context.Background(), client.Request{Method: "POST", Path: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
		Body: roleBinding("viewer-view", "ClusterRole", "view", userSubject("viewer"))}); err != nil {
		t.Fatal(err)
	}
	// RBAC reads bindings from a cache: wait until the binding is seen.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp := call(t, s.Client, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/pods/single",
			Header: http.Header{"Impersonate-User": {"viewer"}}})
		if resp.code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view binding did not take effect: %d %s", resp.code, resp.body)
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := call(t, s.Client, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/pods/" + tt.pod + "/log",
				Query: tt.query, Header: tt.header, Accept: "application/json, */*"})
			if resp.code != tt.wantCode {
				t.Fatalf("code %d, want %d; body %s", resp.code, tt.wantCode, resp.body)
			}
			if tt.wantCode == 200 {
				if string(resp.body) != tt.want {
					t.Errorf("body %q, want %q", resp.body, tt.want)
				}
				if ct := resp.header.Get("Content-Type"); ct != "text/plain" {
					t.Errorf("Content-Type %q, want text/plain", ct)
				}
				return
			}
			if !strings.Contains(resp.status.Message, tt.want) {
				t.Errorf("Status message %q does not contain %q", resp.status.Message, tt.want)
			}
		})
	}

	t.Run("follow", func(t *testing.T) {
		agent.setRunning(string(web.UID), "b", true)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := s.Client.Send(ctx, client.Request{Method: "GET", Path: "/api/v1/namespaces/default/pods/web/log",
			Query: q("container", "b", "follow", "true", "timestamps", "true"), Accept: "*/*"})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("code %d", resp.StatusCode)
		}
		lines := bufio.NewReader(resp.Body)
		readLine := func() string {
			t.Helper()
			l, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v (so far %q)", err, l)
			}
			return l
		}
		// Lines written before the request carry no time; lines read while
		// following do.
		if l := readLine(); l != "b1\n" {
			t.Fatalf("got %q, want the existing line", l)
		}
		agent.write(t, string(web.UID), "b", false, "b2\n")
		if l := readLine(); !strings.HasSuffix(l, " b2\n") || !strings.HasPrefix(l, time.Now().UTC().Format("2006-01-02T")) {
			t.Fatalf("got %q, want a stamped b2", l)
		}
		agent.write(t, string(web.UID), "b", false, "b3\n")
		if l := readLine(); !strings.HasSuffix(l, " b3\n") {
			t.Fatalf("got %q, want b3", l)
		}
		// The container ends: so does the stream.
		agent.setRunning(string(web.UID), "b", false)
		rest, err := io.ReadAll(lines)
		if err != nil || len(rest) != 0 {
			t.Fatalf("after the container ended: %q, %v", rest, err)
		}
	})
}

// kubectls are the kubectl binaries at hand: the one on PATH and those `make
// e2e-tools` builds.
func kubectls(t *testing.T) map[string]string {
	bins := map[string]string{}
	if bin, err := exec.LookPath("kubectl"); err == nil {
		bins["path"] = bin
	}
	for _, v := range []string{"1.20", "1.37"} {
		if bin, err := filepath.Abs("../../e2e/bin/kubectl-" + v); err == nil {
			if _, err := os.Stat(bin); err == nil {
				bins[v] = bin
			}
		}
	}
	if len(bins) == 0 {
		t.Skip("no kubectl installed")
	}
	return bins
}

// TestPodLogKubectl: kubectl logs and kubectl logs -f work through the
// apiserver and a node agent.
func TestPodLogKubectl(t *testing.T) {
	lc := startLogCluster(t)
	for version, bin := range kubectls(t) {
		t.Run(version, func(t *testing.T) {
			kubectl := func(ctx context.Context, args ...string) *exec.Cmd {
				args = append([]string{"--kubeconfig", lc.Kubeconfig, "--cache-dir", t.TempDir(), "--namespace", "default"}, args...)
				return exec.CommandContext(ctx, bin, args...)
			}
			run := func(args ...string) (string, error) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				out, err := kubectl(ctx, args...).CombinedOutput()
				return string(out), err
			}
			for _, tt := range []struct {
				args    []string
				want    string
				wantErr bool
			}{
				{[]string{"logs", "web", "-c", "a"}, "a1\na2\na3\n", false},
				{[]string{"logs", "single"}, "only\n", false},
				{[]string{"logs", "web", "-c", "a", "--tail=1"}, "a3\n", false},
				{[]string{"logs", "web", "-c", "a", "--previous"}, "crashed\n", false},
				{[]string{"logs", "pending"}, "pod pending does not have a host assigned", true},
				{[]string{"logs", "stranded"}, `unable to reach the node agent of node "node-down"`, true},
			} {
				out, err := run(tt.args...)
				if (err != nil) != tt.wantErr || !strings.Contains(out, tt.want) {
					t.Errorf("kubectl %s: %v\n%s\nwant %q", strings.Join(tt.args, " "), err, out, tt.want)
				}
			}

			// kubectl logs -f prints lines as they come and exits when the
			// container ends.
			container := "b"
			lc.agent.setRunning(string(lc.web.UID), container, true)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var out syncBuffer
			cmd := kubectl(ctx, "logs", "-f", "web", "-c", container)
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			waitOutput := func(want string) {
				t.Helper()
				for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), want); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("kubectl logs -f never printed %q; got:\n%s", want, out.String())
					}
				}
			}
			waitOutput("b1\n")
			line := "follow " + version + "\n"
			lc.agent.write(t, string(lc.web.UID), container, false, line)
			waitOutput(line)
			lc.agent.setRunning(string(lc.web.UID), container, false)
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("kubectl logs -f: %v\n%s", err, out.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("kubectl logs -f did not exit after the container ended:\n%s", out.String())
			}
		})
	}
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
