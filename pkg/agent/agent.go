// Package agent runs a node: it registers the Node and keeps its Lease and
// status fresh (node), runs the pods bound to it through containerd (pods,
// runtime/containerd) with CNI networking (network), serves their logs and
// runs commands in them (exec).
// This file only wires those parts together; each has its own package.
package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"skiff/pkg/agent/bootstrap"
	"skiff/pkg/agent/logs"
	"skiff/pkg/agent/network"
	"skiff/pkg/agent/node"
	"skiff/pkg/agent/pods"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/agent/runtime/containerd"
	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/component"
	"skiff/pkg/pki"
)

// Defaults of the agent's options.
const (
	DefaultRootDir     = "/var/lib/skiff/agent"
	DefaultNamespace   = "skiff"
	DefaultMaxPods     = 110
	DefaultBindAddress = "127.0.0.1"
	DefaultHealthPort  = 10248
	// Version is reported as the node's kubeletVersion.
	Version = "v1.32.0-skiff"
)

// Options configure a node agent; cmd/nodeagent fills them from flags.
type Options struct {
	// Kubeconfig holds the node's credentials; with Token they are obtained
	// (and the file written) when it is missing or its certificate invalid.
	Kubeconfig string
	// Server, Token and DiscoveryTokenCACertHash join the cluster with a
	// bootstrap token (see package bootstrap).
	Server, Token, DiscoveryTokenCACertHash string
	NodeName                                string
	NodeIP                                  string
	RootDir                                 string
	ContainerdAddress                       string
	ContainerdNamespace                     string
	// PodCIDR is used when the control plane does not assign Node.spec.podCIDR.
	PodCIDR    string
	CNIBinDir  string
	CNIConfDir string
	MaxPods    int
	// InsecureRegistries are registry hosts pulled from over plain HTTP.
	InsecureRegistries []string
	// HostGW routes the other nodes' pod CIDRs to their node IPs (all nodes
	// on one L2 network), so pods reach pods on other nodes.
	HostGW bool
	// BindAddress and HealthPort serve /healthz (0: off).
	BindAddress string
	HealthPort  int
	// Port serves the logs gRPC service to the apiserver (0: off), with
	// TLSCertFile and TLSKeyFile (signed by the cluster CA, naming the node
	// IP), or without them a certificate the agent asks the cluster for
	// (kubelet-serving CSR) and renews.
	Port                    int
	TLSCertFile, TLSKeyFile string
	Logger                  *slog.Logger
}

// Validate reports options that cannot work, saying what to fix.
func (o *Options) Validate() error {
	var errs []error
	if o.Kubeconfig == "" {
		errs = append(errs, errors.New("--kubeconfig is required: the agent reaches the apiserver with it (as system:node:<name>)"))
	}
	if o.NodeName == "" {
		errs = append(errs, errors.New("--node-name is empty and the host name could not be read"))
	}
	if o.PodCIDR != "" {
		if _, _, err := net.ParseCIDR(o.PodCIDR); err != nil {
			errs = append(errs, fmt.Errorf("--pod-cidr %q is not a CIDR like 10.244.1.0/24", o.PodCIDR))
		}
	}
	if o.MaxPods < 1 {
		errs = append(errs, fmt.Errorf("--max-pods %d must be at least 1", o.MaxPods))
	}
	return errors.Join(errs...)
}

