package testing

// Overhead sets spec.overhead, e.g. {"cpu": "250m", "memory": "64Mi"}.
func (p *PodWrapper) Overhead(o map[string]string) *PodWrapper {
	p.Spec.Overhead = list(o)
	return p
}
