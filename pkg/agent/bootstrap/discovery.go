package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"skiff/pkg/api"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
)

// ErrTokenNotValid means the token cannot join this cluster: cluster-info
// carries no valid signature for it, or the apiserver refuses it (unknown,
// expired).
var ErrTokenNotValid = errors.New("bootstrap: token not valid for this cluster")

// Cluster is what discovery learns: where the apiserver is and which CA to
// trust for it.
type Cluster struct {
	Server string
	CAPEM  []byte
}

// Discover finds the cluster as kubeadm join does with a token: it reads
// kube-public/cluster-info anonymously from server *without* verifying the
// TLS certificate (the node has no CA yet), checks the JWS signature of its
// kubeconfig made with the token's secret (so the content comes from someone
// holding the token: the cluster), then pins the CA in it against caHash.
// Errors wrap ErrTokenNotValid or bt.ErrCAHashMismatch and say what to do.
func Discover(ctx context.Context, server, token, caHash string) (*Cluster, error) {
	id, secret, ok := bt.ParseToken(token)
	if !ok {
		return nil, fmt.Errorf("--token: %q is not a bootstrap token: 6 and 16 characters [a-z0-9] joined by a dot", redact(token))
	}
	if caHash == "" {
		return nil, errors.New("--discovery-token-ca-cert-hash is required with --token (skiffctl token create prints it)")
	}
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not a URL like https://10.0.0.1:6443", server)
	}
	insecure, err := client.New(&client.Config{Server: server, Insecure: true, UserAgent: "skiff-nodeagent-bootstrap"})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cm, err := client.ConfigMaps(insecure, api.NamespacePublic).Get(rctx, bt.ClusterInfoName)
	if err != nil {
		return nil, fmt.Errorf("read cluster-info from %s: %w (is the apiserver running there, and is --server right?)", server, err)
	}
	content, ok := cm.Data[bt.KubeconfigKey]
	if !ok {
		return nil, fmt.Errorf("cluster-info at %s has no kubeconfig", server)
	}
	sig, ok := cm.Data[bt.JWSKeyPrefix+id]
	if !ok {
		return nil, fmt.Errorf("%w: cluster-info at %s has no signature for token id %q (the token is unknown, expired, or the controller-manager's bootstrapsigner has not signed yet); create a new one with `skiffctl token create` on the server", ErrTokenNotValid, server, id)
	}
	if !bt.DetachedSignatureValid(sig, content, id, secret) {
		return nil, fmt.Errorf("%w: the signature of cluster-info at %s does not match token %s.<secret> (wrong secret?); create a new one with `skiffctl token create` on the server", ErrTokenNotValid, server, id)
	}
	srv, caPEM, ca, err := bt.ParseClusterInfo(content)
	if err != nil {
		return nil, err
	}
	if err := bt.VerifyCACertHash(ca, caHash); err != nil {
		return nil, fmt.Errorf("refusing to trust %s: %w; check --discovery-token-ca-cert-hash against what `skiffctl token create` printed", server, err)
	}
	return &Cluster{Server: srv, CAPEM: caPEM}, nil
}

// redact hides the secret half of something that looks like a token.
func redact(token string) string {
	if i := strings.IndexByte(token, '.'); i >= 0 {
		return token[:i] + ".<secret>"
	}
	return "<secret>"
}
