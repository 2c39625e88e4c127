package containerd

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"skiff/pkg/agent/runtime"
)

// BenchmarkStartContainer measures StartContainer (create → running) of a
// busybox sleep, one at a time, and reports p50/p99.
func BenchmarkStartContainer(b *testing.B) {
	r := newTestRuntime(b)
	importBusybox(b, r)
	ctx := testContext(b)
	var ids []string
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg := podConfig(b, fmt.Sprintf("c%d", i), "sleep", "1000")
		t0 := time.Now()
		id, err := r.StartContainer(ctx, cfg)
		took = append(took, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	b.StopTimer()
	reportPercentiles(b, took)
	for _, id := range ids {
		if err := r.RemoveContainer(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStopContainer measures StopContainer of a process that exits on
// SIGTERM, including recording the exit and deleting the task.
func BenchmarkStopContainer(b *testing.B) {
	r := newTestRuntime(b)
	importBusybox(b, r)
	ctx := testContext(b)
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := podConfig(b, fmt.Sprintf("c%d", i), "sh", "-c", `trap "exit 0" TERM; echo ready; sleep 1000 & wait`)
		id := start(b, r, cfg)
		waitLog(b, cfg.LogPath, "ready", 5*time.Second)
		b.StartTimer()
		t0 := time.Now()
		if err := r.StopContainer(ctx, id, 10*time.Second); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
		b.StopTimer()
		if s, err := r.ContainerStatus(ctx, id); err != nil || s.State != runtime.StateExited {
			b.Fatalf("status %+v, %v", s, err)
		}
		if err := r.RemoveContainer(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	reportPercentiles(b, took)
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	p := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkStartContainers50 starts 50 busybox sleeps at once, as a node
// does when 50 pods land on it, and reports the p50/p99 of each start and
// the time until all run: the runtime's floor for the pod start-up benchmark
// (cmd/podbench), without sandboxes, networking or the API.
func BenchmarkStartContainers50(b *testing.B) {
	const n = 50
	r := newTestRuntime(b)
	importBusybox(b, r)
	ctx := testContext(b)
	var took []time.Duration
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		ids := make([]string, n)
		durs := make([]time.Duration, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		t0 := time.Now()
		for j := range n {
			cfg := podConfig(b, fmt.Sprintf("c%d-%d", i, j), "sleep", "1000")
			wg.Go(func() {
				s := time.Now()
				ids[j], errs[j] = r.StartContainer(ctx, cfg)
				durs[j] = time.Since(s)
			})
		}
		wg.Wait()
		all = append(all, time.Since(t0))
		took = append(took, durs...)
		b.StopTimer()
		for j, id := range ids {
			if errs[j] != nil {
				b.Fatal(errs[j])
			}
			if err := r.RemoveContainer(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	reportPercentiles(b, took)
	b.ReportMetric(float64(slices.Max(all).Microseconds())/1000, "all-ms")
}
