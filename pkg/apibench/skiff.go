package apibench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SkiffProcess is a Skiff apiserver started for the benchmark.
type SkiffProcess struct {
	Kubeconfig string
	// URL and CAFile are where the server is and the CA that signs its certificate.
	URL, CAFile string
	StartUp     time.Duration
	cmd         *exec.Cmd
	dir         string
}

// BenchTokens is the static token file StartSkiff gives the server: a user bound
// to nothing (apibench binds it) and one in system:masters.
const (
	RBACUserToken    = "apibench-rbac-token"
	MastersUserToken = "apibench-masters-token"
	RBACUser         = "apibench-rbac"
)

// StartSkiff starts bin/apiserver with a fresh data directory on free loopback
// ports and returns once /readyz answers; StartUp is the time from exec to ready.
func StartSkiff(bin string) (*SkiffProcess, error) {
	dir, err := os.MkdirTemp("", "apibench-skiff-")
	if err != nil {
		return nil, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	lines := RBACUserToken + "," + RBACUser + ",9001\n" + MastersUserToken + ",apibench-masters,9002,\"system:masters\"\n"
	if err := os.WriteFile(tokens, []byte(lines), 0o600); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", ports[0])
	cmd := exec.Command(bin, "--data-dir", dir, "--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(ports[0]),
		"--embedded-etcd-client-url", fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		"--embedded-etcd-peer-url", fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
		"--token-auth-file", tokens, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Only /readyz's answer is timed here; certificates are checked by the
	// benchmark client itself.
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &SkiffProcess{Kubeconfig: filepath.Join(dir, "admin.kubeconfig"), URL: url, CAFile: filepath.Join(dir, "ca.crt"), cmd: cmd, dir: dir}
	for time.Since(start) < 30*time.Second {
		if resp, err := probe.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.StartUp = time.Since(start)
				return p, nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("skiff apiserver not ready within 30s")
}

// RSS returns the resident memory of the process in MiB.
func (p *SkiffProcess) RSS() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.cmd.Process.Pid)
}

// Stop terminates the process and removes its data.
func (p *SkiffProcess) Stop() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	os.RemoveAll(p.dir)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// WaitIdle gives a fresh server a moment to settle before its idle memory is read.
func WaitIdle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
}
