// Package podbench measures how fast a Skiff node starts pods: it starts a
// single-node cluster (apiserver, scheduler, node agent) inside a network
// namespace it creates, with a containerd namespace of its own, imports a
// busybox image, creates N pods at once and watches them until they run. It
// reports the p50 and p99 of create → Running, the time until all run and
// the agent's memory, then removes everything, also when it fails or is
// interrupted. It needs root and a running containerd.
package podbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apibench"
	"skiff/pkg/client"
)

// Defaults of Config.
const (
	DefaultPods              = 50
	DefaultTimeout           = 3 * time.Minute
	DefaultImage             = "skiff.local/busybox:podbench"
	DefaultContainerdAddress = "/run/containerd/containerd.sock"
	namespace                = "default"
)

// ErrUnavailable: this machine cannot run the benchmark (not root, or no
// containerd).
var ErrUnavailable = errors.New("podbench: cannot run here")

// Config says what to start and how many pods to run.
type Config struct {
	// BinDir holds apiserver, scheduler, nodeagent and skiffctl.
	BinDir string
	// ImageScript builds the image archive (hack/images/busybox.sh), unless
	// ImageArchive names one already built.
	ImageScript, ImageArchive string
	Image                     string // the reference the pods run
	ContainerdAddress         string
	Pods                      int
	// Timeout bounds the wait for all pods to run.
	Timeout time.Duration
	// Logs receives progress and, on failure, the components' last log lines.
	Logs io.Writer
	// LogDir, if set, keeps the components' logs there (the agent's at debug
	// level), to see where the time went.
	LogDir string
	// CPUProfile, if set, is where the agent's CPU profile of the
	// measurement is written (go tool pprof FILE).
	CPUProfile string
}

