package api

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api/resource"
)

// podBuilder is the one place test pods are built.
type podBuilder struct{ p Pod }

func makePod() *podBuilder {
	return &podBuilder{Pod{
		ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       PodSpec{Containers: []Container{{Name: "c", Image: "busybox:1.36"}}},
	}}
}

func (b *podBuilder) with(f func(p *Pod)) *podBuilder { f(&b.p); return b }
func (b *podBuilder) obj() *Pod                       { p := DeepCopy(b.p); SetDefaultsPod(&p); return &p }

// fields returns "field: type" of each error, for compact comparison.
func fields(errs FieldErrors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+string(e.Type))
	}
	return out
}

func TestValidatePod(t *testing.T) {
	tests := []struct {
		name string
		pod  *Pod
		want []string
	}{
		{"valid", makePod().obj(), nil},
		{"bad name", makePod().with(func(p *Pod) { p.Name = "Web_1" }).obj(), []string{"metadata.name: FieldValueInvalid"}},
		{"no name", makePod().with(func(p *Pod) { p.Name = "" }).obj(), []string{"metadata.name: FieldValueRequired"}},
		{"no namespace", makePod().with(func(p *Pod) { p.Namespace = "" }).obj(), []string{"metadata.namespace: FieldValueRequired"}},
		{"bad label key", makePod().with(func(p *Pod) { p.Labels = map[string]string{"-x": "y"} }).obj(), []string{"metadata.labels: FieldValueInvalid"}},
		{"bad label value", makePod().with(func(p *Pod) { p.Labels = map[string]string{"x": strings.Repeat("v", 64)} }).obj(), []string{"metadata.labels[x]: FieldValueInvalid"}},
		{"no containers", makePod().with(func(p *Pod) { p.Spec.Containers = nil }).obj(), []string{"spec.containers: FieldValueRequired"}},
		{"duplicate container", makePod().with(func(p *Pod) { p.Spec.Containers = append(p.Spec.Containers, p.Spec.Containers[0]) }).obj(),
			[]string{"spec.containers[1].name: FieldValueDuplicate"}},
		{"missing image", makePod().with(func(p *Pod) { p.Spec.Containers[0].Image = "" }).obj(), []string{"spec.containers[0].image: FieldValueRequired"}},
		{"bad port", makePod().with(func(p *Pod) { p.Spec.Containers[0].Ports = []ContainerPort{{ContainerPort: 70000}} }).obj(),
			[]string{"spec.containers[0].ports[0].containerPort: FieldValueInvalid"}},
		{"request over limit", makePod().with(func(p *Pod) {
			p.Spec.Containers[0].Resources = ResourceRequirements{
				Requests: ResourceList{ResourceCPU: resource.MustParse("2")},
				Limits:   ResourceList{ResourceCPU: resource.MustParse("500m")},
			}
		}).obj(), []string{"spec.containers[0].resources.requests[cpu]: FieldValueInvalid"}},
		{"mount of unknown volume", makePod().with(func(p *Pod) {
			p.Spec.Containers[0].VolumeMounts = []VolumeMount{{Name: "data", MountPath: "/data"}}
		}).obj(), []string{"spec.containers[0].volumeMounts[0].name: FieldValueNotFound"}},
		{"two volume sources", makePod().with(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "v", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}, HostPath: &HostPathVolumeSource{Path: "/x"}}}}
		}).obj(), []string{"spec.volumes[0]: FieldValueForbidden"}},
		{"bad restart policy", makePod().with(func(p *Pod) { p.Spec.RestartPolicy = "Sometimes" }).obj(), []string{"spec.restartPolicy: FieldValueNotSupported"}},
		{"toleration seconds without NoExecute", makePod().with(func(p *Pod) {
			s := int64(5)
			p.Spec.Tolerations = []Toleration{{Key: "k", Operator: "Exists", Effect: "NoSchedule", TolerationSeconds: &s}}
		}).obj(), []string{"spec.tolerations[0].effect: FieldValueInvalid"}},
		{"env with two sources", makePod().with(func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "A", ValueFrom: &EnvVarSource{
				FieldRef:        &ObjectFieldSelector{FieldPath: "metadata.name"},
				ConfigMapKeyRef: &ConfigMapKeySelector{LocalObjectReference: LocalObjectReference{Name: "c"}, Key: "k"}}}}
		}).obj(), []string{"spec.containers[0].env[0].valueFrom: FieldValueInvalid"}},
		{"node affinity Gt without integer", makePod().with(func(p *Pod) {
			p.Spec.Affinity = &Affinity{NodeAffinity: &NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{
				NodeSelectorTerms: []NodeSelectorTerm{{MatchExpressions: []NodeSelectorRequirement{{Key: "cpus", Operator: "Gt", Values: []string{"many"}}}}}}}}
		}).obj(), []string{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: FieldValueInvalid"}},
		{"probe without handler", makePod().with(func(p *Pod) { p.Spec.Containers[0].LivenessProbe = &Probe{} }).obj(),
			[]string{"spec.containers[0].livenessProbe: FieldValueRequired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fields(ValidatePod(tt.pod))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePodUpdate(t *testing.T) {
	old := makePod().obj()
	old.UID = "u1"
	tests := []struct {
		name   string
		change func(p *Pod)
		want   []string
	}{
		{"image change allowed", func(p *Pod) { p.Spec.Containers[0].Image = "busybox:1.37" }, nil},
		{"labels allowed", func(p *Pod) { p.Labels = map[string]string{"a": "b"} }, nil},
		{"added toleration allowed", func(p *Pod) { p.Spec.Tolerations = append(p.Spec.Tolerations, Toleration{Operator: "Exists"}) }, nil},
		{"command change forbidden", func(p *Pod) { p.Spec.Containers[0].Command = []string{"sh"} }, []string{"spec: FieldValueForbidden"}},
		{"new container forbidden", func(p *Pod) { p.Spec.Containers = append(p.Spec.Containers, Container{Name: "d", Image: "x"}) }, []string{"spec: FieldValueForbidden"}},
		{"name immutable", func(p *Pod) { p.Name = "other" }, []string{"metadata.name: FieldValueInvalid"}},
		{"uid immutable", func(p *Pod) { p.UID = "u2" }, []string{"metadata.uid: FieldValueInvalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DeepCopy(old)
			tt.change(p)
			if diff := cmp.Diff(tt.want, fields(ValidatePodUpdate(p, old))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateDeployment(t *testing.T) {
	valid := func() *Deployment {
		r := int32(2)
		d := &Deployment{
			ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"},
			Spec: DeploymentSpec{Replicas: &r, Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: PodTemplateSpec{ObjectMeta: ObjectMeta{Labels: map[string]string{"app": "web"}},
					Spec: PodSpec{Containers: []Container{{Name: "c", Image: "i"}}}}},
		}
		SetDefaultsDeployment(d)
		return d
	}
	tests := []struct {
		name   string
		change func(d *Deployment)
		want   []string
	}{
		{"valid", func(*Deployment) {}, nil},
		{"selector does not match", func(d *Deployment) { d.Spec.Template.Labels = map[string]string{"app": "x"} },
			[]string{"spec.template.metadata.labels: FieldValueInvalid"}},
		{"negative replicas", func(d *Deployment) { n := int32(-1); d.Spec.Replicas = &n }, []string{"spec.replicas: FieldValueInvalid"}},
		{"restart policy", func(d *Deployment) { d.Spec.Template.Spec.RestartPolicy = RestartPolicyNever },
			[]string{"spec.template.spec.restartPolicy: FieldValueNotSupported"}},
		{"both zero", func(d *Deployment) {
			z := FromInt(0)
			d.Spec.Strategy.RollingUpdate = &RollingUpdateDeployment{MaxSurge: &z, MaxUnavailable: &z}
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: FieldValueInvalid"}},
		{"bad percent", func(d *Deployment) { v := FromString("ten%"); d.Spec.Strategy.RollingUpdate.MaxSurge = &v },
			[]string{"spec.strategy.rollingUpdate.maxSurge: FieldValueInvalid"}},
		{"recreate with rolling update", func(d *Deployment) { d.Spec.Strategy.Type = RecreateDeploymentStrategyType },
			[]string{"spec.strategy.rollingUpdate: FieldValueForbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.change(d)
			if diff := cmp.Diff(tt.want, fields(ValidateDeployment(d))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldErrorMessages(t *testing.T) {
	errs := FieldErrors{
		Invalid(NewPath("metadata", "name"), "Bad", "must be lower case"),
		Required(NewPath("spec").Child("containers").Index(0).Child("image"), ""),
		NotSupported(NewPath("spec", "restartPolicy"), "Sometimes", []string{"Always", "Never"}),
	}
	got := NewInvalid("Pod", "Bad", errs)
	want := `Pod "Bad" is invalid: [metadata.name: Invalid value: "Bad": must be lower case, spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never"]`
	if got.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", got.Error(), want)
	}
	if got.Code() != 422 || len(got.ErrStatus.Details.Causes) != 3 || got.ErrStatus.Details.Causes[1].Field != "spec.containers[0].image" {
		t.Errorf("status: %+v", got.ErrStatus)
	}
}

func TestPodDefaults(t *testing.T) {
	p := &Pod{Spec: PodSpec{Containers: []Container{
		{Name: "a", Image: "busybox", Ports: []ContainerPort{{ContainerPort: 80}},
			Resources:      ResourceRequirements{Limits: ResourceList{ResourceCPU: resource.MustParse("1"), ResourceMemory: resource.MustParse("64Mi")}},
			ReadinessProbe: &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Port: FromInt(80)}}}},
		{Name: "b", Image: "busybox:1.36"},
	}}}
	SetDefaultsPod(p)
	a, b := p.Spec.Containers[0], p.Spec.Containers[1]
	checks := map[string][2]any{
		"restartPolicy":              {p.Spec.RestartPolicy, RestartPolicyAlways},
		"schedulerName":              {p.Spec.SchedulerName, DefaultSchedulerName},
		"grace":                      {*p.Spec.TerminationGracePeriodSeconds, int64(30)},
		"untagged pull policy":       {a.ImagePullPolicy, PullAlways},
		"tagged pull policy":         {b.ImagePullPolicy, PullIfNotPresent},
		"port protocol":              {a.Ports[0].Protocol, ProtocolTCP},
		"requests from limits":       {a.Resources.Requests.cpu(), "1"},
		"probe period":               {a.ReadinessProbe.PeriodSeconds, int32(10)},
		"probe path":                 {a.ReadinessProbe.HTTPGet.Path, "/"},
		"phase":                      {p.Status.Phase, PodPending},
		"qos (b has no resources)":   {p.Status.QOSClass, "Burstable"},
		"termination message path":   {b.TerminationMessagePath, "/dev/termination-log"},
		"termination message policy": {b.TerminationMessagePolicy, "File"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %v, want %v", name, c[0], c[1])
		}
	}
	again := DeepCopy(p)
	SetDefaultsPod(again)
	if diff := cmp.Diff(p, again, cmp.AllowUnexported(Time{})); diff != "" {
		t.Errorf("defaulting is not idempotent (-first +second):\n%s", diff)
	}
}

func (l ResourceList) cpu() string { q := l[ResourceCPU]; return q.String() }

func TestQOSClass(t *testing.T) {
	lim := ResourceList{ResourceCPU: resource.MustParse("1"), ResourceMemory: resource.MustParse("1Gi")}
	tests := []struct {
		name string
		res  []ResourceRequirements
		want string
	}{
		{"none", []ResourceRequirements{{}}, "BestEffort"},
		{"limits equal requests", []ResourceRequirements{{Limits: lim, Requests: lim}}, "Guaranteed"},
		{"limits only (requests default to them)", []ResourceRequirements{{Limits: lim}}, "Guaranteed"},
		{"requests only", []ResourceRequirements{{Requests: lim}}, "Burstable"},
		{"one of two", []ResourceRequirements{{Limits: lim}, {}}, "Burstable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pod{}
			for i, r := range tt.res {
				p.Spec.Containers = append(p.Spec.Containers, Container{Name: string(rune('a' + i)), Image: "i", Resources: r})
			}
			SetDefaultsPod(p)
			if p.Status.QOSClass != tt.want {
				t.Errorf("got %s, want %s", p.Status.QOSClass, tt.want)
			}
		})
	}
}
