package doctor

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// serverTimeout bounds the request for the server's clock.
const serverTimeout = 5 * time.Second

// ServerURL turns https://HOST:PORT, HOST:PORT or HOST into the apiserver's
// base URL (https, port 6443 unless given).
func ServerURL(s string) (string, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("--server %q: want https://HOST:6443", raw)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("--server %q: the apiserver serves only HTTPS", raw)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(DefaultAPIServerPort))
	}
	return "https://" + u.Host, nil
}

// clock compares this machine's clock with the server's. ok is false when
// there is no server to compare with.
func (c *checker) clock(ctx context.Context) (Result, bool) {
	server, from := c.o.Server, "--server"
	if server == "" && c.o.Role.node() {
		server, from = c.joinServer(), c.o.NodeAgentEnvFile
	}
	if server == "" {
		return Result{}, false
	}
	r := Result{Check: "clock"}
	u, err := ServerURL(server)
	if err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("the server address in %s: %v", from, err)
		r.Fix = "give the apiserver's address: --server https://HOST:6443"
		return r, true
	}
	ctx, cancel := context.WithTimeout(ctx, serverTimeout)
	defer cancel()
	t, err := c.h.ServerClock(ctx, u)
	if err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("cannot reach the apiserver at %s: %v", u, err)
		r.Fix = "on the server: systemctl status skiff-apiserver; between the machines: TCP port 6443 open, same network"
		return r, true
	}
	if t.Date.IsZero() {
		r.Status = Warn
		r.Message = fmt.Sprintf("%s answered without a Date header: cannot compare clocks", u)
		r.Fix = "compare by hand: date -u here and on the server"
		return r, true
	}
	// Date has whole seconds: the server's clock was somewhere in
	// [Date, Date+1s) when it answered; take the middle.
	skew := t.Date.Add(500 * time.Millisecond).Sub(t.Local)
	abs := skew.Abs()
	server = u
	if t.Version != "" {
		server += " (" + t.Version + ")"
	}
	dir := "behind"
	if skew < 0 {
		dir = "ahead of"
	}
	if abs > ClockSkewLimit {
		r.Status = Warn
		r.Message = fmt.Sprintf("this clock is %s %s the server's %s: certificates and bootstrap tokens are checked against clocks",
			abs.Round(time.Second), dir, server)
		r.Fix = "keep every machine's clock in sync: apt-get install systemd-timesyncd (or chrony); timedatectl status"
		return r, true
	}
	r.Message = fmt.Sprintf("skew %s against the server %s (limit %s)", abs.Round(100*time.Millisecond), server, ClockSkewLimit)
	return r, true
}

// joinServer is the --server in SKIFF_JOIN_ARGS of the node agent's env file,
// or "".
func (c *checker) joinServer() string {
	f, err := os.Open(c.path(c.o.NodeAgentEnvFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "SKIFF_JOIN_ARGS=")
		if !ok {
			continue
		}
		args := strings.Fields(strings.Trim(v, `"'`))
		for i, a := range args {
			if s, ok := strings.CutPrefix(a, "--server="); ok {
				return s
			}
			if a == "--server" && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}

// ServerClock is the real Host.ServerClock: an unauthenticated GET /version
// over TLS without verifying the server (its CA is what a joining node does
// not have yet; only the Date header is used).
func ServerClock(ctx context.Context, base string) (ServerTime, error) {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
		Proxy:           nil,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/version", nil)
	if err != nil {
		return ServerTime{}, err
	}
	// Connect first, so the halfway point measures one round trip rather
	// than the TCP and TLS handshakes too.
	warm, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/version", nil)
	if err != nil {
		return ServerTime{}, err
	}
	if resp, err := tr.RoundTrip(warm); err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	sent := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return ServerTime{}, err
	}
	received := time.Now()
	defer resp.Body.Close()
	t := ServerTime{Local: sent.Add(received.Sub(sent) / 2)}
	if d := resp.Header.Get("Date"); d != "" {
		if t.Date, err = http.ParseTime(d); err != nil {
			return ServerTime{}, fmt.Errorf("Date header %q: %w", d, err)
		}
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10)); err == nil && json.Unmarshal(body, &v) == nil {
		t.Version = v.GitVersion
	}
	return t, nil
}
