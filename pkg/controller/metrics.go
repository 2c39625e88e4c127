package controller

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the controller-manager's: queue depth and reconcile latency and
// errors per controller. A nil *Metrics records nothing.
type Metrics struct {
	registry *prometheus.Registry
	depth    *prometheus.GaugeVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// NewMetrics registers the metrics on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "workqueue_depth", Help: "Keys waiting in each controller's queue.",
		}, []string{"name"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "controller_reconcile_duration_seconds", Help: "Time of one reconcile, by controller.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"controller"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "controller_reconcile_errors_total", Help: "Reconciles that failed and were retried, by controller.",
		}, []string{"controller"}),
	}
	m.registry.MustRegister(m.depth, m.latency, m.errors)
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *Metrics) observe(controller string, d time.Duration, depth int, err error) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(controller).Observe(d.Seconds())
	m.depth.WithLabelValues(controller).Set(float64(depth))
	if err != nil {
		m.errors.WithLabelValues(controller).Inc()
	}
}
