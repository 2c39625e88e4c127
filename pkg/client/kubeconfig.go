package client

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config is how to reach and authenticate to an apiserver: what one context of a
// kubeconfig file resolves to.
type Config struct {
	// Server is the base URL, e.g. https://127.0.0.1:6443.
	Server string
	// CAData is the PEM CA bundle that signs the server's certificate.
	CAData []byte
	// CertData and KeyData are a PEM client certificate and key.
	CertData, KeyData []byte
	// Token is a bearer token.
	Token string
	// GetClientCertificate, if set, supplies the client certificate for each
	// new connection instead of CertData/KeyData, so a certificate can be
	// rotated without a new client (as client-go's certificate manager does).
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	// Insecure skips verifying the server's certificate (for tests against a
	// server whose CA is not known; never for real clusters).
	Insecure bool
	// UserAgent is sent with every request.
	UserAgent string
	// QPS and Burst throttle requests on the client side; 0 means no limit.
	QPS   float64
	Burst int
	// Dial, if set, opens the connections to the server instead of the
	// default dialer (e.g. inside another network namespace).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// kubeconfig is the subset of the kubeconfig file format Skiff reads and writes.
type kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Users          []namedUser    `json:"users"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
}

type namedCluster struct {
	Name    string `json:"name"`
	Cluster struct {
		Server                   string `json:"server"`
		CertificateAuthority     string `json:"certificate-authority,omitempty"`
		CertificateAuthorityData string `json:"certificate-authority-data,omitempty"`
		InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify,omitempty"`
	} `json:"cluster"`
}

type namedUser struct {
	Name string `json:"name"`
	User struct {
		ClientCertificate     string `json:"client-certificate,omitempty"`
		ClientCertificateData string `json:"client-certificate-data,omitempty"`
		ClientKey             string `json:"client-key,omitempty"`
		ClientKeyData         string `json:"client-key-data,omitempty"`
		Token                 string `json:"token,omitempty"`
		TokenFile             string `json:"tokenFile,omitempty"`
	} `json:"user"`
}

type namedContext struct {
	Name    string `json:"name"`
	Context struct {
		Cluster   string `json:"cluster"`
		User      string `json:"user"`
		Namespace string `json:"namespace,omitempty"`
	} `json:"context"`
}

// LoadKubeconfig reads the current context of a kubeconfig file. Relative file
// paths inside it are relative to the file, as kubectl resolves them.
func LoadKubeconfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if kc.CurrentContext == "" && len(kc.Contexts) == 1 {
		kc.CurrentContext = kc.Contexts[0].Name
	}
	var ctxName, clusterName, userName string
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			ctxName, clusterName, userName = c.Name, c.Context.Cluster, c.Context.User
		}
	}
	if ctxName == "" {
		return nil, fmt.Errorf("kubeconfig %s: current context %q not found", path, kc.CurrentContext)
	}
	dir := filepath.Dir(path)
	cfg := &Config{}
	found := false
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		found = true
		cfg.Server = c.Cluster.Server
		cfg.Insecure = c.Cluster.InsecureSkipTLSVerify
		if cfg.CAData, err = dataOrFile(c.Cluster.CertificateAuthorityData, c.Cluster.CertificateAuthority, dir); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: cluster %q: %w", path, clusterName, err)
		}
	}
	if !found {
		return nil, fmt.Errorf("kubeconfig %s: cluster %q not found", path, clusterName)
	}
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		if cfg.CertData, err = dataOrFile(u.User.ClientCertificateData, u.User.ClientCertificate, dir); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: user %q: %w", path, userName, err)
		}
		if cfg.KeyData, err = dataOrFile(u.User.ClientKeyData, u.User.ClientKey, dir); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: user %q: %w", path, userName, err)
		}
		cfg.Token = u.User.Token
		if u.User.TokenFile != "" {
			tok, err := os.ReadFile(resolve(u.User.TokenFile, dir))
			if err != nil {
				return nil, fmt.Errorf("kubeconfig %s: user %q: %w", path, userName, err)
			}
			cfg.Token = strings.TrimSpace(string(tok))
		}
	}
	if cfg.Server == "" {
		return nil, fmt.Errorf("kubeconfig %s: no server for cluster %q", path, clusterName)
	}
	return cfg, nil
}

func dataOrFile(b64, file, dir string) ([]byte, error) {
	if b64 != "" {
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, errors.New("invalid base64 data")
		}
		return data, nil
	}
	if file == "" {
		return nil, nil
	}
	return os.ReadFile(resolve(file, dir))
}

func resolve(path, dir string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// Kubeconfig renders cfg as a kubeconfig file with embedded credentials, with one
// cluster, user and context named name.
func (cfg *Config) Kubeconfig(name, user string) ([]byte, error) {
	kc := kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: name}
	var c namedCluster
	c.Name = name
	c.Cluster.Server = cfg.Server
	c.Cluster.CertificateAuthorityData = base64.StdEncoding.EncodeToString(cfg.CAData)
	var u namedUser
	u.Name = user
	if len(cfg.CertData) > 0 {
		u.User.ClientCertificateData = base64.StdEncoding.EncodeToString(cfg.CertData)
		u.User.ClientKeyData = base64.StdEncoding.EncodeToString(cfg.KeyData)
	}
	u.User.Token = cfg.Token
	var x namedContext
	x.Name = name
	x.Context.Cluster, x.Context.User = name, user
	kc.Clusters, kc.Users, kc.Contexts = []namedCluster{c}, []namedUser{u}, []namedContext{x}
	return yaml.Marshal(kc)
}
