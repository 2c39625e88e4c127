package apiserver

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"skiff/pkg/client"
	"skiff/pkg/pki"
)

// Files in the data directory.
const (
	CACertFile      = "ca.crt"
	CAKeyFile       = "ca.key"
	ServingCertFile = "apiserver.crt"
	ServingKeyFile  = "apiserver.key"
	AdminKubeconfig = "admin.kubeconfig"
	// SchedulerKubeconfig and ControllerManagerKubeconfig are the components'
	// own credentials.
	SchedulerKubeconfig         = "scheduler.kubeconfig"
	ControllerManagerKubeconfig = "controller-manager.kubeconfig"
	// ServiceAccountKeyFile signs service-account tokens.
	ServiceAccountKeyFile = "sa.key"
	// KubeletClientCertFile and KubeletClientKeyFile are the client
	// certificate the apiserver presents to node agents (pods/log).
	KubeletClientCertFile = "apiserver-kubelet-client.crt"
	KubeletClientKeyFile  = "apiserver-kubelet-client.key"
)

// clusterPKI is the CA and certificates the server runs with.
type clusterPKI struct {
	ca      *pki.CA
	serving tls.Certificate
	// kubeletClient is presented to node agents.
	kubeletClient tls.Certificate
}

// ensurePKI loads the cluster CA, serving certificate and admin kubeconfig from the
// data directory, creating what is missing. The serving certificate is re-issued
// when it lacks a required name or is close to expiry.
func ensurePKI(o *Options, serverURL string) (*clusterPKI, error) {
	dir := o.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caCert, caKey := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	ca, err := pki.LoadCA(caCert, caKey)
	if os.IsNotExist(err) {
		if ca, err = pki.NewCA("skiff-ca"); err != nil {
			return nil, err
		}
		if err := pki.WritePair(caCert, caKey, ca.Cert, ca.Key); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("load cluster CA: %w", err)
	}

	dns, ips := servingNames(append([]string{o.AdvertiseAddress}, o.TLSSANs...))
	certPath, keyPath := filepath.Join(dir, ServingCertFile), filepath.Join(dir, ServingKeyFile)
	cert, key, err := pki.LoadPair(certPath, keyPath)
	if err != nil || !covers(cert, dns, ips) || time.Until(cert.NotAfter) < 30*24*time.Hour ||
		cert.CheckSignatureFrom(ca.Cert) != nil {
		if key, err = pki.NewKey(); err != nil {
			return nil, err
		}
		if cert, err = ca.IssueServing("skiff-apiserver", dns, ips, key); err != nil {
			return nil, err
		}
		if err := pki.WritePair(certPath, keyPath, cert, key); err != nil {
			return nil, err
		}
	}
	serving := tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
	kubeletClient, err := ensureKubeletClient(ca, dir)
	if err != nil {
		return nil, err
	}

	for _, u := range kubeconfigUsers {
		kcPath := filepath.Join(dir, u.file)
		if kc, err := client.LoadKubeconfig(kcPath); err != nil || kc.Server != serverURL {
			if err := writeClientKubeconfig(ca, kcPath, serverURL, u.user, u.groups); err != nil {
				return nil, err
			}
		}
	}
	return &clusterPKI{ca: ca, serving: serving, kubeletClient: kubeletClient}, nil
}

// ensureKubeletClient loads the client certificate for node agents, issuing it
// (CN kube-apiserver-kubelet-client, no groups: it grants nothing against the
// apiserver itself) when it is missing, close to expiry or from another CA.
func ensureKubeletClient(ca *pki.CA, dir string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, KubeletClientCertFile), filepath.Join(dir, KubeletClientKeyFile)
	cert, key, err := pki.LoadPair(certPath, keyPath)
	if err != nil || cert.Subject.CommonName != pki.APIServerKubeletClientName ||
		time.Until(cert.NotAfter) < 30*24*time.Hour || cert.CheckSignatureFrom(ca.Cert) != nil {
		if key, err = pki.NewKey(); err != nil {
			return tls.Certificate{}, err
		}
		if cert, err = ca.IssueClient(pki.APIServerKubeletClientName, nil, key.Public()); err != nil {
			return tls.Certificate{}, err
		}
		if err := pki.WritePair(certPath, keyPath, cert, key); err != nil {
			return tls.Certificate{}, err
		}
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// servingNames are the SANs the serving certificate must have: localhost,
// 127.0.0.1, the host name and addresses, and the extra names asked for.
func servingNames(extra []string) ([]string, []net.IP) {
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if h, err := os.Hostname(); err == nil && h != "" {
		dns = append(dns, h)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				ips = append(ips, n.IP)
			}
		}
	}
	for _, s := range extra {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		} else if s != "" {
			dns = append(dns, s)
		}
	}
	return dns, ips
}

func covers(cert *x509.Certificate, dns []string, ips []net.IP) bool {
	if cert == nil {
		return false
	}
	for _, d := range dns {
		if !slices.Contains(cert.DNSNames, d) {
			return false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// kubeconfigUsers are the kubeconfigs written in the data directory: the
// administrator's, and one for each control-plane component, whose rights come
// from its RBAC role (system:kube-scheduler, system:kube-controller-manager).
var kubeconfigUsers = []struct {
	file, user string
	groups     []string
}{
	{AdminKubeconfig, "admin", []string{"system:masters"}},
	{SchedulerKubeconfig, "system:kube-scheduler", nil},
	{ControllerManagerKubeconfig, "system:kube-controller-manager", nil},
}

// writeClientKubeconfig issues a client certificate for a user and groups and
// writes a kubeconfig (0600) that uses it.
func writeClientKubeconfig(ca *pki.CA, path, serverURL, user string, groups []string) error {
	key, err := pki.NewKey()
	if err != nil {
		return err
	}
	cert, err := ca.IssueClient(user, groups, key.Public())
	if err != nil {
		return err
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return err
	}
	cfg := &client.Config{Server: serverURL, CAData: pki.EncodeCert(ca.Cert), CertData: pki.EncodeCert(cert), KeyData: keyPEM}
	data, err := cfg.Kubeconfig("skiff", user)
	if err != nil {
		return err
	}
	return pki.WriteFile(path, data, 0o600)
}
