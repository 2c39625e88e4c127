package bootstrap_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"skiff/pkg/agent/bootstrap"
	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
	"skiff/pkg/controller"
	"skiff/pkg/controller/bootstrapsigner"
	"skiff/pkg/controller/controllertest"
	"skiff/pkg/controller/csrapproving"
	"skiff/pkg/controller/csrsigning"
	"skiff/pkg/controller/tokencleaner"
	"skiff/pkg/pki"
)

// cluster is a real apiserver with the join controllers running in-process.
type cluster struct {
	*apiservertest.Server
	caHash string
}

// startCluster runs the apiserver and the bootstrap signer, token cleaner
// and, if approve, the CSR approver and signer, as the controller-manager.
func startCluster(t *testing.T, approve bool) *cluster {
	t.Helper()
	s := apiservertest.Start(t)
	cc := controllertest.NewContext(t, s)
	ctrls := []controller.Controller{bootstrapsigner.New(cc), tokencleaner.New(cc)}
	if approve {
		signer, err := csrsigning.New(cc, csrsigning.Options{}.WithDefaults(filepath.Join(s.DataDir, apiserver.ControllerManagerKubeconfig)))
		if err != nil {
			t.Fatal(err)
		}
		ctrls = append(ctrls, csrapproving.New(cc), signer)
	}
	controllertest.Start(t, cc, ctrls...)
	ca, err := pki.LoadCA(filepath.Join(s.DataDir, apiserver.CACertFile), filepath.Join(s.DataDir, apiserver.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{Server: s, caHash: bt.CACertHash(ca.Cert)}
}

// token creates a bootstrap token, as skiffctl token create does, and waits
// until cluster-info is signed with it (if it signs and has not expired).
func (c *cluster) token(t *testing.T, tok string, expires time.Time, usages ...string) string {
	t.Helper()
	s, ok := bt.NewSecret(tok, "test", expires, usages, []string{"system:bootstrappers:skiff:default-node-token"})
	if !ok {
		t.Fatalf("bad token %s", tok)
	}
	if _, err := client.Secrets(c.Client, api.NamespaceSystem).Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	id, _, _ := bt.ParseToken(tok)
	if len(usages) == 0 || usages[len(usages)-1] != "signing" || (!expires.IsZero() && expires.Before(time.Now())) {
		return tok
	}
	controllertest.WaitFor(t, "cluster-info signed for "+id, func() (bool, error) {
		cm, err := client.ConfigMaps(c.Client, api.NamespacePublic).Get(context.Background(), bt.ClusterInfoName)
		return err == nil && cm.Data[bt.JWSKeyPrefix+id] != "", err
	})
	return tok
}

func (c *cluster) options(t *testing.T, node, tok string) bootstrap.Options {
	dir := t.TempDir()
	return bootstrap.Options{Kubeconfig: filepath.Join(dir, "node.kubeconfig"), RootDir: dir, NodeName: node,
		Server: c.URL(), Token: tok, CAHash: c.caHash, Logger: controllertest.Logger(t)}
}

func csrCount(t *testing.T, c *client.Client) int {
	t.Helper()
	l, err := client.CertificateSigningRequests(c).List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}

func TestJoin(t *testing.T) {
	c := startCluster(t, true)
	ctx := context.Background()
	tok := c.token(t, "abcdef.0123456789abcdef", time.Now().Add(time.Hour), "authentication", "signing")

	o := c.options(t, "n1", tok)
	creds, err := bootstrap.NodeCredentials(ctx, o)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	// The node acts as system:node:n1: it may register itself, not another.
	if _, err := client.Nodes(creds.Client).Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}}); err != nil {
		t.Fatalf("n1 registers its Node: %v", err)
	}
	if _, err := client.Nodes(creds.Client).Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: "n2"}}); !api.IsForbidden(err) {
		t.Errorf("n1 registers n2: %v, want 403", err)
	}
	leaf := creds.Rotator.Current().Leaf
	if leaf.Subject.CommonName != "system:node:n1" || len(leaf.Subject.Organization) != 1 || leaf.Subject.Organization[0] != "system:nodes" {
		t.Errorf("client certificate subject %s", leaf.Subject)
	}
	for _, f := range []string{o.Kubeconfig, o.ClientCertPath()} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi.Mode(), err)
		}
	}
	// The CSR was approved automatically, as a bootstrap client certificate.
	csrs, _ := client.CertificateSigningRequests(c.Client).List(ctx, client.ListOptions{})
	if len(csrs.Items) != 1 || !strings.HasPrefix(csrs.Items[0].Name, "node-csr-") || csrs.Items[0].Spec.Username != "system:bootstrap:abcdef" {
		t.Fatalf("CSRs: %+v", csrs.Items)
	}
	if cond, _ := api.CSRCondition(csrs.Items[0], api.CertificateApproved); cond.Reason != csrapproving.ReasonAutoApproved {
		t.Errorf("approval %+v", cond)
	}

	// The serving certificate of the log service, from the node's own CSR.
	serving, err := bootstrap.ServingCertificate(ctx, o, creds.Client, net.ParseIP("127.0.0.1"))
	if err != nil {
		t.Fatalf("serving certificate: %v", err)
	}
	sl := serving.Current().Leaf
	if len(sl.DNSNames) != 1 || sl.DNSNames[0] != "n1" || len(sl.IPAddresses) != 1 || !sl.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Errorf("serving SANs %v %v", sl.DNSNames, sl.IPAddresses)
	}

	// A restart reuses what it has: no token needed, no new CSR.
	before := csrCount(t, c.Client)
	o.Token = ""
	again, err := bootstrap.NodeCredentials(ctx, o)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if _, err := client.Nodes(again.Client).Get(ctx, "n1"); err != nil {
		t.Errorf("after restart: %v", err)
	}
	if _, err := bootstrap.ServingCertificate(ctx, o, again.Client, net.ParseIP("127.0.0.1")); err != nil {
		t.Errorf("serving after restart: %v", err)
	}
	if after := csrCount(t, c.Client); after != before {
		t.Errorf("a restart made %d CSRs", after-before)
	}

	// Another machine joins under the same name: allowed, as in Kubernetes.
	other := c.options(t, "n1", tok)
	creds2, err := bootstrap.NodeCredentials(ctx, other)
	if err != nil {
		t.Fatalf("rejoin as n1: %v", err)
	}
	n, err := client.Nodes(creds2.Client).Get(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Nodes(creds2.Client).Update(ctx, n); err != nil {
		t.Errorf("the rejoined n1 updates its Node: %v", err)
	}
}

