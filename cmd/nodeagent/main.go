// Command nodeagent runs a Skiff node: it registers the Node and runs the pods
// bound to it with containerd.
//
//	nodeagent --server https://10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:...
//	                                          (join: the line `skiffctl token create` prints)
//	nodeagent [--kubeconfig node.kubeconfig] [--node-name NAME] [--pod-cidr CIDR] ...
//	nodeagent import-image FILE [--ref REF]   (load an image archive, for offline labs)
//	nodeagent reset                           (remove all the agent's containers, images and state)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"skiff/pkg/agent"
	"skiff/pkg/agent/runtime/containerd"
)

func main() {
	var o agent.Options
	var logLevel slog.Level
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("nodeagent", flag.ExitOnError)
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig with this node's credentials (CN system:node:<name>, O system:nodes); written when joining with --token (default <root-dir>/node.kubeconfig)")
	fs.StringVar(&o.Server, "server", "", "apiserver to join, e.g. https://10.0.0.1:6443 (with --token)")
	fs.StringVar(&o.Token, "token", "", "bootstrap token to join with when the kubeconfig is missing or its certificate is invalid (skiffctl token create)")
	fs.StringVar(&o.DiscoveryTokenCACertHash, "discovery-token-ca-cert-hash", "", "sha256:<hex> of the cluster CA's public key, to trust the server when joining")
	fs.StringVar(&o.NodeName, "node-name", strings.ToLower(host), "the Node's name")
	fs.StringVar(&o.NodeIP, "node-ip", "", "the node's InternalIP (default: the address of the default route's interface)")
	fs.StringVar(&o.RootDir, "root-dir", agent.DefaultRootDir, "the agent's state: pod directories, logs, network namespaces, CNI state")
	fs.StringVar(&o.ContainerdAddress, "containerd-address", containerd.DefaultAddress, "containerd's socket")
	fs.StringVar(&o.ContainerdNamespace, "containerd-namespace", agent.DefaultNamespace, "containerd namespace for this agent's containers and images")
	fs.StringVar(&o.PodCIDR, "pod-cidr", "", "pod CIDR when the control plane does not assign one (Node.spec.podCIDR)")
	fs.StringVar(&o.CNIBinDir, "cni-bin-dir", "/usr/lib/cni", "CNI plugins")
	fs.StringVar(&o.CNIConfDir, "cni-conf-dir", "", "where the generated CNI config goes (default under --root-dir)")
	fs.IntVar(&o.MaxPods, "max-pods", agent.DefaultMaxPods, "pods this node accepts")
	fs.BoolVar(&o.HostGW, "host-gw", true, "route the other nodes' pod CIDRs to their node IPs (nodes must share one L2 network)")
	fs.Func("insecure-registry", "registry host pulled from over plain HTTP, e.g. 127.0.0.1:5000 (repeatable)", func(s string) error {
		o.InsecureRegistries = append(o.InsecureRegistries, s)
		return nil
	})
	fs.IntVar(&o.Port, "port", 10250, "port of the logs service the apiserver calls (TLS; needs --tls-cert-file)")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", "", "serving certificate of the logs service, signed by the cluster CA and naming the node IP (default: one asked from the cluster by CSR, kept in <root-dir>/pki and renewed)")
	fs.StringVar(&o.TLSKeyFile, "tls-key-file", "", "its key")
	fs.StringVar(&o.BindAddress, "bind-address", agent.DefaultBindAddress, "address for /healthz")
	fs.IntVar(&o.HealthPort, "healthz-port", agent.DefaultHealthPort, "port for /healthz (0: off)")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")

	args := os.Args[1:]
	importImage := len(args) > 0 && args[0] == "import-image"
	reset := len(args) > 0 && args[0] == "reset"
	if reset {
		args = args[1:]
	}
	var ref string
	if importImage {
		args = args[1:]
		fs.StringVar(&ref, "ref", "", "name the imported image (default: the names in the archive)")
	}
	var file string
	if importImage && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	fs.Parse(args)
	if o.Kubeconfig == "" {
		o.Kubeconfig = filepath.Join(o.RootDir, "node.kubeconfig")
	}
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})).With("component", "nodeagent", "node", o.NodeName)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if reset {
		if err := agent.Reset(ctx, o); err != nil {
			fmt.Fprintln(os.Stderr, "nodeagent reset:", err)
			os.Exit(1)
		}
		return
	}
	if importImage {
		if file == "" && fs.NArg() > 0 {
			file = fs.Arg(0)
		}
		if file == "" {
			fmt.Fprintln(os.Stderr, "nodeagent import-image: give the image archive: nodeagent import-image FILE [--ref REF]")
			os.Exit(2)
		}
		refs, err := agent.ImportImage(ctx, o, file, ref)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nodeagent import-image:", err)
			os.Exit(1)
		}
		for _, r := range refs {
			fmt.Println("imported", r)
		}
		return
	}
	if err := agent.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "nodeagent:", err)
		os.Exit(1)
	}
}
