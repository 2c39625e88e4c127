// Command apibench measures apiservers: a fresh Skiff apiserver it starts itself
// (--start-skiff), and any others given by kubeconfig (--kubeconfigs), with the same
// load in one run. It prints a table and BENCH lines.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"skiff/pkg/apibench"
	"skiff/pkg/client"
)

func main() {
	skiffBin := flag.String("start-skiff", "", "path of a Skiff apiserver binary to start fresh and measure (start-up, memory and load)")
	kubeconfigs := flag.String("kubeconfigs", "", "comma-separated kubeconfigs of other servers to measure with the same load")
	cfg := apibench.DefaultConfig()
	flag.IntVar(&cfg.Pods, "pods", cfg.Pods, "pods per create phase and in the LIST")
	flag.IntVar(&cfg.Watches, "watches", cfg.Watches, "creates measured through a watch")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *skiffBin, *kubeconfigs, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, skiffBin, kubeconfigs string, cfg apibench.Config) error {
	var results []*apibench.Result
	if skiffBin != "" {
		p, err := apibench.StartSkiff(skiffBin)
		if err != nil {
			return err
		}
		defer p.Stop()
		apibench.WaitIdle(ctx)
		idle, err := p.RSS()
		if err != nil {
			return err
		}
		c, err := client.NewFromKubeconfig(p.Kubeconfig)
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "measuring skiff...")
		res, err := apibench.Run(ctx, c, "skiff", cfg)
		if err != nil {
			return fmt.Errorf("skiff: %w", err)
		}
		after, err := p.RSS()
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "measuring the authorization chain...")
		auth, err := authChain(ctx, p, c)
		if err != nil {
			return fmt.Errorf("auth chain: %w", err)
		}
		res.Figures = append([]apibench.Figure{
			{Name: "startup_to_readyz", Value: float64(p.StartUp.Microseconds()) / 1000, Unit: "ms"},
			{Name: "idle_rss", Value: idle, Unit: "MiB"},
		}, append(res.Figures, apibench.Figure{Name: "rss_after_load", Value: after, Unit: "MiB"})...)
		res.Figures = append(res.Figures, auth.Figures...)
		results = append(results, res)
	}
	for _, kc := range strings.Split(kubeconfigs, ",") {
		if kc = strings.TrimSpace(kc); kc == "" {
			continue
		}
		c, err := client.NewFromKubeconfig(kc)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(kc), filepath.Ext(kc))
		fmt.Fprintf(os.Stderr, "measuring %s...\n", name)
		res, err := apibench.Run(ctx, c, name, cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", kc, err)
		}
		results = append(results, res)
	}
	if len(results) == 0 {
		return fmt.Errorf("nothing to measure: give --start-skiff BIN and/or --kubeconfigs FILES")
	}
	apibench.Print(os.Stdout, results)
	return nil
}

// authChain compares creates as system:masters (the admin's certificate, and a
// token) with creates as a token user whose rights come from an RBAC RoleBinding.
func authChain(ctx context.Context, p *apibench.SkiffProcess, admin *client.Client) (*apibench.Result, error) {
	masters, err := apibench.TokenClient(p.URL, p.CAFile, apibench.MastersUserToken)
	if err != nil {
		return nil, err
	}
	rbacUser, err := apibench.TokenClient(p.URL, p.CAFile, apibench.RBACUserToken)
	if err != nil {
		return nil, err
	}
	ids := []apibench.Identity{
		{Name: "masters_cert", Client: admin},
		{Name: "masters_token", Client: masters},
		{Name: "rbac_token", Client: rbacUser},
	}
	return apibench.AuthChain(ctx, admin, apibench.RBACUser, ids, apibench.DefaultAuthChainConfig())
}
