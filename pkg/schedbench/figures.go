package schedbench

import (
	"time"

	"skiff/pkg/apibench"
)

// measurement is what one configuration measured; times are from the first
// pod create.
type measurement struct {
	pods          int
	firstBind     time.Duration // to the first pod seen bound
	lastBind      time.Duration // to the last pod seen bound
	createElapsed time.Duration // to the last create answered
	nodeElapsed   time.Duration // to register the N nodes, before the clock started
	latencies     []time.Duration
}

// figures names the measurement's numbers after the size, e.g.
// sched_n100_m2000_pods_per_s.
func (m *measurement) figures(s Size) []apibench.Figure {
	p := "sched_" + s.Name() + "_"
	return []apibench.Figure{
		{Name: p + "pods_per_s", Value: rate(m.pods, m.lastBind), Unit: "pods/s"},
		{Name: p + "first_bind_ms", Value: ms(m.firstBind), Unit: "ms"},
		{Name: p + "p50_ms", Value: ms(apibench.Percentile(m.latencies, 50)), Unit: "ms"},
		{Name: p + "p99_ms", Value: ms(apibench.Percentile(m.latencies, 99)), Unit: "ms"},
		// The rate the pods went in: a bind rate close to it means the API, not
		// the scheduler, was the limit.
		{Name: p + "creates_per_s", Value: rate(m.pods, m.createElapsed), Unit: "pods/s"},
		{Name: p + "node_creates_per_s", Value: rate(s.Nodes, m.nodeElapsed), Unit: "nodes/s"},
	}
}

// SchedulerRSSFigure names the scheduler's memory after a size:
// scheduler_rss_after_n100_m2000.
func SchedulerRSSFigure(s Size, mib float64) apibench.Figure {
	return apibench.Figure{Name: "scheduler_rss_after_" + s.Name(), Value: mib, Unit: "MiB"}
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
