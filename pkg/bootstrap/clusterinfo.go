package bootstrap

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"skiff/pkg/pki"
)

// The cluster-info ConfigMap in kube-public, readable without credentials: a
// kubeconfig with the server's URL and CA (no user) under KubeconfigKey, and
// one JWS signature of that kubeconfig per signing token under
// JWSKeyPrefix+<token id>, so a joining node holding a token can trust it.
const (
	ClusterInfoName = "cluster-info"
	KubeconfigKey   = "kubeconfig"
	JWSKeyPrefix    = "jws-kubeconfig-"
)

// clusterInfoConfig is the kubeconfig of cluster-info, in the shape kubeadm
// writes it: one cluster with an empty name, no users, no contexts.
type clusterInfoConfig struct {
	APIVersion     string         `json:"apiVersion"`
	Clusters       []namedCluster `json:"clusters"`
	Contexts       []struct{}     `json:"contexts"`
	CurrentContext string         `json:"current-context"`
	Kind           string         `json:"kind"`
	Preferences    struct{}       `json:"preferences"`
	Users          []struct{}     `json:"users"`
}

type namedCluster struct {
	Cluster struct {
		CertificateAuthorityData string `json:"certificate-authority-data"`
		Server                   string `json:"server"`
	} `json:"cluster"`
	Name string `json:"name"`
}

// ClusterInfoKubeconfig returns the kubeconfig cluster-info publishes: the
// server URL and the CA certificate (PEM).
func ClusterInfoKubeconfig(server string, caPEM []byte) string {
	var kc clusterInfoConfig
	kc.APIVersion, kc.Kind = "v1", "Config"
	kc.Clusters = make([]namedCluster, 1)
	kc.Clusters[0].Cluster.Server = server
	kc.Clusters[0].Cluster.CertificateAuthorityData = base64.StdEncoding.EncodeToString(caPEM)
	data, _ := yaml.Marshal(kc) // cannot fail: strings only
	return string(data)
}

// ParseClusterInfo reads the server URL and CA certificates (PEM, and the
// first one parsed) of a cluster-info kubeconfig.
func ParseClusterInfo(kubeconfig string) (server string, caPEM []byte, ca *x509.Certificate, err error) {
	var kc clusterInfoConfig
	if err := yaml.Unmarshal([]byte(kubeconfig), &kc); err != nil {
		return "", nil, nil, fmt.Errorf("bootstrap: cluster-info kubeconfig: %w", err)
	}
	if len(kc.Clusters) != 1 {
		return "", nil, nil, fmt.Errorf("bootstrap: cluster-info kubeconfig has %d clusters, want 1", len(kc.Clusters))
	}
	c := kc.Clusters[0].Cluster
	if !strings.HasPrefix(c.Server, "https://") {
		return "", nil, nil, fmt.Errorf("bootstrap: cluster-info server %q is not an https:// URL", c.Server)
	}
	caPEM, err = base64.StdEncoding.DecodeString(c.CertificateAuthorityData)
	if err != nil || len(caPEM) == 0 {
		return "", nil, nil, errors.New("bootstrap: cluster-info kubeconfig has no certificate-authority-data")
	}
	ca, err = pki.ParseCert(caPEM)
	if err != nil {
		return "", nil, nil, fmt.Errorf("bootstrap: cluster-info CA: %w", err)
	}
	return c.Server, caPEM, ca, nil
}

// CACertHash returns "sha256:<hex>" of the SHA-256 of the CA certificate's
// DER SubjectPublicKeyInfo: kubeadm's --discovery-token-ca-cert-hash.
func CACertHash(ca *x509.Certificate) string { return pki.CACertHash(ca) }

// ErrCAHashMismatch is returned by VerifyCACertHash when the CA is not the one
// pinned.
var ErrCAHashMismatch = errors.New("bootstrap: CA certificate hash mismatch")

// VerifyCACertHash checks that ca's public key has the pinned hash
// ("sha256:<hex>", hex in either case).
func VerifyCACertHash(ca *x509.Certificate, pinned string) error {
	algo, hexSum, ok := strings.Cut(pinned, ":")
	if !ok || algo != "sha256" || len(hexSum) != 64 {
		return fmt.Errorf("bootstrap: CA hash %q is not in the form sha256:<64 hex digits>", pinned)
	}
	if got := CACertHash(ca); got != "sha256:"+strings.ToLower(hexSum) {
		return fmt.Errorf("%w: the server's CA has %s, the join command pins %s", ErrCAHashMismatch, got, pinned)
	}
	return nil
}
