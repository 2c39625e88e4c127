package bootstrap

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"path/filepath"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

// Credentials are the node's client and its certificate rotation.
type Credentials struct {
	// Client talks to the apiserver as system:node:<name>.
	Client *client.Client
	// Rotator renews the client certificate; nil when the kubeconfig's
	// certificate is not this node's own (then it is left alone).
	Rotator *Rotator
}

// NodeCredentials joins if needed (EnsureClientCredentials) and returns the
// node's client, whose certificate is renewed by Rotator.Run through a CSR
// the node makes as itself (approved as selfnodeclient); each renewal is
// written to pki/client.pem and into the kubeconfig.
func NodeCredentials(ctx context.Context, o Options) (*Credentials, error) {
	o.complete()
	cfg, err := EnsureClientCredentials(ctx, o)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
	if err != nil {
		return nil, err
	}
	if pair.Leaf.Subject.CommonName != "system:node:"+o.NodeName {
		c, err := client.New(cfg)
		return &Credentials{Client: c}, err
	}
	creds := &Credentials{}
	renew := func(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
		key, err := pki.NewKey()
		if err != nil {
			return nil, nil, err
		}
		cert, err := requestCertificate(ctx, creds.Client, key, clientRequest(o.NodeName), api.SignerKubeAPIServerClientKubelet, clientUsages, o.Wait)
		if err != nil {
			return nil, nil, err
		}
		if err := writePair(o.ClientCertPath(), cert, key); err != nil {
			return nil, nil, err
		}
		if err := writeKubeconfig(o.Kubeconfig, cfg, cert, key, "system:node:"+o.NodeName); err != nil {
			return nil, nil, err
		}
		return cert, key, nil
	}
	creds.Rotator = NewRotator("client", &pair, renew, func() { creds.Client.CloseIdleConnections() }, o.Clock, o.Logger)
	live := *cfg
	live.CertData, live.KeyData = nil, nil
	live.GetClientCertificate = creds.Rotator.GetClientCertificate
	if creds.Client, err = client.New(&live); err != nil {
		return nil, err
	}
	return creds, nil
}

// ServingCertificate returns a rotator for the serving certificate of the
// agent's log service, for the node's name and IP: the one in
// pki/serving.pem if it is valid and names them, else a new one from a CSR
// (signer kubelet-serving) made with c, the node's client.
func ServingCertificate(ctx context.Context, o Options, c *client.Client, nodeIP net.IP) (*Rotator, error) {
	o.complete()
	path := o.servingPath()
	renew := func(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
		key, err := pki.NewKey()
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.CertificateRequest{
			Subject:  pkix.Name{CommonName: "system:node:" + o.NodeName, Organization: []string{"system:nodes"}},
			DNSNames: []string{o.NodeName}, IPAddresses: []net.IP{nodeIP},
		}
		cert, err := requestCertificate(ctx, c, key, tmpl, api.SignerKubeletServing, servingUsages, o.Wait)
		if err != nil {
			return nil, nil, err
		}
		return cert, key, writePair(path, cert, key)
	}
	pair, err := loadPair(path)
	now := o.Clock.Now()
	if err != nil || now.Before(pair.Leaf.NotBefore) || !now.Before(pair.Leaf.NotAfter) ||
		!slices.Contains(pair.Leaf.DNSNames, o.NodeName) || !slices.ContainsFunc(pair.Leaf.IPAddresses, nodeIP.Equal) {
		cert, key, err := renew(ctx)
		if err != nil {
			return nil, fmt.Errorf("serving certificate: %w", err)
		}
		pair = &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
		o.Logger.Info("serving certificate issued", "dnsNames", cert.DNSNames, "ips", cert.IPAddresses, "notAfter", cert.NotAfter)
	}
	return NewRotator("serving", pair, renew, nil, o.Clock, o.Logger), nil
}

func (o *Options) servingPath() string {
	return filepath.Join(o.RootDir, PKIDir, ServingFile)
}
