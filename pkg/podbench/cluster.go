package podbench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/schedbench"
)

// Where the cluster lives inside its network namespace: nothing else listens
// there, so fixed ports are free.
const (
	apiserverURL = "https://127.0.0.1:6443"
	nodeName     = "podbench-node"
	podCIDR      = "10.88.0.0/24"
	startTimeout = time.Minute
)

// cluster is a single-node Skiff (apiserver, scheduler, node agent) inside a
// network namespace it created, running containers in a containerd namespace
// of its own, like the e2e node harness. close removes all of it.
type cluster struct {
	cfg    Config
	id     string
	netns  string // name under /var/run/netns
	dir    string // data, logs, the agent's root directory
	ctrNS  string
	procs  []*schedbench.Process
	logs   []string // log files, by process
	agent  *schedbench.Process
	client *client.Client
	nsMade bool
}

func (c *cluster) netnsPath() string { return "/var/run/netns/" + c.netns }
func (c *cluster) rootDir() string   { return filepath.Join(c.dir, "agent") }
func (c *cluster) dataDir() string   { return filepath.Join(c.dir, "server") }
func (c *cluster) bin(name string) string {
	return filepath.Join(c.cfg.BinDir, name)
}

// startCluster starts everything and waits for the node to be Ready. On error
// it has already cleaned up.
func startCluster(ctx context.Context, cfg Config) (_ *cluster, err error) {
	id := fmt.Sprintf("%06d", rand.IntN(1_000_000))
	c := &cluster{cfg: cfg, id: id, netns: "skiff-podbench-" + id, ctrNS: "skiff-podbench-" + id}
	defer func() {
		if err != nil {
			c.dumpLogs()
			c.close()
		}
	}()
	if c.dir, err = os.MkdirTemp("", "podbench-"); err != nil {
		return nil, err
	}
	if err := run(ctx, "ip", "netns", "add", c.netns); err != nil {
		return nil, err
	}
	c.nsMade = true
	if err := run(ctx, "ip", "-n", c.netns, "link", "set", "lo", "up"); err != nil {
		return nil, err
	}

	// The image first: building it is the slow part, and nothing runs yet.
	archive := cfg.ImageArchive
	if archive == "" {
		archive = filepath.Join(c.dir, "busybox.tar")
		if err := run(ctx, cfg.ImageScript, archive, cfg.Image); err != nil {
			return nil, err
		}
	}
	if err := run(ctx, c.bin("nodeagent"), "import-image", archive, "--ref", cfg.Image,
		"--containerd-namespace", c.ctrNS, "--root-dir", c.rootDir(), "--containerd-address", cfg.ContainerdAddress); err != nil {
		return nil, err
	}

	if err := c.start("apiserver", "--data-dir", c.dataDir(), "--bind-address", "127.0.0.1", "--secure-port", "6443",
		"--embedded-etcd-client-url", "http://127.0.0.1:2379", "--embedded-etcd-peer-url", "http://127.0.0.1:2380",
		"--log-level", "warn"); err != nil {
		return nil, err
	}
	if err := c.waitAPIServer(ctx); err != nil {
		return nil, err
	}
	if err := c.start("scheduler", "--kubeconfig", filepath.Join(c.dataDir(), "scheduler.kubeconfig"),
		"--leader-elect=false", "--port", "0", "--log-level", "warn"); err != nil {
		return nil, err
	}
	nodeKC := filepath.Join(c.dataDir(), "node.kubeconfig")
	if err := run(ctx, c.bin("skiffctl"), "node-kubeconfig", nodeName, "--data-dir", c.dataDir(), "--out", nodeKC,
		"--serving-cert", filepath.Join(c.dataDir(), "agent.crt"), "--serving-key", filepath.Join(c.dataDir(), "agent.key"),
		"--node-ip", "127.0.0.1"); err != nil {
		return nil, err
	}
	if err := c.start("nodeagent", "--kubeconfig", nodeKC, "--node-name", nodeName, "--node-ip", "127.0.0.1",
		"--root-dir", c.rootDir(), "--containerd-namespace", c.ctrNS, "--containerd-address", cfg.ContainerdAddress,
		"--pod-cidr", podCIDR, "--max-pods", "250", "--healthz-port", agentHealthPort(cfg), "--log-level", agentLogLevel(cfg)); err != nil {
		return nil, err
	}
	c.agent = c.procs[len(c.procs)-1]
	if err := c.waitNodeReady(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// start runs a Skiff binary in the network namespace, its output in a log file.
func (c *cluster) start(name string, args ...string) error {
	logPath := filepath.Join(c.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close() // the child has its own descriptor
	p, err := schedbench.StartProcess(f, "nsenter", append([]string{"--net=" + c.netnsPath(), c.bin(name)}, args...)...)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c.procs = append(c.procs, p)
	c.logs = append(c.logs, logPath)
	return nil
}

// exited fails if a component has exited.
func (c *cluster) exited() error {
	for i, p := range c.procs {
		select {
		case <-p.Done():
			return fmt.Errorf("%s: %w", filepath.Base(c.logs[i]), p.Err())
		default:
		}
	}
	return nil
}

func (c *cluster) waitAPIServer(ctx context.Context) error {
	cfg, err := client.LoadKubeconfig(filepath.Join(c.dataDir(), "admin.kubeconfig"))
	for deadline := time.Now().Add(startTimeout); err != nil; {
		// The apiserver writes the kubeconfig on its first start.
		if err := c.exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the apiserver wrote no admin kubeconfig within %s: %w", startTimeout, err)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
		cfg, err = client.LoadKubeconfig(filepath.Join(c.dataDir(), "admin.kubeconfig"))
	}
	cfg.Dial = netnsDialer(c.netnsPath())
	cfg.UserAgent = "podbench"
	if c.client, err = client.New(cfg); err != nil {
		return err
	}
	return c.poll(ctx, "the apiserver to be ready", func() (bool, error) {
		_, err := c.client.Raw(ctx, client.Request{Method: "GET", Path: "/readyz"})
		return err == nil, nil
	})
}

func (c *cluster) waitNodeReady(ctx context.Context) error {
	return c.poll(ctx, "node "+nodeName+" to be Ready", func() (bool, error) {
		n, err := client.Nodes(c.client).Get(ctx, nodeName)
		if err != nil {
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == api.NodeReady {
				return cond.Status == api.ConditionTrue, nil
			}
		}
		return false, nil
	})
}

// poll calls cond until it is true, a component exits, or startTimeout passes.
func (c *cluster) poll(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(startTimeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if err := c.exited(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: not within %s", what, startTimeout)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// close stops the components (the agent first), removes the containers,
// images and state of the containerd namespace (nodeagent reset), the network
// namespace and the directory. It works on its own context: it runs after
// the benchmark's was cancelled too.
func (c *cluster) close() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	if c.dir != "" {
		errs = append(errs, run(ctx, c.bin("nodeagent"), "reset", "--containerd-namespace", c.ctrNS,
			"--root-dir", c.rootDir(), "--containerd-address", c.cfg.ContainerdAddress))
	}
	if c.nsMade {
		errs = append(errs, run(ctx, "ip", "netns", "del", c.netns))
	}
	if c.dir != "" && c.cfg.LogDir != "" {
		errs = append(errs, c.keepLogs())
	}
	if c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(c.cfg.Logs, "podbench: cleaning up:", err)
	}
}

// agentHealthPort serves the agent's /debug/pprof in the network namespace
// when a profile is wanted.
func agentHealthPort(cfg Config) string {
	if cfg.CPUProfile != "" {
		return "10248"
	}
	return "0"
}

// profileSeconds is how long the agent's CPU profile covers, from just
// before the creates: longer than the pods take to start here.
const profileSeconds = 10

// agentProfile writes the agent's CPU profile of the next seconds to path.
func (c *cluster) agentProfile(ctx context.Context, path string, seconds int) error {
	tr := &http.Transport{DialContext: netnsDialer(c.netnsPath())}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("http://127.0.0.1:10248/debug/pprof/profile?seconds=%d", seconds), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("agent profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func agentLogLevel(cfg Config) string {
	if cfg.LogDir != "" {
		return "debug"
	}
	return "info"
}

// keepLogs copies the components' logs to cfg.LogDir.
func (c *cluster) keepLogs() error {
	if err := os.MkdirAll(c.cfg.LogDir, 0o755); err != nil {
		return err
	}
	for _, path := range c.logs {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(c.cfg.LogDir, filepath.Base(path)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// dumpLogs prints the end of each component's log, for a failed run.
func (c *cluster) dumpLogs() {
	for _, path := range c.logs {
		fmt.Fprintf(c.cfg.Logs, "--- last lines of %s ---\n%s", filepath.Base(path), tail(path, 30))
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error() + "\n"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// run runs a command to completion, its output in the error if it fails.
func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
