package limitranger

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

func createPod(p *api.Pod) *admission.Attributes {
	return &admission.Attributes{Operation: admission.Create, Kind: "Pod", Version: "v1", Resource: "pods",
		Namespace: p.Namespace, Name: p.Name, Object: p}
}

func TestAdmit(t *testing.T) {
	const key = AnnotationKey
	tests := []struct {
		name   string
		ranges []*api.LimitRange
		pod    *api.Pod
		op     admission.Operation
		want   *api.Pod
	}{
		{
			name: "no LimitRanges leave the pod alone",
			pod:  pod().container("web").obj(),
			want: pod().container("web").obj(),
		},
		{
			name:   "default limits and requests",
			ranges: []*api.LimitRange{limitRange("defaults").container().def("cpu", "500m", "memory", "256Mi").defaultRequest("cpu", "100m", "memory", "128Mi").obj()},
			pod:    pod().container("web").obj(),
			want: pod().container("web").requests("cpu", "100m", "memory", "128Mi").limits("cpu", "500m", "memory", "256Mi").
				annotate(key, "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web").obj(),
		},
		{
			name:   "without a default request the request is the default limit",
			ranges: []*api.LimitRange{limitRange("defaults").container().def("cpu", "500m").obj()},
			pod:    pod().container("web").obj(),
			want: pod().container("web").requests("cpu", "500m").limits("cpu", "500m").
				annotate(key, "LimitRanger plugin set: cpu request for container web; cpu limit for container web").obj(),
		},
		{
			name:   "without a default limit the limit is the max",
			ranges: []*api.LimitRange{limitRange("bounds").container().max("cpu", "1").obj()},
			pod:    pod().container("web").obj(),
			want: pod().container("web").requests("cpu", "1").limits("cpu", "1").
				annotate(key, "LimitRanger plugin set: cpu request for container web; cpu limit for container web").obj(),
		},
		{
			name:   "without defaults the request is the min",
			ranges: []*api.LimitRange{limitRange("bounds").container().min("memory", "64Mi").obj()},
			pod:    pod().container("web").obj(),
			want: pod().container("web").requests("memory", "64Mi").
				annotate(key, "LimitRanger plugin set: memory request for container web").obj(),
		},
		{
			name:   "a container's own limit is its request, not the default request",
			ranges: []*api.LimitRange{limitRange("defaults").container().def("cpu", "500m", "memory", "256Mi").defaultRequest("cpu", "100m").obj()},
			pod:    pod().container("web").limits("cpu", "2").obj(),
			want: pod().container("web").requests("cpu", "2", "memory", "256Mi").limits("cpu", "2", "memory", "256Mi").
				annotate(key, "LimitRanger plugin set: memory request for container web; memory limit for container web").obj(),
		},
		{
			name:   "values the container sets are kept",
			ranges: []*api.LimitRange{limitRange("defaults").container().def("cpu", "500m").defaultRequest("cpu", "100m").obj()},
			pod:    pod().container("web").requests("cpu", "50m").limits("cpu", "200m").obj(),
			want:   pod().container("web").requests("cpu", "50m").limits("cpu", "200m").obj(),
		},
		{
			name:   "init containers are defaulted and annotated after containers",
			ranges: []*api.LimitRange{limitRange("defaults").container().def("cpu", "500m").obj()},
			pod:    pod().initContainer("setup").container("web").annotate("team", "blue").obj(),
			want: func() *api.Pod {
				p := pod().initContainer("setup").requests("cpu", "500m").limits("cpu", "500m").container("web").requests("cpu", "500m").limits("cpu", "500m").annotate("team", "blue")
				return p.annotate(key, "LimitRanger plugin set: cpu request for container web; cpu limit for container web; "+
					"cpu request for init container setup; cpu limit for init container setup").obj()
			}(),
		},
		{
			name:   "Pod items set no defaults",
			ranges: []*api.LimitRange{limitRange("pods").pod().max("cpu", "2").obj()},
			pod:    pod().container("web").obj(),
			want:   pod().container("web").obj(),
		},
		{
			name: "LimitRanges apply in name order, the first to give a default wins",
			ranges: []*api.LimitRange{
				limitRange("b").container().def("cpu", "2", "memory", "1Gi").obj(),
				limitRange("a").container().def("cpu", "1").obj(),
			},
			pod: pod().container("web").obj(),
			// As in Kubernetes, each LimitRange that sets something rewrites the annotation.
			want: pod().container("web").requests("cpu", "1", "memory", "1Gi").limits("cpu", "1", "memory", "1Gi").
				annotate(key, "LimitRanger plugin set: memory request for container web; memory limit for container web").obj(),
		},
		{
			name:   "updates are left alone",
			ranges: []*api.LimitRange{limitRange("defaults").container().def("cpu", "500m").obj()},
			pod:    pod().container("web").obj(),
			op:     admission.Update,
			want:   pod().container("web").obj(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := api.DeepCopy(tt.ranges)
			a := createPod(tt.pod)
			if tt.op != "" {
				a.Operation, a.OldObject = tt.op, api.DeepCopy(tt.pod)
			}
			if err := New(fakeLister{"team": tt.ranges}).Admit(context.Background(), a); err != nil {
				t.Fatalf("Admit: %v", err)
			}
			if diff := cmp.Diff(tt.want, tt.pod); diff != "" {
				t.Errorf("pod after Admit (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.ranges); diff != "" {
				t.Errorf("Admit changed the LimitRanges (-before +after):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	const forbidden = `pods "web" is forbidden: [LimitRanger] `
	containerMax := limitRange("max").container().max("cpu", "500m").obj()
	tests := []struct {
		name   string
		ranges []*api.LimitRange
		pod    *api.Pod
		want   string
	}{
		{
			name: "no LimitRanges",
			pod:  pod().container("web").requests("cpu", "64").limits("cpu", "64").obj(),
		},
		{
			name:   "within the bounds",
			ranges: []*api.LimitRange{limitRange("all").container().min("cpu", "100m").max("cpu", "1").ratio("cpu", "2").pod().max("cpu", "2").obj()},
			pod:    pod().container("web").requests("cpu", "500m").limits("cpu", "1").obj(),
		},
		{
			name:   "container limit above max",
			ranges: []*api.LimitRange{containerMax},
			pod:    pod().container("web").requests("cpu", "100m").limits("cpu", "1").obj(),
			want:   forbidden + "maximum cpu usage per Container is 500m, but limit is 1",
		},
		{
			name:   "container request above max",
			ranges: []*api.LimitRange{containerMax},
			pod:    pod().container("web").requests("cpu", "600m").limits("cpu", "400m").obj(),
			want:   forbidden + "maximum cpu usage per Container is 500m, but request is 600m",
		},
		{
			name:   "a max needs a limit",
			ranges: []*api.LimitRange{containerMax},
			pod:    pod().container("web").requests("cpu", "100m").obj(),
			want:   forbidden + "maximum cpu usage per Container is 500m.  No limit is specified",
		},
		{
			name:   "container request below min",
			ranges: []*api.LimitRange{limitRange("min").container().min("memory", "64Mi").obj()},
			pod:    pod().container("web").requests("memory", "32Mi").limits("memory", "32Mi").obj(),
			want:   forbidden + "minimum memory usage per Container is 64Mi, but request is 32Mi",
		},
		{
			name:   "container limit below min",
			ranges: []*api.LimitRange{limitRange("min").container().min("memory", "64Mi").obj()},
			pod:    pod().container("web").requests("memory", "64Mi").limits("memory", "32Mi").obj(),
			want:   forbidden + "minimum memory usage per Container is 64Mi, but limit is 32Mi",
		},
		{
			name:   "a min needs a request",
			ranges: []*api.LimitRange{limitRange("min").container().min("memory", "64Mi").obj()},
			pod:    pod().container("web").obj(),
			want:   forbidden + "minimum memory usage per Container is 64Mi.  No request is specified",
		},
		{
			name:   "init containers are bounded too",
			ranges: []*api.LimitRange{containerMax},
			pod:    pod().initContainer("setup").requests("cpu", "1").limits("cpu", "1").container("web").requests("cpu", "100m").limits("cpu", "100m").obj(),
			want:   forbidden + "maximum cpu usage per Container is 500m, but limit is 1",
		},
		{
			name:   "limit to request ratio too high",
			ranges: []*api.LimitRange{limitRange("ratio").container().ratio("cpu", "2").obj()},
			pod:    pod().container("web").requests("cpu", "250m").limits("cpu", "1").obj(),
			want:   forbidden + "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000",
		},
		{
			name:   "limit to request ratio just allowed",
			ranges: []*api.LimitRange{limitRange("ratio").container().ratio("cpu", "1500m").obj()},
			pod:    pod().container("web").requests("cpu", "200m").limits("cpu", "300m").obj(),
		},
		{
			name:   "a ratio needs a request",
			ranges: []*api.LimitRange{limitRange("ratio").container().ratio("memory", "2").obj()},
			pod:    pod().container("web").limits("memory", "1Gi").obj(),
			want:   forbidden + "memory max limit to request ratio per Container is 2, but no request is specified or request is 0",
		},
		{
			name:   "a ratio needs a limit",
			ranges: []*api.LimitRange{limitRange("ratio").container().ratio("memory", "2").obj()},
			pod:    pod().container("web").requests("memory", "1Gi").obj(),
			want:   forbidden + "memory max limit to request ratio per Container is 2, but no limit is specified or limit is 0",
		},
		{
			name:   "pod total above max",
			ranges: []*api.LimitRange{limitRange("pod").pod().max("cpu", "1").obj()},
			pod:    pod().container("a").requests("cpu", "600m").limits("cpu", "600m").container("b").requests("cpu", "600m").limits("cpu", "600m").obj(),
			want:   forbidden + "maximum cpu usage per Pod is 1, but limit is 1200m",
		},
		{
			name:   "pod total below min",
			ranges: []*api.LimitRange{limitRange("pod").pod().min("memory", "1Gi").obj()},
			pod:    pod().container("a").requests("memory", "256Mi").container("b").requests("memory", "256Mi").obj(),
			want:   forbidden + "minimum memory usage per Pod is 1Gi, but request is 512Mi",
		},
		{
			name:   "pod total is the largest init container when that is more",
			ranges: []*api.LimitRange{limitRange("pod").pod().max("cpu", "1").obj()},
			pod:    pod().initContainer("setup").requests("cpu", "2").limits("cpu", "2").container("web").requests("cpu", "500m").limits("cpu", "500m").obj(),
			want:   forbidden + "maximum cpu usage per Pod is 1, but limit is 2",
		},
		{
			name:   "pod ratio",
			ranges: []*api.LimitRange{limitRange("pod").pod().ratio("cpu", "1").obj()},
			pod:    pod().container("a").requests("cpu", "1").limits("cpu", "1").container("b").requests("cpu", "1").limits("cpu", "2").obj(),
			want:   forbidden + "cpu max limit to request ratio per Pod is 1, but provided ratio is 1.500000",
		},
		{
			name:   "every violation of a LimitRange is listed",
			ranges: []*api.LimitRange{limitRange("max").container().max("cpu", "500m", "memory", "1Gi").obj()},
			pod:    pod().container("web").requests("cpu", "100m", "memory", "1Gi").limits("cpu", "1", "memory", "2Gi").obj(),
			want: forbidden + "[maximum cpu usage per Container is 500m, but limit is 1, " +
				"maximum memory usage per Container is 1Gi, but limit is 2Gi]",
		},
		{
			name: "the first LimitRange by name that objects is reported",
			ranges: []*api.LimitRange{
				limitRange("b").container().max("memory", "1Gi").obj(),
				limitRange("a").container().max("cpu", "500m").obj(),
			},
			pod:  pod().container("web").requests("cpu", "1", "memory", "2Gi").limits("cpu", "1", "memory", "2Gi").obj(),
			want: forbidden + "maximum cpu usage per Container is 500m, but limit is 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := New(fakeLister{"team": tt.ranges}).Validate(context.Background(), createPod(tt.pod)); err != nil {
				got = err.Error()
				if !api.IsForbidden(err) || api.CodeOf(err) != 403 {
					t.Errorf("error %v is not a 403 Forbidden Status", err)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultsSatisfyBounds runs the plugin as the chain does: a pod that sets
// nothing gets the max as its limit and, since the default request falls back
// to the default limit before the min, as its request too; and it passes.
func TestDefaultsSatisfyBounds(t *testing.T) {
	p := New(fakeLister{"team": {limitRange("bounds").container().min("cpu", "100m").max("cpu", "1").obj()}})
	chain := admission.Chain{Mutating: []admission.MutatingPlugin{p}, Validating: []admission.ValidatingPlugin{p}}
	a := createPod(pod().container("web").obj())
	if err := chain.Admit(context.Background(), a); err != nil {
		t.Fatalf("Admit: %v", err)
	}
	if err := chain.Validate(context.Background(), a); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := pod().container("web").requests("cpu", "1").limits("cpu", "1").
		annotate(AnnotationKey, "LimitRanger plugin set: cpu request for container web; cpu limit for container web").obj()
	if diff := cmp.Diff(want, a.Object); diff != "" {
		t.Errorf("pod (-want +got):\n%s", diff)
	}
}

func TestUpdatesAreNotValidated(t *testing.T) {
	p := pod().container("web").requests("cpu", "1").limits("cpu", "1").obj()
	a := createPod(p)
	a.Operation, a.OldObject = admission.Update, api.DeepCopy(p)
	if err := New(fakeLister{"team": {limitRange("max").container().max("cpu", "500m").obj()}}).Validate(context.Background(), a); err != nil {
		t.Errorf("Validate on update = %v, want nil", err)
	}
}
