package priority

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// chain runs the plugin as the apiserver does: mutating, then validating.
func chain(f *fakeClasses) *admission.Chain {
	p := New(f)
	return &admission.Chain{Mutating: []admission.MutatingPlugin{p}, Validating: []admission.ValidatingPlugin{p}}
}

func admit(f *fakeClasses, a *admission.Attributes) error {
	c := chain(f)
	if err := c.Admit(context.Background(), a); err != nil {
		return err
	}
	return c.Validate(context.Background(), a)
}

func TestAdmitPod(t *testing.T) {
	high := class("high", 1000)
	batch := class("batch", 10, never)
	def := class("everyone", 50, globalDefault)
	tests := []struct {
		name    string
		classes []*api.PriorityClass
		pod     *api.Pod
		want    *api.Pod
	}{
		{"no class and no default", nil, pod().obj(),
			pod().priority(0).policy(api.PreemptLowerPriority).obj()},
		{"named class", []*api.PriorityClass{high, def}, pod().class("high").obj(),
			pod().class("high").priority(1000).policy(api.PreemptLowerPriority).obj()},
		{"the class's preemption policy", []*api.PriorityClass{batch}, pod().class("batch").obj(),
			pod().class("batch").priority(10).policy(api.PreemptNever).obj()},
		{"no class takes the default", []*api.PriorityClass{high, def}, pod().obj(),
			pod().class("everyone").priority(50).policy(api.PreemptLowerPriority).obj()},
		{"of two defaults the lowest value wins", []*api.PriorityClass{class("b", 70, globalDefault), class("a", 60, globalDefault)}, pod().obj(),
			pod().class("a").priority(60).policy(api.PreemptLowerPriority).obj()},
		{"a priority that agrees is kept", []*api.PriorityClass{high}, pod().class("high").priority(1000).obj(),
			pod().class("high").priority(1000).policy(api.PreemptLowerPriority).obj()},
		{"a policy that agrees is kept", []*api.PriorityClass{batch}, pod().class("batch").policy(api.PreemptNever).obj(),
			pod().class("batch").priority(10).policy(api.PreemptNever).obj()},
		{"built-in class", nil, pod().class(api.SystemNodeCritical).obj(),
			pod().class(api.SystemNodeCritical).priority(api.SystemCriticalPriority + 1000).policy(api.PreemptLowerPriority).obj()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(append(tc.classes, systemClasses()...)...)
			p := tc.pod
			if err := admit(f, createPod(p)); err != nil {
				t.Fatalf("admit: %v", err)
			}
			if diff := cmp.Diff(tc.want, p); diff != "" {
				t.Errorf("pod (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRejectPod(t *testing.T) {
	high := class("high", 1000)
	batch := class("batch", 10, never)
	tests := []struct {
		name    string
		classes []*api.PriorityClass
		pod     *api.Pod
		want    string
	}{
		{"unknown class", []*api.PriorityClass{high}, pod().class("ghost").obj(),
			`pods "web" is forbidden: [Priority] no PriorityClass with name ghost was found`},
		{"priority that disagrees with the class", []*api.PriorityClass{high}, pod().class("high").priority(5).obj(),
			`pods "web" is forbidden: [Priority] the integer value of priority (5) must not be provided in pod spec; ` +
				`priority admission controller computed 1000 from the given PriorityClass name`},
		{"priority without a class", nil, pod().priority(7).obj(),
			`pods "web" is forbidden: [Priority] the integer value of priority (7) must not be provided in pod spec; ` +
				`priority admission controller computed 0 from the given PriorityClass name`},
		{"policy that disagrees with the class", []*api.PriorityClass{batch}, pod().class("batch").policy(api.PreemptLowerPriority).obj(),
			`pods "web" is forbidden: [Priority] the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; ` +
				`priority admission controller computed Never from the given PriorityClass name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.pod
			before := api.DeepCopy(*p)
			err := admit(newFake(tc.classes...), createPod(p))
			if !api.IsForbidden(err) || err.Error() != tc.want {
				t.Fatalf("err = %v, want 403: %s", err, tc.want)
			}
			if diff := cmp.Diff(&before, p); diff != "" {
				t.Errorf("a refused pod was changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultFromCacheLag: a pod admitted before the cache has a new default
// class gets no class (Kubernetes' informer has the same lag); Validate does
// not then refuse it for disagreeing with the default.
func TestDefaultFromCacheLag(t *testing.T) {
	f := newFake()
	f.stored["everyone"] = class("everyone", 50, globalDefault)
	p := pod().obj()
	if err := admit(f, createPod(p)); err != nil {
		t.Fatal(err)
	}
	if p.Spec.PriorityClassName != "" || p.Spec.Priority == nil || *p.Spec.Priority != 0 {
		t.Errorf("class %q priority %v, want none and 0", p.Spec.PriorityClassName, p.Spec.Priority)
	}
}

// TestValidateAfterMutation: a later mutating plugin that changes the priority
// is caught by Validate.
func TestValidateAfterMutation(t *testing.T) {
	f := newFake(class("high", 1000))
	p := pod().class("high").obj()
	a := createPod(p)
	c := chain(f)
	if err := c.Admit(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	*p.Spec.Priority = 1
	if err := c.Validate(context.Background(), a); !api.IsForbidden(err) {
		t.Errorf("Validate after the priority changed: %v, want 403", err)
	}
}

func TestUpdateKeepsPriority(t *testing.T) {
	old := pod().class("high").priority(1000).policy(api.PreemptNever).obj()
	p := pod().class("high").obj()
	if err := admit(newFake(), updatePod(p, old)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(old, p); diff != "" {
		t.Errorf("pod after an update without priority (-want +got):\n%s", diff)
	}
}

func TestIgnores(t *testing.T) {
	f := newFake()
	p := pod().class("ghost").obj()
	status := createPod(p)
	status.Operation, status.Subresource = admission.Update, "status"
	cm := &admission.Attributes{Operation: admission.Create, Resource: "configmaps", Object: &api.ConfigMap{}}
	for name, a := range map[string]*admission.Attributes{"pod status": status, "configmap": cm} {
		if err := admit(f, a); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLookupError(t *testing.T) {
	f := newFake()
	f.err = errors.New("etcd: unavailable")
	err := admit(f, createPod(pod().class("high").obj()))
	var se *api.StatusError
	if err == nil || errors.As(err, &se) {
		t.Errorf("err = %v, want an internal error", err)
	}
}

func TestValidateClass(t *testing.T) {
	existing := class("everyone", 50, globalDefault)
	tests := []struct {
		name string
		op   admission.Operation
		pc   *api.PriorityClass
		want string // "" means allowed
	}{
		{"a class that is not the default", admission.Create, class("high", 1000), ""},
		{"a second default", admission.Create, class("second", 5, globalDefault),
			`priorityclasses.scheduling.k8s.io "second" is forbidden: [Priority] PriorityClass everyone is already marked as default. Only one default can exist`},
		{"making another class the default", admission.Update, class("high", 1000, globalDefault),
			`priorityclasses.scheduling.k8s.io "high" is forbidden: [Priority] PriorityClass everyone is already marked as default. Only one default can exist`},
		{"updating the default itself", admission.Update, class("everyone", 50, globalDefault, func(pc *api.PriorityClass) { pc.Description = "x" }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The cache has not seen the default yet: the check reads storage.
			f := newFake(class("high", 1000))
			f.stored["everyone"] = existing
			err := admit(f, writeClass(tc.op, tc.pc))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (!api.IsForbidden(err) || err.Error() != tc.want):
				t.Errorf("err = %v, want 403: %s", err, tc.want)
			}
		})
	}
}

func TestDeleteClass(t *testing.T) {
	f := newFake()
	for _, sys := range api.SystemPriorityClasses() {
		err := admit(f, deleteClass(sys))
		want := `priorityclasses.scheduling.k8s.io "` + sys.Name + `" is forbidden: [Priority] this is a system priority class and cannot be deleted`
		if !api.IsForbidden(err) || err.Error() != want {
			t.Errorf("delete %s: %v, want 403: %s", sys.Name, err, want)
		}
	}
	if err := admit(f, deleteClass(class("high", 1000))); err != nil {
		t.Errorf("delete a user class: %v", err)
	}
}
