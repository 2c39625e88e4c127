package limitranger

import (
	"context"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// podBuilder builds test pods: pod().container("web").requests("cpu", "100m").obj().
// Resource settings apply to the container added last.
type podBuilder struct{ p api.Pod }

func pod() *podBuilder {
	return &podBuilder{p: api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "team"},
	}}
}

func (b *podBuilder) obj() *api.Pod { return &b.p }

func (b *podBuilder) container(name string) *podBuilder {
	b.p.Spec.Containers = append(b.p.Spec.Containers, api.Container{Name: name, Image: "nginx"})
	return b
}

func (b *podBuilder) initContainer(name string) *podBuilder {
	b.p.Spec.InitContainers = append(b.p.Spec.InitContainers, api.Container{Name: name, Image: "busybox"})
	return b
}

// current is the container added last: init containers count only while the
// pod has no regular ones.
func (b *podBuilder) current() *api.ResourceRequirements {
	if n := len(b.p.Spec.Containers); n > 0 {
		return &b.p.Spec.Containers[n-1].Resources
	}
	return &b.p.Spec.InitContainers[len(b.p.Spec.InitContainers)-1].Resources
}

func (b *podBuilder) requests(kv ...string) *podBuilder {
	b.current().Requests = list(kv...)
	return b
}

func (b *podBuilder) limits(kv ...string) *podBuilder {
	b.current().Limits = list(kv...)
	return b
}

func (b *podBuilder) annotate(k, v string) *podBuilder {
	if b.p.Annotations == nil {
		b.p.Annotations = map[string]string{}
	}
	b.p.Annotations[k] = v
	return b
}

// rangeBuilder builds LimitRanges: limitRange("r").container().max("cpu", "1").obj().
// Bounds apply to the item added last.
type rangeBuilder struct{ lr api.LimitRange }

func limitRange(name string) *rangeBuilder {
	return &rangeBuilder{lr: api.LimitRange{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "team"}}}
}

func (b *rangeBuilder) obj() *api.LimitRange { return &b.lr }

func (b *rangeBuilder) item(t string) *rangeBuilder {
	b.lr.Spec.Limits = append(b.lr.Spec.Limits, api.LimitRangeItem{Type: t})
	return b
}

func (b *rangeBuilder) container() *rangeBuilder { return b.item(api.LimitTypeContainer) }
func (b *rangeBuilder) pod() *rangeBuilder       { return b.item(api.LimitTypePod) }

func (b *rangeBuilder) last() *api.LimitRangeItem { return &b.lr.Spec.Limits[len(b.lr.Spec.Limits)-1] }

func (b *rangeBuilder) min(kv ...string) *rangeBuilder { b.last().Min = list(kv...); return b }
func (b *rangeBuilder) max(kv ...string) *rangeBuilder { b.last().Max = list(kv...); return b }
func (b *rangeBuilder) def(kv ...string) *rangeBuilder { b.last().Default = list(kv...); return b }
func (b *rangeBuilder) defaultRequest(kv ...string) *rangeBuilder {
	b.last().DefaultRequest = list(kv...)
	return b
}
func (b *rangeBuilder) ratio(kv ...string) *rangeBuilder {
	b.last().MaxLimitRequestRatio = list(kv...)
	return b
}

// list makes a ResourceList of name, quantity pairs.
func list(kv ...string) api.ResourceList {
	l := api.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[kv[i]] = resource.MustParse(kv[i+1])
	}
	return l
}

// fakeLister holds LimitRanges by namespace.
type fakeLister map[string][]*api.LimitRange

func (f fakeLister) ListLimitRanges(_ context.Context, namespace string) ([]*api.LimitRange, error) {
	return f[namespace], nil
}

var _ Lister = fakeLister(nil)