func TestJoinRefused(t *testing.T) {
	c := startCluster(t, true)
	ctx := context.Background()
	good := c.token(t, "abcdef.0123456789abcdef", time.Now().Add(time.Hour), "authentication", "signing")
	expired := c.token(t, "expire.0123456789abcdef", time.Now().Add(-time.Minute), "authentication", "signing")
	noAuth := c.token(t, "noauth.0123456789abcdef", time.Now().Add(time.Hour), "signing")
	wrongHash := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name      string
		tok, hash string
		wantErr   error
		wantMsg   string
	}{
		{"wrong secret", "abcdef.0123456789abcdee", c.caHash, bootstrap.ErrTokenNotValid, "skiffctl token create"},
		{"unknown token", "zzzzzz.0123456789abcdef", c.caHash, bootstrap.ErrTokenNotValid, "skiffctl token create"},
		{"expired token", expired, c.caHash, bootstrap.ErrTokenNotValid, "skiffctl token create"},
		{"token the apiserver refuses (401)", noAuth, c.caHash, bootstrap.ErrTokenNotValid, "the token is expired or unknown: create a new one with `skiffctl token create`"},
		{"CA hash mismatch", good, wrongHash, bt.ErrCAHashMismatch, "hash mismatch"},
		{"malformed hash", good, "sha256:abc", nil, "sha256:<64 hex digits>"},
		{"malformed token", "abcdef.0123456789ABCDEF", c.caHash, nil, "not a bootstrap token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := c.options(t, "n1", tc.tok)
			o.CAHash = tc.hash
			_, err := bootstrap.NodeCredentials(ctx, o)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v; want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
			if _, secret, ok := bt.ParseToken(tc.tok); ok && strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the token's secret: %v", err)
			}
			if _, err := os.Stat(o.Kubeconfig); !os.IsNotExist(err) {
				t.Errorf("a kubeconfig was written: %v", err)
			}
		})
	}
}

