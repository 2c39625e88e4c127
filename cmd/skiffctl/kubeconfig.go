package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"

	"skiff/pkg/api/labels"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

// nodeKubeconfig issues a node agent's client certificate (CN
// system:node:NAME, O system:nodes) from the cluster CA in the apiserver's data
// directory and writes a kubeconfig that uses it. It runs on the server, with
// access to ca.key; joining machines over the network with bootstrap tokens is
// the lab-cluster work.
func nodeKubeconfig(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("node-kubeconfig", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "/var/lib/skiff/server", "the apiserver's data directory (holds ca.crt, ca.key, admin.kubeconfig)")
	outPath := fs.String("out", "", "write the kubeconfig here (0600) instead of standard output")
	servingCert := fs.String("serving-cert", "", "also write a serving certificate for the agent's log service here (needs --node-ip)")
	servingKey := fs.String("serving-key", "", "and its key (0600)")
	nodeIP := fs.String("node-ip", "", "the node's InternalIP, named in the serving certificate")
	server := fs.String("server", "", "the apiserver URL the node uses, e.g. https://10.0.0.10:6443 (default: admin.kubeconfig's, which is loopback when the apiserver binds all addresses)")
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return errors.New("node-kubeconfig needs a node name: skiffctl node-kubeconfig NODE --data-dir DIR")
	}
	if errs := labels.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("node name %q: %s", name, strings.Join(errs, "; "))
	}
	ca, err := pki.LoadCA(filepath.Join(*dataDir, "ca.crt"), filepath.Join(*dataDir, "ca.key"))
	if err != nil {
		return fmt.Errorf("the cluster CA in %s: %w (run this on the server, with --data-dir of the apiserver)", *dataDir, err)
	}
	admin, err := client.LoadKubeconfig(filepath.Join(*dataDir, "admin.kubeconfig"))
	if err != nil {
		return fmt.Errorf("the server address, from %s: %w", filepath.Join(*dataDir, "admin.kubeconfig"), err)
	}
	key, err := pki.NewKey()
	if err != nil {
		return err
	}
	user := "system:node:" + name
	cert, err := ca.IssueClient(user, []string{"system:nodes"}, key.Public())
	if err != nil {
		return err
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return err
	}
	if *server != "" {
		admin.Server = *server
	}
	cfg := &client.Config{Server: admin.Server, CAData: pki.EncodeCert(ca.Cert), CertData: pki.EncodeCert(cert), KeyData: keyPEM}
	data, err := cfg.Kubeconfig("skiff", user)
	if err != nil {
		return err
	}
	if *servingCert != "" || *servingKey != "" {
		ip := net.ParseIP(*nodeIP)
		if *servingCert == "" || *servingKey == "" || ip == nil {
			return errors.New("a serving certificate needs --serving-cert, --serving-key and --node-ip (an IP address)")
		}
		skey, err := pki.NewKey()
		if err != nil {
			return err
		}
		scert, err := ca.IssueServing(user, []string{name}, []net.IP{ip}, skey)
		if err != nil {
			return err
		}
		if err := pki.WritePair(*servingCert, *servingKey, scert, skey); err != nil {
			return err
		}
	}
	if *outPath == "" {
		_, err = out.Write(data)
		return err
	}
	return pki.WriteFile(*outPath, data, 0o600)
}
