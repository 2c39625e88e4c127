// Package schedbench measures a scheduler end to end through the API, the way the
// scheduler issue states its target: register N Node objects, create M pending
// pods, and time from the first create to the last binding a watch observes. It
// talks only to the apiserver (through pkg/client), so it measures any cluster
// whose scheduler binds pods named "default-scheduler": Skiff's, or
// kube-apiserver with kube-scheduler.
//
// One configuration runs like this:
//
//	namespace sb-RUN ─┬─ N nodes sb-RUN-node-I (worker pool, status set on create)
//	                  ├─ watch pods in the namespace
//	                  ├─ probe pod pinned to the last node written; wait until bound
//	                  │  (the scheduler is up and its node cache holds all N nodes)
//	                  ├─ M pods sb-RUN-pod-I (worker pool)   ◀── clock starts
//	                  ├─ last pod seen with spec.nodeName    ◀── clock stops
//	                  ├─ verify: every pod bound once, to one of the N nodes, within capacity
//	                  └─ cleanup (always): pods (grace 0), nodes, namespace
package schedbench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apibench"
	"skiff/pkg/client"
)

// Defaults for a Config; the sizes are the ones the issue names.
const (
	DefaultWorkers = 32
	DefaultTimeout = 10 * time.Minute
	// cleanupTimeout bounds the deletes after a run, which get their own
	// context so they still happen when the run's has ended.
	cleanupTimeout = 5 * time.Minute
)

// DefaultSizes are the (nodes, pods) configurations `make bench FULL=1` measures;
// QuickSizes is the default of `make bench`.
var (
	DefaultSizes = []Size{{100, 2000}, {1000, 10000}, {5000, 10000}}
	QuickSizes   = []Size{{100, 2000}}
)

// Size is one configuration: N nodes and M pods.
type Size struct {
	Nodes, Pods int
}

// Name is how figures of this size are named: n100_m2000.
func (s Size) Name() string { return fmt.Sprintf("n%d_m%d", s.Nodes, s.Pods) }

// String is the flag form: 100x2000.
func (s Size) String() string { return fmt.Sprintf("%dx%d", s.Nodes, s.Pods) }

// ParseSizes reads a comma-separated list like "100x2000,1000x10000".
func ParseSizes(s string) ([]Size, error) {
	var sizes []Size
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, m, ok := strings.Cut(part, "x")
		nodes, err1 := strconv.Atoi(n)
		pods, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || nodes < 1 || pods < 1 {
			return nil, fmt.Errorf("size %q is not NODESxPODS with both at least 1", part)
		}
		sizes = append(sizes, Size{nodes, pods})
	}
	if len(sizes) == 0 {
		return nil, errors.New("no sizes given")
	}
	return sizes, nil
}

// Config is one configuration to measure.
type Config struct {
	Size
	// Workers is how many creates (of nodes, then of pods) run at once.
	Workers int
	// Timeout bounds the whole configuration, node creation included, so a
	// broken scheduler fails the run instead of hanging it. Cleanup has its own.
	Timeout time.Duration
	// SchedulerName is put in every pod; "" means default-scheduler.
	SchedulerName string
	// Loaded, if set, is called once every pod is bound and verified, before
	// cleanup, while the cluster still holds all N nodes and M pods; the command
	// reads the scheduler's memory here. Figures it returns are added to the result.
	Loaded func() []apibench.Figure
}

func (cfg Config) withDefaults() Config {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SchedulerName == "" {
		cfg.SchedulerName = api.DefaultSchedulerName
	}
	return cfg
}

// Run measures one configuration against the cluster c talks to and returns its
// figures under target's name. It fails if the scheduler does not bind every pod
// within cfg.Timeout, or binds any pod twice, to a node that is not one of the N,
// or beyond a node's pod capacity. Whatever happens, it deletes what it created;
// a failed cleanup fails the run, since leftovers would skew the next one.
func Run(ctx context.Context, c *client.Client, target string, cfg Config) (res *apibench.Result, err error) {
	cfg = cfg.withDefaults()
	if cfg.Nodes < 1 || cfg.Pods < 1 {
		return nil, fmt.Errorf("schedbench: need at least one node and one pod, have %s", cfg.Size)
	}
	run := newRun(fmt.Sprintf("sb-%06d", rand.IntN(1_000_000)), cfg)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if cerr := run.cleanup(cctx, c); cerr != nil {
			res, err = nil, errors.Join(err, fmt.Errorf("cleanup of %s: %w", run.id, cerr))
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	m, err := run.measure(ctx, c)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%s not done within %s: %w", cfg.Size, cfg.Timeout, err)
		}
		return nil, err
	}
	res = &apibench.Result{Target: target}
	res.Figures = m.figures(cfg.Size)
	if cfg.Loaded != nil {
		res.Figures = append(res.Figures, cfg.Loaded()...)
	}
	return res, nil
}