// Without the approver, a CSR waits: an administrator may deny it, and
// otherwise the wait ends saying what to check.
func TestJoinDeniedAndTimeout(t *testing.T) {
	c := startCluster(t, false)
	ctx := context.Background()
	tok := c.token(t, "abcdef.0123456789abcdef", time.Now().Add(time.Hour), "authentication", "signing")

	o := c.options(t, "n1", tok)
	o.Wait = 500 * time.Millisecond
	_, err := bootstrap.NodeCredentials(ctx, o)
	if !errors.Is(err, bootstrap.ErrTimeout) || !strings.Contains(err.Error(), "controller-manager") || !strings.Contains(err.Error(), "kubectl certificate approve node-csr-") {
		t.Fatalf("no approver: %v", err)
	}

	seen := map[string]bool{}
	l, _ := client.CertificateSigningRequests(c.Client).List(ctx, client.ListOptions{})
	for _, csr := range l.Items {
		seen[csr.Name] = true
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the administrator denies the next CSR
		defer wg.Done()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			l, _ := client.CertificateSigningRequests(c.Client).List(ctx, client.ListOptions{})
			for _, csr := range l.Items {
				if !seen[csr.Name] {
					csr.Status.Conditions = []api.CertificateSigningRequestCondition{{Type: api.CertificateDenied, Status: "True", Reason: "NotToday", Message: "no"}}
					if _, err := client.UpdateApproval(ctx, c.Client, csr); err == nil {
						return
					}
				}
			}
		}
	}()
	o = c.options(t, "n1", tok)
	o.Wait = 30 * time.Second
	_, err = bootstrap.NodeCredentials(ctx, o)
	wg.Wait()
	if !errors.Is(err, bootstrap.ErrDenied) || !strings.Contains(err.Error(), "NotToday") {
		t.Fatalf("denied: %v", err)
	}
}

// onceClock lets the first wait pass at once and holds every later one.
type onceClock struct{ n atomic.Int32 }

func (*onceClock) Now() time.Time { return time.Now() }
func (c *onceClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if c.n.Add(1) == 1 {
		ch <- time.Now()
	}
	return ch
}

// Renewal goes through the cluster as the node itself (selfnodeclient), and
// the client switches to the new certificate without being rebuilt.
func TestClientCertificateRotation(t *testing.T) {
	c := startCluster(t, true)
	ctx := context.Background()
	tok := c.token(t, "abcdef.0123456789abcdef", time.Now().Add(time.Hour), "authentication", "signing")
	o := c.options(t, "n1", tok)
	o.Clock = &onceClock{}
	creds, err := bootstrap.NodeCredentials(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	old := creds.Rotator.Current().Leaf
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { creds.Rotator.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	controllertest.WaitFor(t, "a renewed client certificate", func() (bool, error) {
		return creds.Rotator.Current().Leaf.SerialNumber.Cmp(old.SerialNumber) != 0, nil
	})
	renewed := creds.Rotator.Current().Leaf
	onDisk, err := client.LoadKubeconfig(o.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err := pki.ParseCert(onDisk.CertData); err != nil || cert.SerialNumber.Cmp(renewed.SerialNumber) != 0 {
		t.Errorf("the kubeconfig's certificate is not the renewed one: %v", err)
	}
	creds.Client.CloseIdleConnections()
	if _, err := client.Nodes(creds.Client).Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}}); err != nil {
		t.Errorf("with the renewed certificate: %v", err)
	}
	csrs, _ := client.CertificateSigningRequests(c.Client).List(ctx, client.ListOptions{})
	var self int
	for _, csr := range csrs.Items {
		if csr.Spec.Username == "system:node:n1" && api.CSRHasCondition(csr, api.CertificateApproved) {
			self++
		}
	}
	if self != 1 {
		t.Errorf("%d approved CSRs by system:node:n1, want 1 (the renewal)", self)
	}
}