// Validate reports a Config that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if c.BinDir == "" {
		errs = append(errs, errors.New("the directory of Skiff's binaries is not set"))
	}
	if c.ImageScript == "" && c.ImageArchive == "" {
		errs = append(errs, errors.New("give an image script (hack/images/busybox.sh) or an image archive"))
	}
	if c.Image == "" {
		errs = append(errs, errors.New("the image reference is empty"))
	}
	if c.Pods < 1 {
		errs = append(errs, fmt.Errorf("pods must be at least 1, not %d", c.Pods))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("the timeout must be positive, not %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// Run starts the cluster, measures, and removes everything again.
func Run(ctx context.Context, cfg Config) (*apibench.Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logs == nil {
		cfg.Logs = io.Discard
	}
	if cfg.ContainerdAddress == "" {
		cfg.ContainerdAddress = DefaultContainerdAddress
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: needs root (network namespaces, containerd)", ErrUnavailable)
	}
	if _, err := os.Stat(cfg.ContainerdAddress); err != nil {
		return nil, fmt.Errorf("%w: containerd is not running (%v)", ErrUnavailable, err)
	}
	fmt.Fprintln(cfg.Logs, "podbench: starting apiserver, scheduler and node agent in a network namespace...")
	c, err := startCluster(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.close()
	res, err := measure(ctx, c, cfg)
	if err != nil {
		c.dumpLogs()
		return nil, err
	}
	return res, nil
}

// measure creates cfg.Pods pods at once and waits, through a watch, until
// all run; then it reads the agent's memory and deletes the pods.
func measure(ctx context.Context, c *cluster, cfg Config) (*apibench.Result, error) {
	pods := client.Pods(c.client, namespace)
	list, err := pods.List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	idle, _ := c.agent.RSS()

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	tr := newTracker(cfg.Pods)
	watchErr := make(chan error, 1)
	go func() { watchErr <- watchPods(ctx, pods, list.ResourceVersion, tr) }()

	profDone := make(chan error, 1)
	if cfg.CPUProfile != "" {
		go func() { profDone <- c.agentProfile(ctx, cfg.CPUProfile, profileSeconds) }()
	}
	fmt.Fprintf(cfg.Logs, "podbench: creating %d pods at once...\n", cfg.Pods)
	var wg sync.WaitGroup
	createErrs := make([]error, cfg.Pods)
	for i := range cfg.Pods {
		wg.Go(func() {
			p := pod(i, cfg.Image)
			tr.creating(p.Name, time.Now())
			_, createErrs[i] = pods.Create(ctx, p)
		})
	}
	wg.Wait()
	if err := errors.Join(createErrs...); err != nil {
		return nil, fmt.Errorf("creating pods: %w", err)
	}
	select {
	case <-tr.all:
	case err := <-watchErr:
		return nil, fmt.Errorf("watching pods: %v; %s", err, tr.trouble())
	case <-ctx.Done():
		return nil, fmt.Errorf("%w; %s", ctx.Err(), tr.trouble())
	}
	rss, rssErr := c.agent.RSS()
	if rssErr != nil {
		return nil, fmt.Errorf("the agent's memory: %w", rssErr)
	}
	r := tr.result()
	if cfg.CPUProfile != "" {
		if err := <-profDone; err != nil {
			fmt.Fprintln(cfg.Logs, "podbench: agent CPU profile:", err)
		}
	}
	cancel()

	fmt.Fprintln(cfg.Logs, "podbench: all pods run; deleting them...")
	if err := deletePods(context.Background(), pods, cfg.Pods); err != nil {
		fmt.Fprintln(cfg.Logs, "podbench:", err)
	}
	return &apibench.Result{Target: "skiff", Figures: r.figures(cfg.Pods, idle, rss)}, nil
}

// figures names the measurement after the pod count, e.g. podstart_n50_p50_ms.
func (r result) figures(n int, idleRSS, rss float64) []apibench.Figure {
	p := "podstart_n" + strconv.Itoa(n) + "_"
	return []apibench.Figure{
		{Name: p + "p50_ms", Value: ms(apibench.Percentile(r.startup, 50)), Unit: "ms"},
		{Name: p + "p99_ms", Value: ms(apibench.Percentile(r.startup, 99)), Unit: "ms"},
		{Name: p + "all_running_ms", Value: ms(r.allRun), Unit: "ms"},
		// Where the time goes: to the scheduler's bind, and sending the creates.
		{Name: p + "bound_p50_ms", Value: ms(apibench.Percentile(r.bind, 50)), Unit: "ms"},
		{Name: p + "bound_p99_ms", Value: ms(apibench.Percentile(r.bind, 99)), Unit: "ms"},
		{Name: p + "creates_sent_ms", Value: ms(r.creating), Unit: "ms"},
		{Name: "agent_rss_idle", Value: idleRSS, Unit: "MiB"},
		{Name: p + "agent_rss", Value: rss, Unit: "MiB"},
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pod is the i-th pod of the run: one busybox container that sleeps, its image
// already on the node.
func pod(i int, image string) *api.Pod {
	grace := int64(1)
	return &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("podbench-%03d", i), Namespace: namespace, Labels: map[string]string{"app": "podbench"}},
		Spec: api.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			Containers: []api.Container{{
				Name: "sleep", Image: image, ImagePullPolicy: api.PullIfNotPresent,
				Command: []string{"sleep", "3600"},
			}},
		},
	}
}

// watchPods feeds tr from a watch from resourceVersion rv until ctx ends,
// resuming where it stopped if the server ends the stream.
func watchPods(ctx context.Context, pods *client.Resource[*api.Pod], rv string, tr *tracker) error {
	for ctx.Err() == nil {
		events, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: rv})
		if err != nil {
			return err
		}
		for ev := range events {
			now := time.Now()
			switch ev.Type {
			case api.Error:
				if ctx.Err() == nil && api.CodeOf(ev.Err) != 0 {
					return ev.Err
				}
			case api.Added, api.Modified:
				tr.observe(ev.Object, now)
				rv = ev.Object.ResourceVersion
			default:
				rv = ev.Object.ResourceVersion
			}
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return nil
		}
	}
	return nil
}

// deletePods deletes the run's pods and waits until the agent has removed
// them (bounded): the cluster's teardown would remove them anyway, this only
// makes the agent do it as it would in use.
func deletePods(ctx context.Context, pods *client.Resource[*api.Pod], n int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := pods.DeleteCollection(ctx, client.ListOptions{LabelSelector: "app=podbench"}); err != nil {
		return fmt.Errorf("deleting pods: %w", err)
	}
	for {
		list, err := pods.List(ctx, client.ListOptions{LabelSelector: "app=podbench"})
		if err == nil && len(list.Items) == 0 {
			return nil
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("%d pods were not removed within a minute", n)
		}
	}
}
