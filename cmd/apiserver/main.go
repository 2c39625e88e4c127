// Command apiserver runs Skiff's Kubernetes-compatible API server with an embedded
// etcd (or an external one), serving HTTPS on :6443 by default.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"skiff/pkg/apiserver"
)

func main() {
	var o apiserver.Options
	var logLevel slog.Level
	fs := flag.NewFlagSet("apiserver", flag.ExitOnError)
	fs.StringVar(&o.DataDir, "data-dir", apiserver.DefaultDataDir, "directory for certificates, admin.kubeconfig and embedded etcd data")
	fs.StringVar(&o.BindAddress, "bind-address", apiserver.DefaultBindAddress, "IP address to serve HTTPS on")
	fs.StringVar(&o.AdvertiseAddress, "advertise-address", "", "IP address other machines reach this server at, published in kube-public/cluster-info for joining nodes and named in the serving certificate (default: --bind-address unless 0.0.0.0, else the default route's address, else 127.0.0.1)")
	fs.IntVar(&o.SecurePort, "secure-port", apiserver.DefaultSecurePort, "port to serve HTTPS on")
	fs.Func("etcd-servers", "comma-separated client URLs of an external etcd cluster (empty: run etcd embedded)", func(s string) error {
		o.EtcdServers = append(o.EtcdServers, splitList(s)...)
		return nil
	})
	fs.StringVar(&o.EtcdClientURL, "embedded-etcd-client-url", apiserver.DefaultEtcdClientURL, "where the embedded etcd listens for clients")
	fs.StringVar(&o.EtcdPeerURL, "embedded-etcd-peer-url", apiserver.DefaultEtcdPeerURL, "where the embedded etcd listens for peers")
	fs.Func("tls-san", "extra DNS name or IP for the serving certificate (repeatable, or comma-separated)", func(s string) error {
		o.TLSSANs = append(o.TLSSANs, splitList(s)...)
		return nil
	})
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", "", "static bearer tokens, one per line: token,user,uid,\"group1,group2\"")
	fs.DurationVar(&o.CompactionInterval, "etcd-compaction-interval", apiserver.DefaultCompactionInterval, "how often etcd history is compacted (0 disables)")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", apiserver.DefaultShutdownTimeout, "how long in-flight requests may take after SIGTERM")
	fs.StringVar(&o.AuditLogPath, "audit-log-path", "", "write one JSON line per request to this file (empty: no audit log)")
	fs.Func("enable-admission-plugins", "admission plugins to enable in addition to the defaults (comma-separated); all are on by default: "+strings.Join(apiserver.AdmissionPluginNames, ","), func(s string) error {
		o.EnableAdmissionPlugins = append(o.EnableAdmissionPlugins, splitList(s)...)
		return nil
	})
	fs.Func("disable-admission-plugins", "admission plugins to turn off (comma-separated)", func(s string) error {
		o.DisableAdmissionPlugins = append(o.DisableAdmissionPlugins, splitList(s)...)
		return nil
	})
	fs.Int64Var(&o.DefaultNotReadyTolerationSeconds, "default-not-ready-toleration-seconds", apiserver.DefaultTolerationSeconds, "seconds pods tolerate a not-ready node by default (DefaultTolerationSeconds)")
	fs.Int64Var(&o.DefaultUnreachableTolerationSeconds, "default-unreachable-toleration-seconds", apiserver.DefaultTolerationSeconds, "seconds pods tolerate an unreachable node by default (DefaultTolerationSeconds)")
	fs.StringVar(&o.ServiceAccountIssuer, "service-account-issuer", apiserver.DefaultServiceAccountIssuer, "issuer (iss) of service-account tokens")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.Parse(os.Args[1:])

	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})).With("component", "apiserver")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "apiserver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o apiserver.Options) error {
	start := time.Now()
	s, err := apiserver.New(ctx, o)
	if err != nil {
		return err
	}
	o.Logger.Info("apiserver ready", "url", s.URL(), "kubeconfig", s.AdminKubeconfigPath(), "startup", time.Since(start).Round(time.Millisecond))
	return s.Run(ctx)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
