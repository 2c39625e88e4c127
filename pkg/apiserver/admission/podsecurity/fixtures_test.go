package podsecurity

import (
	"context"

	"skiff/pkg/api"
)

// podBuilder builds test pods: pod().container("web").privileged().obj().
// Container settings apply to the container added last.
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

// last is the container added last, init containers counting only while the pod
// has no regular ones.
func (b *podBuilder) last() *api.Container {
	if n := len(b.p.Spec.Containers); n > 0 {
		return &b.p.Spec.Containers[n-1]
	}
	return &b.p.Spec.InitContainers[len(b.p.Spec.InitContainers)-1]
}

// sc is the last container's security context, created if need be.
func (b *podBuilder) sc() *api.SecurityContext {
	c := b.last()
	if c.SecurityContext == nil {
		c.SecurityContext = &api.SecurityContext{}
	}
	return c.SecurityContext
}

// podSC is the pod's security context, created if need be.
func (b *podBuilder) podSC() *api.PodSecurityContext {
	if b.p.Spec.SecurityContext == nil {
		b.p.Spec.SecurityContext = &api.PodSecurityContext{}
	}
	return b.p.Spec.SecurityContext
}

func (b *podBuilder) caps() *api.Capabilities {
	if b.sc().Capabilities == nil {
		b.sc().Capabilities = &api.Capabilities{}
	}
	return b.sc().Capabilities
}

// restricted makes the pod and every container added so far pass the
// Restricted level, so a test can then break one rule.
func (b *podBuilder) restricted() *podBuilder {
	b.podSC().RunAsNonRoot = ptr(true)
	b.podSC().SeccompProfile = &api.SeccompProfile{Type: "RuntimeDefault"}
	for _, cs := range [][]api.Container{b.p.Spec.InitContainers, b.p.Spec.Containers} {
		for i := range cs {
			cs[i].SecurityContext = &api.SecurityContext{
				AllowPrivilegeEscalation: ptr(false),
				Capabilities:             &api.Capabilities{Drop: []string{"ALL"}},
			}
		}
	}
	return b
}

func (b *podBuilder) image(img string) *podBuilder { b.last().Image = img; return b }
func (b *podBuilder) privileged() *podBuilder      { b.sc().Privileged = ptr(true); return b }
func (b *podBuilder) unprivileged() *podBuilder    { b.sc().Privileged = ptr(false); return b }
func (b *podBuilder) addCaps(c ...string) *podBuilder {
	b.caps().Add = append(b.caps().Add, c...)
	return b
}
func (b *podBuilder) dropCaps(c ...string) *podBuilder {
	b.caps().Drop = c
	return b
}
func (b *podBuilder) hostPort(port int32) *podBuilder {
	b.last().Ports = append(b.last().Ports, api.ContainerPort{ContainerPort: 80, HostPort: port})
	return b
}
func (b *podBuilder) procMount(t string) *podBuilder { b.sc().ProcMount = &t; return b }
func (b *podBuilder) seLinux(o api.SELinuxOptions) *podBuilder {
	b.sc().SELinuxOptions = &o
	return b
}
func (b *podBuilder) podSELinux(o api.SELinuxOptions) *podBuilder {
	b.podSC().SELinuxOptions = &o
	return b
}
func (b *podBuilder) seccomp(t string) *podBuilder {
	b.sc().SeccompProfile = &api.SeccompProfile{Type: t}
	return b
}
func (b *podBuilder) podSeccomp(t string) *podBuilder {
	b.podSC().SeccompProfile = &api.SeccompProfile{Type: t}
	return b
}
func (b *podBuilder) noPodSeccomp() *podBuilder { b.podSC().SeccompProfile = nil; return b }
func (b *podBuilder) allowPrivilegeEscalation(v bool) *podBuilder {
	b.sc().AllowPrivilegeEscalation = &v
	return b
}
func (b *podBuilder) runAsNonRoot(v bool) *podBuilder    { b.sc().RunAsNonRoot = &v; return b }
func (b *podBuilder) podRunAsNonRoot(v bool) *podBuilder { b.podSC().RunAsNonRoot = &v; return b }
func (b *podBuilder) noPodRunAsNonRoot() *podBuilder     { b.podSC().RunAsNonRoot = nil; return b }
func (b *podBuilder) runAsUser(uid int64) *podBuilder    { b.sc().RunAsUser = &uid; return b }
func (b *podBuilder) podRunAsUser(uid int64) *podBuilder { b.podSC().RunAsUser = &uid; return b }
func (b *podBuilder) hostNetwork() *podBuilder           { b.p.Spec.HostNetwork = true; return b }
func (b *podBuilder) hostPID() *podBuilder               { b.p.Spec.HostPID = true; return b }
func (b *podBuilder) hostIPC() *podBuilder               { b.p.Spec.HostIPC = true; return b }
func (b *podBuilder) volume(name string, src api.VolumeSource) *podBuilder {
	b.p.Spec.Volumes = append(b.p.Spec.Volumes, api.Volume{Name: name, VolumeSource: src})
	return b
}
func (b *podBuilder) sysctl(name string) *podBuilder {
	b.podSC().Sysctls = append(b.podSC().Sysctls, api.Sysctl{Name: name, Value: "1"})
	return b
}
func (b *podBuilder) annotate(k, v string) *podBuilder {
	if b.p.Annotations == nil {
		b.p.Annotations = map[string]string{}
	}
	b.p.Annotations[k] = v
	return b
}
func (b *podBuilder) label(k, v string) *podBuilder {
	if b.p.Labels == nil {
		b.p.Labels = map[string]string{}
	}
	b.p.Labels[k] = v
	return b
}

// deployment wraps the pod as the template of a Deployment named "web".
func (b *podBuilder) deployment() *api.Deployment {
	return &api.Deployment{
		TypeMeta:   api.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: b.p.Namespace},
		Spec:       api.DeploymentSpec{Template: api.PodTemplateSpec{ObjectMeta: b.p.ObjectMeta, Spec: b.p.Spec}},
	}
}

// replicaSet wraps the pod as the template of a ReplicaSet named "web".
func (b *podBuilder) replicaSet() *api.ReplicaSet {
	return &api.ReplicaSet{
		TypeMeta:   api.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: b.p.Namespace},
		Spec:       api.ReplicaSetSpec{Template: api.PodTemplateSpec{ObjectMeta: b.p.ObjectMeta, Spec: b.p.Spec}},
	}
}

var (
	hostPath = api.VolumeSource{HostPath: &api.HostPathVolumeSource{Path: "/var/lib/data"}}
	emptyDir = api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}
)

func ptr[T any](v T) *T { return &v }

// fakeNamespaces is a NamespaceGetter over namespaces held in a map, by name.
type fakeNamespaces map[string]map[string]string

func (f fakeNamespaces) GetNamespace(_ context.Context, name string) (*api.Namespace, error) {
	labels, ok := f[name]
	if !ok {
		return nil, api.NewNotFound(api.GroupResource{Resource: "namespaces"}, name)
	}
	return &api.Namespace{ObjectMeta: api.ObjectMeta{Name: name, Labels: labels}}, nil
}

var _ NamespaceGetter = fakeNamespaces(nil)
