package podsecurity

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestCheckBaseline(t *testing.T) {
	tests := []struct {
		name string
		pod  *podBuilder
		want []string
	}{
		{name: "a plain pod passes", pod: pod().container("web")},

		{name: "privileged container", pod: pod().container("web").privileged(),
			want: []string{`privileged (container "web" must not set securityContext.privileged=true)`}},
		{name: "privileged=false passes", pod: pod().container("web").unprivileged()},
		{name: "privileged init container is named first", pod: pod().initContainer("setup").privileged().container("web").privileged(),
			want: []string{`privileged (containers "setup", "web" must not set securityContext.privileged=true)`}},

		{name: "host namespaces", pod: pod().container("web").hostIPC().hostPID().hostNetwork(),
			want: []string{`host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)`}},
		{name: "hostNetwork alone", pod: pod().container("web").hostNetwork(),
			want: []string{`host namespaces (hostNetwork=true)`}},

		{name: "non-default capabilities", pod: pod().container("web").addCaps("SYS_ADMIN", "NET_RAW", "CHOWN"),
			want: []string{`non-default capabilities (container "web" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)`}},
		{name: "default capabilities pass", pod: pod().container("web").addCaps("NET_BIND_SERVICE", "CHOWN", "SYS_CHROOT")},
		{name: "dropping capabilities passes", pod: pod().container("web").dropCaps("ALL")},

		{name: "hostPath volume", pod: pod().container("web").volume("data", hostPath).volume("tmp", emptyDir),
			want: []string{`hostPath volumes (volume "data")`}},
		{name: "two hostPath volumes", pod: pod().container("web").volume("a", hostPath).volume("b", hostPath),
			want: []string{`hostPath volumes (volumes "a", "b")`}},
		{name: "emptyDir passes", pod: pod().container("web").volume("tmp", emptyDir)},

		{name: "hostPort", pod: pod().container("web").hostPort(8080),
			want: []string{`hostPort (container "web" uses hostPort 8080)`}},
		{name: "hostPorts of two containers sort as strings", pod: pod().container("a").hostPort(8080).container("b").hostPort(443),
			want: []string{`hostPort (containers "a", "b" use hostPorts 443, 8080)`}},
		{name: "hostPort 0 passes", pod: pod().container("web").hostPort(0)},

		{name: "SELinux type", pod: pod().container("web").seLinux(api.SELinuxOptions{Type: "spc_t"}),
			want: []string{`seLinuxOptions (container "web" set forbidden securityContext.seLinuxOptions: type "spc_t")`}},
		{name: "SELinux user and role on the pod", pod: pod().container("web").podSELinux(api.SELinuxOptions{User: "system_u", Role: "system_r"}),
			want: []string{`seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: user may not be set; role may not be set)`}},
		{name: "SELinux pod and container", pod: pod().container("web").seLinux(api.SELinuxOptions{Type: "spc_t"}).podSELinux(api.SELinuxOptions{Type: "unconfined_t"}),
			want: []string{`seLinuxOptions (pod and container "web" set forbidden securityContext.seLinuxOptions: types "spc_t", "unconfined_t")`}},
		{name: "allowed SELinux types and a level pass", pod: pod().container("web").seLinux(api.SELinuxOptions{Type: "container_engine_t", Level: "s0:c1,c2"}).
			podSELinux(api.SELinuxOptions{Type: "container_t"})},

		{name: "unmasked /proc", pod: pod().container("web").procMount("Unmasked"),
			want: []string{`procMount (container "web" must not set securityContext.procMount to "Unmasked")`}},
		{name: "default /proc passes", pod: pod().container("web").procMount("Default")},

		{name: "unconfined seccomp on the pod", pod: pod().container("web").podSeccomp("Unconfined"),
			want: []string{`seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")`}},
		{name: "unconfined seccomp on a container", pod: pod().container("web").seccomp("Unconfined"),
			want: []string{`seccompProfile (container "web" must not set securityContext.seccompProfile.type to "Unconfined")`}},
		{name: "RuntimeDefault and Localhost seccomp pass", pod: pod().container("web").seccomp("Localhost").podSeccomp("RuntimeDefault")},
		{name: "no seccomp passes", pod: pod().container("web")},

		{name: "unsafe sysctls", pod: pod().container("web").sysctl("kernel.msgmax").sysctl("net.core.somaxconn"),
			want: []string{`forbidden sysctls (kernel.msgmax, net.core.somaxconn)`}},
		{name: "safe sysctls pass", pod: pod().container("web").sysctl("net.ipv4.tcp_rmem").sysctl("kernel.shm_rmid_forced").sysctl("net.ipv4.ip_unprivileged_port_start")},

		{name: "unconfined AppArmor annotation", pod: pod().container("web").annotate("container.apparmor.security.beta.kubernetes.io/web", "unconfined"),
			want: []string{`forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/web="unconfined"")`}},
		{name: "default and localhost AppArmor pass", pod: pod().container("web").
			annotate("container.apparmor.security.beta.kubernetes.io/web", "runtime/default").
			annotate("container.apparmor.security.beta.kubernetes.io/side", "localhost/custom")},

		{name: "violations in Kubernetes order", pod: pod().container("web").privileged().hostPort(80).hostNetwork().addCaps("SYS_ADMIN").volume("data", hostPath),
			want: []string{
				`non-default capabilities (container "web" must not include "SYS_ADMIN" in securityContext.capabilities.add)`,
				`host namespaces (hostNetwork=true)`,
				`hostPath volumes (volume "data")`,
				`hostPort (container "web" uses hostPort 80)`,
				`privileged (container "web" must not set securityContext.privileged=true)`,
			}},

		{name: "restricted-only rules do not apply", pod: pod().container("web").runAsUser(0).allowPrivilegeEscalation(true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pod.obj()
			if diff := cmp.Diff(tt.want, Check(Baseline, &p.ObjectMeta, &p.Spec)); diff != "" {
				t.Errorf("Check(baseline) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRestricted(t *testing.T) {
	tests := []struct {
		name string
		pod  *podBuilder
		want []string
	}{
		{name: "a hardened pod passes", pod: pod().initContainer("setup").container("web").restricted()},
		{name: "a plain pod breaks four rules", pod: pod().container("web"),
			want: []string{
				`allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)`,
				`unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"])`,
				`runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true)`,
				`seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
			}},

		{name: "allowPrivilegeEscalation true", pod: pod().container("web").restricted().allowPrivilegeEscalation(true),
			want: []string{`allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)`}},

		{name: "capabilities not dropped", pod: pod().container("web").restricted().dropCaps("NET_RAW"),
			want: []string{`unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"])`}},
		{name: "added capability replaces the baseline rule", pod: pod().container("web").restricted().addCaps("SYS_ADMIN", "CHOWN"),
			want: []string{`unrestricted capabilities (container "web" must not include "CHOWN", "SYS_ADMIN" in securityContext.capabilities.add)`}},
		{name: "both capability rules", pod: pod().container("web").restricted().dropCaps().addCaps("SYS_ADMIN"),
			want: []string{`unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]; container "web" must not include "SYS_ADMIN" in securityContext.capabilities.add)`}},
		{name: "NET_BIND_SERVICE may be added", pod: pod().container("web").restricted().addCaps("NET_BIND_SERVICE")},

		{name: "hostPath is a restricted volume type", pod: pod().container("web").restricted().volume("data", hostPath),
			want: []string{`restricted volume types (volume "data" uses restricted volume type "hostPath")`}},
		{name: "volume with no source", pod: pod().container("web").restricted().volume("a", hostPath).volume("b", api.VolumeSource{}),
			want: []string{`restricted volume types (volumes "a", "b" use restricted volume types "hostPath", "unknown")`}},
		{name: "allowed volume types pass", pod: pod().container("web").restricted().
			volume("a", emptyDir).
			volume("b", api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{}}).
			volume("c", api.VolumeSource{Secret: &api.SecretVolumeSource{}}).
			volume("d", api.VolumeSource{PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: "x"}}).
			volume("e", api.VolumeSource{Projected: &api.ProjectedVolumeSource{}}).
			volume("f", api.VolumeSource{DownwardAPI: &api.DownwardAPIVolumeSource{}})},

		{name: "runAsNonRoot=false on a container", pod: pod().container("web").restricted().runAsNonRoot(false),
			want: []string{`runAsNonRoot != true (container "web" must not set securityContext.runAsNonRoot=false)`}},
		{name: "runAsNonRoot=false on the pod", pod: pod().container("web").restricted().podRunAsNonRoot(false),
			want: []string{`runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)`}},
		{name: "runAsNonRoot on one container only", pod: pod().container("a").container("b").restricted().noPodRunAsNonRoot().runAsNonRoot(true),
			want: []string{`runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)`}},
		{name: "runAsNonRoot on every container passes", pod: pod().container("web").restricted().noPodRunAsNonRoot().runAsNonRoot(true)},

		{name: "runAsUser 0 on the pod", pod: pod().container("web").restricted().podRunAsUser(0),
			want: []string{`runAsUser=0 (pod must not set runAsUser=0)`}},
		{name: "runAsUser 0 on a container", pod: pod().container("web").restricted().runAsUser(0),
			want: []string{`runAsUser=0 (container "web" must not set runAsUser=0)`}},
		{name: "runAsUser 1000 passes", pod: pod().container("web").restricted().runAsUser(1000).podRunAsUser(1000)},

		{name: "no seccomp on the pod or a container", pod: pod().container("a").container("b").restricted().noPodSeccomp().seccomp("Localhost"),
			want: []string{`seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`}},
		{name: "seccomp on every container passes", pod: pod().container("web").restricted().noPodSeccomp().seccomp("RuntimeDefault")},
		{name: "unconfined seccomp is reported once", pod: pod().container("web").restricted().podSeccomp("Unconfined"),
			want: []string{`seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")`}},

		{name: "baseline rules still apply, first", pod: pod().container("web").restricted().privileged().hostPID().allowPrivilegeEscalation(true),
			want: []string{
				`host namespaces (hostPID=true)`,
				`privileged (container "web" must not set securityContext.privileged=true)`,
				`allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pod.obj()
			if diff := cmp.Diff(tt.want, Check(Restricted, &p.ObjectMeta, &p.Spec)); diff != "" {
				t.Errorf("Check(restricted) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckPrivilegedAllowsAnything(t *testing.T) {
	p := pod().container("web").privileged().hostNetwork().volume("data", hostPath).addCaps("SYS_ADMIN").obj()
	if got := Check(Privileged, &p.ObjectMeta, &p.Spec); got != nil {
		t.Errorf("Check(privileged) = %q, want nothing", got)
	}
}
