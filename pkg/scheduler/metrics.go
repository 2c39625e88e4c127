package scheduler

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the scheduler's Prometheus metrics, named as kube-scheduler's.
// A nil *Metrics records nothing.
type Metrics struct {
	registry *prometheus.Registry
	attempts *prometheus.CounterVec
	duration *prometheus.HistogramVec
	e2e      prometheus.Histogram
	pending  *prometheus.GaugeVec
}

// NewMetrics registers the metrics on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scheduler_schedule_attempts_total",
			Help: "Scheduling attempts by result (scheduled, unschedulable, error) and profile.",
		}, []string{"result", "profile"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scheduler_scheduling_attempt_duration_seconds",
			Help:    "Time of one scheduling cycle (filter and score), by result.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"result"}),
		e2e: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scheduler_pod_scheduling_duration_seconds",
			Help:    "Time from a pod entering the queue to its binding.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
		}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "scheduler_pending_pods",
			Help: "Pods waiting, by queue (active, backoff, unschedulable).",
		}, []string{"queue"}),
	}
	m.registry.MustRegister(m.attempts, m.duration, m.e2e, m.pending)
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *Metrics) observeAttempt(result, profile string, d time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(result, profile).Inc()
	if d > 0 {
		m.duration.WithLabelValues(result).Observe(d.Seconds())
	}
}

func (m *Metrics) observeE2E(d time.Duration) {
	if m != nil {
		m.e2e.Observe(d.Seconds())
	}
}

func (m *Metrics) setQueue(active, backoff, unschedulable int) {
	if m == nil {
		return
	}
	m.pending.WithLabelValues("active").Set(float64(active))
	m.pending.WithLabelValues("backoff").Set(float64(backoff))
	m.pending.WithLabelValues("unschedulable").Set(float64(unschedulable))
}