// Run runs the agent until ctx ends. Containers keep running after it returns;
// a new agent re-adopts them.
func Run(ctx context.Context, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	log := o.Logger
	bo := bootstrap.Options{Kubeconfig: o.Kubeconfig, RootDir: o.RootDir, NodeName: o.NodeName,
		Server: o.Server, Token: o.Token, CAHash: o.DiscoveryTokenCACertHash, Logger: log}
	creds, err := bootstrap.NodeCredentials(ctx, bo)
	if err != nil {
		return err
	}
	c := creds.Client
	rt, err := containerd.New(ctx, containerd.Options{Address: o.ContainerdAddress, Namespace: o.ContainerdNamespace,
		RootDir: o.RootDir, PlainHTTPRegistries: o.InsecureRegistries, Logger: log})
	if err != nil {
		return fmt.Errorf("containerd at %s: %w (is containerd running?)", o.ContainerdAddress, err)
	}
	defer rt.Close()

	// The network exists once the pod CIDR is known; until then the node
	// reports NetworkUnavailable.
	var cni atomic.Pointer[network.CNI]
	nm, err := node.New(node.Options{
		NodeName: o.NodeName, Client: c, Runtime: rt, MaxPods: o.MaxPods, InternalIP: o.NodeIP, DaemonPort: int32(o.Port),
		AgentVersion: Version, RootDir: o.RootDir, Logger: log,
		Ready: func() (bool, string, string) {
			vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, err := rt.Version(vctx); err != nil {
				return false, "ContainerRuntimeDown", "container runtime is down: " + err.Error()
			}
			return true, "", ""
		},
		NetworkReady: func() (bool, string, string) {
			n := cni.Load()
			if n == nil {
				return false, "NoPodCIDR", "waiting for the node's pod CIDR (set --pod-cidr, or run the controller-manager's nodeipam)"
			}
			if err := n.Ready(); err != nil {
				return false, "NetworkPluginNotReady", err.Error()
			}
			return true, "", ""
		},
	})
	if err != nil {
		return err
	}
	if err := nm.Register(ctx); err != nil {
		return fmt.Errorf("register node %s: %w", o.NodeName, err)
	}
	log.Info("node registered", "node", o.NodeName, "ip", nm.NodeIP())
	var wg sync.WaitGroup
	defer wg.Wait()
	if creds.Rotator != nil {
		wg.Add(1)
		go func() { defer wg.Done(); creds.Rotator.Run(ctx) }()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := nm.Run(ctx); err != nil {
			log.Error("node status loop", "err", err)
		}
	}()
	if o.HealthPort != 0 {
		srv, err := component.ServeHealth(o.BindAddress, o.HealthPort, nil, log)
		if err != nil {
			return err
		}
		defer srv.Close()
	}

	cidr := nm.WaitForPodCIDR(ctx, o.PodCIDR)
	if cidr == "" {
		return nil // ctx ended
	}
	n, err := network.New(network.Options{BinDir: o.CNIBinDir, ConfDir: o.CNIConfDir, RootDir: o.RootDir, PodCIDR: cidr, Logger: log})
	if err != nil {
		return err
	}
	if err := n.EnsureMasquerade(ctx); err != nil {
		return fmt.Errorf("pod network: %w", err)
	}
	cni.Store(n)
	log.Info("pod network configured", "podCIDR", cidr)
	if o.HostGW {
		if err := runHostGW(ctx, c, o.NodeName, cidr, log, &wg); err != nil {
			return err
		}
	}

	switch {
	case o.Port == 0:
	case o.TLSCertFile != "":
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
		}
		if err := serveLogs(ctx, o, func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }, rt, &wg); err != nil {
			return err
		}
	default:
		// The serving certificate comes from a CSR; pods need not wait for it.
		wg.Add(1)
		go func() {
			defer wg.Done()
			rot, err := bootstrap.ServingCertificate(ctx, bo, c, net.ParseIP(nm.NodeIP()))
			if err != nil {
				if ctx.Err() == nil {
					log.Error("no serving certificate: the logs service is off (give --tls-cert-file, or approve the node's kubelet-serving CSR)", "err", err)
				}
				return
			}
			if err := serveLogs(ctx, o, rot.GetCertificate, rt, &wg); err != nil {
				log.Error("logs service", "err", err)
				return
			}
			rot.Run(ctx)
		}()
	}

	events := record.New(c, api.EventSource{Component: "nodeagent", Host: o.NodeName}, log)
	wg.Add(1)
	go func() { defer wg.Done(); events.Run(ctx) }()
	mgr, err := pods.New(pods.Deps{Runtime: rt, Network: n, Status: pods.NewAPIStatus(c), Objects: pods.NewAPIObjects(c), Events: events,
		NodeName: o.NodeName, NodeIP: nm.NodeIP(), RootDir: o.RootDir, Logger: log})
	if err != nil {
		return err
	}
	inf := client.NewInformer(client.Pods(c, ""), client.ListOptions{FieldSelector: "spec.nodeName=" + o.NodeName}, log)
	inf.AddHandler(mgr.Handler())
	wg.Add(1)
	go func() { defer wg.Done(); inf.Run(ctx) }()
	if !inf.WaitForSync(ctx) {
		return nil
	}
	return mgr.Run(ctx, inf.List())
}

// serveLogs serves the logs gRPC service on o.Port with the serving
// certificate getCert gives, trusting clients whose certificates the cluster
// CA (from the kubeconfig) signed.
func serveLogs(ctx context.Context, o Options, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error), rt runtime.Runtime, wg *sync.WaitGroup) error {
	cfg, err := client.LoadKubeconfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	ca, err := pki.ParseCert(cfg.CAData)
	if err != nil {
		return fmt.Errorf("the cluster CA in %s: %w", o.Kubeconfig, err)
	}
	cert, err := getCert(nil)
	if err != nil {
		return err
	}
	tlsCfg := logs.ServerTLSConfig(ca, *cert)
	tlsCfg.Certificates, tlsCfg.GetCertificate = nil, getCert
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(o.Port)))
	if err != nil {
		return fmt.Errorf("serve logs: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := logs.Serve(ctx, ln, tlsCfg, logSource(rt, o.RootDir), logs.WithLogger(o.Logger), logs.WithExecutor(execTarget(rt))); err != nil {
			o.Logger.Error("logs service", "err", err)
		}
	}()
	return nil
}

// ImportImage imports an image archive into the node's containerd, for labs
// without a registry.
func ImportImage(ctx context.Context, o Options, path, ref string) ([]string, error) {
	rt, err := containerd.New(ctx, containerd.Options{Address: o.ContainerdAddress, Namespace: o.ContainerdNamespace, RootDir: o.RootDir, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	imgs, err := rt.ImportImage(ctx, f, ref)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, img := range imgs {
		refs = append(refs, img.Ref)
	}
	return refs, nil
}

// Reset removes everything the agent's containerd namespace holds (containers
// killed, sandboxes, images, snapshots, cgroups) and the agent's root
// directory: a node returned to before its first start. Stop the agent first.
func Reset(ctx context.Context, o Options) error {
	rt, err := containerd.New(ctx, containerd.Options{Address: o.ContainerdAddress, Namespace: o.ContainerdNamespace, RootDir: o.RootDir, Logger: o.Logger})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.RemoveAll(ctx); err != nil {
		return err
	}
	if err := network.RemoveHostGW(ctx); err != nil {
		return err
	}
	if err := network.RemoveAllMasq(ctx); err != nil {
		return err
	}
	if err := network.RemoveMasquerade(ctx); err != nil {
		return err
	}
	if err := network.RemoveBridge(network.DefaultBridgeName); err != nil {
		return err
	}
	return os.RemoveAll(o.RootDir)
}
