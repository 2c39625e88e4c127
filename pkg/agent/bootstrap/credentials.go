// Package bootstrap gives a node agent its credentials, as the kubelet's TLS
// bootstrap does: with a bootstrap token it discovers the cluster
// (kube-public/cluster-info, signed with the token, its CA pinned by hash),
// asks for a client certificate (CN system:node:<name>, O system:nodes) with a
// CertificateSigningRequest and writes the key, certificate and kubeconfig
// under the agent's root directory. It also gets the serving certificate of
// the agent's log service, and rotates both before they expire, without a
// restart.
//
//	no valid node.kubeconfig? ─▶ Discover (anonymous, TLS unverified, JWS + CA hash)
//	   ─▶ CSR as system:bootstrap:<id> ─▶ csrapproving + csrsigning ─▶ pki/client.pem, node.kubeconfig
//	running: at 80% of the certificate's life ─▶ CSR as system:node:<name> ─▶ both files rewritten
//
// A node may join again under a name that is already registered, from
// another machine too (as Kubernetes allows): the bootstrap token is what is
// trusted, and it may name any node.
package bootstrap

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

// Files under the agent's root directory.
const (
	PKIDir         = "pki"
	ClientCertFile = "client.pem"  // the client certificate and its key, 0600
	ServingFile    = "serving.pem" // the log service's certificate and key, 0600
)

// DefaultWait bounds how long a CSR may wait for approval and signing.
const DefaultWait = 5 * time.Minute

// Options say how to get a node's credentials.
type Options struct {
	// Kubeconfig is the node's kubeconfig: used if it holds a valid client
	// certificate, written otherwise.
	Kubeconfig string
	// RootDir holds pki/ (keys and certificates, 0600).
	RootDir  string
	NodeName string
	// Server, Token and CAHash join the cluster (nodeagent --server, --token,
	// --discovery-token-ca-cert-hash); without a token the kubeconfig must
	// already be valid.
	Server, Token, CAHash string
	// Wait bounds the wait for each certificate (DefaultWait if 0).
	Wait   time.Duration
	Logger *slog.Logger
	// Clock is time.Now and timers outside tests.
	Clock Clock
}

func (o *Options) complete() {
	if o.Wait == 0 {
		o.Wait = DefaultWait
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
}

// ClientCertPath is where the node's client certificate and key live.
func (o *Options) ClientCertPath() string { return filepath.Join(o.RootDir, PKIDir, ClientCertFile) }

// EnsureClientCredentials makes sure Kubeconfig holds usable credentials for
// the node: if it exists and its client certificate is valid now, nothing is
// done; otherwise, with a token, the node joins (Discover, then a CSR) and
// the kubeconfig is written. It returns the loaded kubeconfig.
func EnsureClientCredentials(ctx context.Context, o Options) (*client.Config, error) {
	o.complete()
	cfg, why := usableKubeconfig(o.Kubeconfig, o.Clock.Now())
	if why == nil {
		return cfg, nil
	}
	if o.Token == "" {
		return nil, fmt.Errorf("no usable credentials in %s (%v): join with --server, --token and --discovery-token-ca-cert-hash (from `skiffctl token create` on the server)", o.Kubeconfig, why)
	}
	if o.Server == "" {
		return nil, errors.New("--server is required with --token (skiffctl token create prints the whole command)")
	}
	o.Logger.Info("joining the cluster with a bootstrap token", "server", o.Server, "node", o.NodeName, "reason", why.Error())
	cluster, err := Discover(ctx, o.Server, o.Token, o.CAHash)
	if err != nil {
		return nil, err
	}
	bootstrapClient, err := client.New(&client.Config{Server: cluster.Server, CAData: cluster.CAPEM, Token: o.Token, UserAgent: "skiff-nodeagent-bootstrap"})
	if err != nil {
		return nil, err
	}
	key, err := pki.NewKey()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	cert, err := requestCertificate(ctx, bootstrapClient, key, clientRequest(o.NodeName), api.SignerKubeAPIServerClientKubelet, clientUsages, o.Wait)
	if err != nil {
		return nil, err
	}
	if err := writePair(o.ClientCertPath(), cert, key); err != nil {
		return nil, err
	}
	cfg = &client.Config{Server: cluster.Server, CAData: cluster.CAPEM}
	if err := writeKubeconfig(o.Kubeconfig, cfg, cert, key, "system:node:"+o.NodeName); err != nil {
		return nil, err
	}
	o.Logger.Info("joined: client certificate issued", "subject", cert.Subject.String(), "notAfter", cert.NotAfter,
		"kubeconfig", o.Kubeconfig, "took", time.Since(start).Round(time.Millisecond))
	cfg, why = usableKubeconfig(o.Kubeconfig, o.Clock.Now())
	if why != nil {
		return nil, fmt.Errorf("the kubeconfig just written: %w", why)
	}
	return cfg, nil
}

var (
	clientUsages  = []string{api.UsageDigitalSignature, api.UsageKeyEncipherment, api.UsageClientAuth}
	servingUsages = []string{api.UsageDigitalSignature, api.UsageKeyEncipherment, api.UsageServerAuth}
)

func clientRequest(node string) *x509.CertificateRequest {
	return &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}}}
}

// usableKubeconfig loads a kubeconfig and checks its client certificate is
// valid at now; the error says why it is not usable.
func usableKubeconfig(path string, now time.Time) (*client.Config, error) {
	cfg, err := client.LoadKubeconfig(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("it does not exist")
		}
		return nil, err
	}
	if len(cfg.CertData) == 0 {
		return nil, errors.New("it has no client certificate")
	}
	pair, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
	if err != nil {
		return nil, fmt.Errorf("its client certificate: %w", err)
	}
	if now.Before(pair.Leaf.NotBefore) || !now.Before(pair.Leaf.NotAfter) {
		return nil, fmt.Errorf("its client certificate is valid only from %s to %s", pair.Leaf.NotBefore.Format(time.RFC3339), pair.Leaf.NotAfter.Format(time.RFC3339))
	}
	return cfg, nil
}

// writePair writes a certificate and its key into one PEM file (0600), as the
// kubelet's *-current.pem: they can never be out of step.
func writePair(path string, cert *x509.Certificate, key crypto.Signer) error {
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return err
	}
	return pki.WriteFile(path, append(pki.EncodeCert(cert), keyPEM...), 0o600)
}

// loadPair reads a file written by writePair.
func loadPair(path string) (*tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(data, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &pair, nil
}

// writeKubeconfig writes the node's kubeconfig (0600) with the cluster of cfg
// and the certificate and key embedded; every renewal writes it again.
func writeKubeconfig(path string, cfg *client.Config, cert *x509.Certificate, key crypto.Signer, user string) error {
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return err
	}
	kc := &client.Config{Server: cfg.Server, CAData: cfg.CAData, CertData: pki.EncodeCert(cert), KeyData: keyPEM}
	data, err := kc.Kubeconfig("skiff", user)
	if err != nil {
		return err
	}
	return pki.WriteFile(path, data, 0o600)
}
