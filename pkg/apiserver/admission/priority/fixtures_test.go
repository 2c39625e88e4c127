package priority

import (
	"context"
	"sort"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// podBuilder builds test pods: pod().class("high").priority(5).obj().
type podBuilder struct{ p api.Pod }

func pod() *podBuilder {
	return &podBuilder{p: api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "team"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}},
	}}
}

func (b *podBuilder) obj() *api.Pod { p := api.DeepCopy(b.p); return &p }

func (b *podBuilder) class(name string) *podBuilder { b.p.Spec.PriorityClassName = name; return b }
func (b *podBuilder) priority(v int32) *podBuilder  { b.p.Spec.Priority = &v; return b }
func (b *podBuilder) policy(p string) *podBuilder   { b.p.Spec.PreemptionPolicy = &p; return b }

// class builds a defaulted PriorityClass, changed by f.
func class(name string, value int32, f ...func(*api.PriorityClass)) *api.PriorityClass {
	pc := &api.PriorityClass{TypeMeta: api.TypeMeta{Kind: "PriorityClass", APIVersion: "scheduling.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{Name: name}, Value: value}
	for _, fn := range f {
		fn(pc)
	}
	api.SetDefaultsPriorityClass(pc)
	return pc
}

// systemClasses are the built-in classes as the apiserver stores them.
func systemClasses() []*api.PriorityClass {
	out := api.SystemPriorityClasses()
	for _, pc := range out {
		api.SetDefaultsPriorityClass(pc)
	}
	return out
}

func globalDefault(pc *api.PriorityClass) { pc.GlobalDefault = true }
func never(pc *api.PriorityClass)         { n := api.PreemptNever; pc.PreemptionPolicy = &n }

// fakeClasses is a cache and a store of classes; they differ when a test makes
// the cache lag.
type fakeClasses struct {
	cached, stored map[string]*api.PriorityClass
	err            error
}

// newFake returns a fake whose cache and store both hold classes.
func newFake(classes ...*api.PriorityClass) *fakeClasses {
	f := &fakeClasses{cached: map[string]*api.PriorityClass{}, stored: map[string]*api.PriorityClass{}}
	for _, pc := range classes {
		f.cached[pc.Name], f.stored[pc.Name] = pc, pc
	}
	return f
}

func (f *fakeClasses) GetPriorityClass(_ context.Context, name string) (*api.PriorityClass, error) {
	if f.err != nil {
		return nil, f.err
	}
	if pc, ok := f.cached[name]; ok {
		return pc, nil
	}
	if pc, ok := f.stored[name]; ok {
		return pc, nil
	}
	return nil, api.NewNotFound(api.GroupResource{Group: api.SchedulingGroup, Resource: "priorityclasses"}, name)
}

func (f *fakeClasses) ListPriorityClasses(context.Context) ([]*api.PriorityClass, error) {
	return sorted(f.cached), f.err
}

func (f *fakeClasses) ListStoredPriorityClasses(context.Context) ([]*api.PriorityClass, error) {
	return sorted(f.stored), f.err
}

func sorted(m map[string]*api.PriorityClass) []*api.PriorityClass {
	out := make([]*api.PriorityClass, 0, len(m))
	for _, pc := range m {
		out = append(out, pc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var _ Classes = (*fakeClasses)(nil)

// Attribute builders.

func createPod(p *api.Pod) *admission.Attributes {
	return &admission.Attributes{Operation: admission.Create, Kind: "Pod", Version: "v1", Resource: "pods",
		Namespace: p.Namespace, Name: p.Name, Object: p}
}

func updatePod(p, old *api.Pod) *admission.Attributes {
	a := createPod(p)
	a.Operation, a.OldObject = admission.Update, old
	return a
}

func writeClass(op admission.Operation, pc *api.PriorityClass) *admission.Attributes {
	return &admission.Attributes{Operation: op, Kind: "PriorityClass", Group: api.SchedulingGroup, Version: "v1",
		Resource: "priorityclasses", Name: pc.Name, Object: pc}
}

func deleteClass(pc *api.PriorityClass) *admission.Attributes {
	return &admission.Attributes{Operation: admission.Delete, Kind: "PriorityClass", Group: api.SchedulingGroup, Version: "v1",
		Resource: "priorityclasses", Name: pc.Name, OldObject: pc}
}
