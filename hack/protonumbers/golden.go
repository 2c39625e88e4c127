package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
)

// golden is one test object: its file name and the group version it is sent as.
type golden struct {
	name string
	gv   schema.GroupVersion
	obj  runtime.Object
}

// writeGolden writes each golden object to dir as NAME.pb and NAME.json, encoded the
// way client-go's typed clients encode request bodies.
func writeGolden(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, g := range goldens() {
		for _, f := range []struct{ mediaType, ext string }{
			{runtime.ContentTypeProtobuf, ".pb"},
			{runtime.ContentTypeJSON, ".json"},
		} {
			data, err := encode(g, f.mediaType)
			if err != nil {
				return fmt.Errorf("%s%s: %w", g.name, f.ext, err)
			}
			if err := os.WriteFile(filepath.Join(dir, g.name+f.ext), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// encode serializes g.obj as client-go's REST client does for a request body
// (rest.Request.Body with the clientset's negotiated serializer).
func encode(g golden, mediaType string) ([]byte, error) {
	codecs := scheme.Codecs.WithoutConversion()
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mediaType)
	if !ok {
		return nil, fmt.Errorf("no serializer for %s", mediaType)
	}
	data, err := runtime.Encode(codecs.EncoderForVersion(info.Serializer, g.gv), g.obj)
	if err != nil || mediaType != runtime.ContentTypeJSON {
		return data, err
	}
	var out bytes.Buffer
	err = json.Indent(&out, data, "", "  ")
	return out.Bytes(), err
}

var (
	t0 = metav1.NewTime(time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC))
	t1 = metav1.NewTime(time.Date(2025, 3, 14, 16, 0, 0, 0, time.UTC))
)

func goldens() []golden {
	v1 := corev1.SchemeGroupVersion
	return []golden{
		{"namespace", v1, namespace()},
		{"configmap", v1, configMap()},
		{"secret", v1, secret()},
		{"serviceaccount", v1, serviceAccount()},
		{"deployment", appsv1.SchemeGroupVersion, deployment()},
		{"replicaset", appsv1.SchemeGroupVersion, replicaSet()},
		{"pod", v1, pod()},
		{"pod-status", v1, podStatus()},
		{"service", v1, service()},
		{"endpoints", v1, endpoints()},
		{"lease", coordinationv1.SchemeGroupVersion, lease()},
		{"node", v1, node()},
		{"event", v1, event()},
		{"binding", v1, binding()},
		{"scale", autoscalingv1.SchemeGroupVersion, scale()},
		{"deleteoptions", v1, deleteOptions()},
		{"priorityclass", schedulingv1.SchemeGroupVersion, priorityClass()},
	}
}

// priorityClass is what kubectl create priorityclass batch --value=100
// --global-default --preemption-policy=Never --description=... sends, labelled.
func priorityClass() *schedulingv1.PriorityClass {
	never := corev1.PreemptNever
	return &schedulingv1.PriorityClass{
		ObjectMeta:       metav1.ObjectMeta{Name: "batch", Labels: map[string]string{"tier": "batch"}},
		Value:            100,
		GlobalDefault:    true,
		Description:      "batch jobs that may wait",
		PreemptionPolicy: &never,
	}
}

// namespace is what kubectl create namespace x sends, plus labels.
func namespace() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   "x",
		Labels: map[string]string{"team": "blue", "kubernetes.io/metadata.name": "x"},
	}}
}

// configMap is what kubectl create configmap --from-literal --from-file sends.
func configMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "default"},
		Data:       map[string]string{"mode": "fast", "empty": "", "config.yaml": "a: 1\nb: [2, 3]\n"},
		BinaryData: map[string][]byte{"logo.png": {0x89, 'P', 'N', 'G', 0, 0xff}, "none": {}},
	}
}

// secret is what kubectl create secret generic sends, made immutable.
func secret() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
		Immutable:  ptr.To(true),
		Data:       map[string][]byte{"password": []byte("s3cr3t\x00"), "user": []byte("admin")},
		StringData: map[string]string{"extra": "plain"},
		Type:       corev1.SecretTypeOpaque,
	}
}

func serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		ObjectMeta:                   metav1.ObjectMeta{Name: "builder", Namespace: "ci"},
		Secrets:                      []corev1.ObjectReference{{Name: "builder-token", Namespace: "ci"}},
		ImagePullSecrets:             []corev1.LocalObjectReference{{Name: "registry"}},
		AutomountServiceAccountToken: ptr.To(false),
	}
}

// deployment is what kubectl create deployment web --image=busybox:1.36 --replicas=3
// --port=8080 sends, with a rolling-update strategy added.
func deployment() *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "busybox",
					Image: "busybox:1.36",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				}}},
			},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromString("25%")),
				},
			},
			RevisionHistoryLimit:    ptr.To[int32](5),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
}

func replicaSet() *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-5d8f", Namespace: "default", Generation: 2,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "9b1f-77",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "api"}},
			}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}},
		},
		Status: appsv1.ReplicaSetStatus{
			Replicas: 2, ReadyReplicas: 1, ObservedGeneration: 2,
			Conditions: []appsv1.ReplicaSetCondition{{Type: "ReplicaFailure", Status: "False", LastTransitionTime: t0}},
		},
	}
}

// pod is what kubectl run sends, with most of a pod spec filled in.
func pod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:                       "app",
			GenerateName:               "app-",
			Namespace:                  "prod",
			UID:                        "0f5e-11",
			ResourceVersion:            "42",
			Generation:                 -1,
			CreationTimestamp:          t0,
			DeletionTimestamp:          &t1,
			DeletionGracePeriodSeconds: ptr.To[int64](30),
			Labels:                     map[string]string{"run": "app"},
			Annotations:                map[string]string{"note": "ünïcode ✓"},
			Finalizers:                 []string{"example.com/keep"},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: "kubectl-run", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
				Time: &t0, FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{".":{},"f:run":{}}}}`)},
			}},
		},
		Spec: corev1.PodSpec{
			Volumes: []corev1.Volume{
				{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
					Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(resource.MustParse("64Mi"))}}},
				{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "settings"},
					Items:                []corev1.KeyToPath{{Key: "mode", Path: "mode.txt", Mode: ptr.To[int32](0o400)}},
					DefaultMode:          ptr.To[int32](0o644),
				}}},
				{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
					SecretName: "db", Optional: ptr.To(true)}}},
				{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: "/var/log", Type: ptr.To(corev1.HostPathDirectory)}}},
				{Name: "claim", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
					ClaimName: "data", ReadOnly: true}}},
				{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
					Items: []corev1.DownwardAPIVolumeFile{
						{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}},
						{Path: "cpu", ResourceFieldRef: &corev1.ResourceFieldSelector{
							ContainerName: "app", Resource: "limits.cpu", Divisor: resource.MustParse("1m")}},
					},
				}}},
				{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
							Audience: "vault", ExpirationSeconds: ptr.To[int64](3600), Path: "token"}},
						{ConfigMap: &corev1.ConfigMapProjection{
							LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
							Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
						{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}},
						{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
							{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
					},
					DefaultMode: ptr.To[int32](0o420),
				}}},
				// A source Skiff does not have: Decode skips it, as JSON decoding does.
				{Name: "nfs", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nas", Path: "/x"}}},
			},
			InitContainers: []corev1.Container{{
				Name: "init", Image: "busybox:1.36", Command: []string{"sh", "-c", "true"},
				RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			}},
			Containers: []corev1.Container{{
				Name:       "app",
				Image:      "registry.example.com/app:v1",
				Command:    []string{"/bin/app"},
				Args:       []string{"--port=8080", "--verbose", ""},
				WorkingDir: "/srv",
				Ports: []corev1.ContainerPort{
					{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
					{Name: "metrics", HostPort: 9090, ContainerPort: 9090, Protocol: corev1.ProtocolUDP, HostIP: "0.0.0.0"},
				},
				EnvFrom: []corev1.EnvFromSource{
					{Prefix: "CFG_", ConfigMapRef: &corev1.ConfigMapEnvSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Optional: ptr.To(false)}},
					{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}},
				},
				Env: []corev1.EnvVar{
					{Name: "MODE", Value: "prod"},
					{Name: "EMPTY"},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
					{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"}}},
					{Name: "LEVEL", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "level", Optional: ptr.To(true)}}},
					{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("250m"),
						corev1.ResourceMemory: resource.MustParse("64Mi"),
					},
					Limits: corev1.ResourceList{
						corev1.ResourceCPU:              resource.MustParse("1.5"),
						corev1.ResourceMemory:           resource.MustParse("1Gi"),
						corev1.ResourceEphemeralStorage: resource.MustParse("2G"),
						"example.com/gpu":               resource.MustParse("1"),
					},
					Claims: []corev1.ResourceClaim{{Name: "gpu"}},
				},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "conf", ReadOnly: true, MountPath: "/etc/app"},
					{Name: "scratch", MountPath: "/tmp", SubPath: "app", MountPropagation: ptr.To(corev1.MountPropagationHostToContainer)},
				},
				LivenessProbe: &corev1.Probe{
					ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
						Path: "/healthz", Port: intstr.FromString("http"), Host: "localhost", Scheme: corev1.URISchemeHTTPS,
						HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "1"}},
					}},
					InitialDelaySeconds: 5, TimeoutSeconds: 2, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
					TerminationGracePeriodSeconds: ptr.To[int64](15),
				},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}},
				StartupProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/ready"}}},
					FailureThreshold: 30,
				},
				Lifecycle: &corev1.Lifecycle{
					PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"touch", "/tmp/started"}}},
					PreStop:   &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}},
				},
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				ImagePullPolicy:          corev1.PullIfNotPresent,
				SecurityContext: &corev1.SecurityContext{
					Capabilities:             &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}},
					Privileged:               ptr.To(false),
					RunAsUser:                ptr.To[int64](1000),
					RunAsNonRoot:             ptr.To(true),
					ReadOnlyRootFilesystem:   ptr.To(true),
					AllowPrivilegeEscalation: ptr.To(false),
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				},
				Stdin: true, StdinOnce: true, TTY: true,
			}, {
				Name: "sidecar", Image: "envoy",
				StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9901, Service: ptr.To("health")}}},
			}},
			RestartPolicy:                 corev1.RestartPolicyOnFailure,
			TerminationGracePeriodSeconds: ptr.To[int64](45),
			ActiveDeadlineSeconds:         ptr.To[int64](3600),
			DNSPolicy:                     corev1.DNSClusterFirst,
			NodeSelector:                  map[string]string{"kubernetes.io/os": "linux"},
			ServiceAccountName:            "builder",
			AutomountServiceAccountToken:  ptr.To(false),
			NodeName:                      "node-1",
			HostNetwork:                   true,
			ShareProcessNamespace:         ptr.To(true),
			SecurityContext: &corev1.PodSecurityContext{
				SELinuxOptions:     &corev1.SELinuxOptions{Level: "s0:c123,c456"},
				RunAsUser:          ptr.To[int64](1000),
				RunAsGroup:         ptr.To[int64](3000),
				SupplementalGroups: []int64{4000, 5000, 0},
				FSGroup:            ptr.To[int64](2000),
				Sysctls:            []corev1.Sysctl{{Name: "net.core.somaxconn", Value: "1024"}},
			},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry"}},
			Hostname:         "app-0",
			Subdomain:        "apps",
			Affinity: &corev1.Affinity{
				NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b"}}},
						MatchFields:      []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"node-9"}}},
					}}},
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
						Weight:     10,
						Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpExists}}},
					}},
				},
				PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}},
					TopologyKey:   "kubernetes.io/hostname",
					Namespaces:    []string{"prod", "staging"},
				}}},
				PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
					Weight: 100,
					PodAffinityTerm: corev1.PodAffinityTerm{
						LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"run": "app"}},
						TopologyKey:       "topology.kubernetes.io/zone",
						NamespaceSelector: &metav1.LabelSelector{},
						MatchLabelKeys:    []string{"pod-template-hash"},
					},
				}}},
			},
			SchedulerName: "default-scheduler",
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
				{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule},
			},
			HostAliases:       []corev1.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"db", "db.local"}}},
			PriorityClassName: "high",
			Priority:          ptr.To[int32](-5),
			PreemptionPolicy:  ptr.To(corev1.PreemptNever),
			DNSConfig: &corev1.PodDNSConfig{
				Nameservers: []string{"1.1.1.1"}, Searches: []string{"svc.cluster.local"},
				Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}, {Name: "edns0"}},
			},
			ReadinessGates:     []corev1.PodReadinessGate{{ConditionType: "example.com/ready"}},
			RuntimeClassName:   ptr.To("gvisor"),
			EnableServiceLinks: ptr.To(false),
			Overhead:           corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"run": "app"}},
				MinDomains:    ptr.To[int32](2), NodeAffinityPolicy: ptr.To(corev1.NodeInclusionPolicyHonor),
				MatchLabelKeys: []string{"pod-template-hash"},
			}},
			HostUsers: ptr.To(false), // not in Skiff
		},
	}
}

// podStatus is a pod as the node agent reports it.
func podStatus() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "prod"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: t0},
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastProbeTime: t1, Reason: "r", Message: "m"},
			},
			Message: "ok", Reason: "Fine", NominatedNodeName: "node-2",
			HostIP: "10.0.0.5", HostIPs: []corev1.HostIP{{IP: "10.0.0.5"}, {IP: "fd00::5"}},
			PodIP: "10.244.1.7", PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}},
			StartTime: &t0,
			InitContainerStatuses: []corev1.ContainerStatus{{
				Name: "init", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 0, Signal: 0, Reason: "Completed", StartedAt: t0, FinishedAt: t1, ContainerID: "containerd://a"}},
				Ready: true, Image: "busybox:1.36", ImageID: "sha256:1",
			}},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name:  "app",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t1}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 137, Signal: 9, Reason: "OOMKilled", Message: "out of memory"}},
				Ready: true, RestartCount: 3, Image: "app", ImageID: "sha256:2", ContainerID: "containerd://b",
				Started: ptr.To(true),
			}, {
				Name:  "sidecar",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "no"}},
			}},
			QOSClass: corev1.PodQOSBurstable,
		},
	}
}

// service is what kubectl expose sends, with one port whose targetPort is a number
// and one whose targetPort is a name.
func service() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{
				{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 30080},
				{Name: "grpc", Protocol: corev1.ProtocolTCP, AppProtocol: ptr.To("kubernetes.io/h2c"), Port: 9000, TargetPort: intstr.FromString("grpc")},
				{Name: "zero", Port: 7000, TargetPort: intstr.FromInt32(0)},
			},
			Selector:                      map[string]string{"app": "web"},
			ClusterIP:                     "10.96.0.10",
			ClusterIPs:                    []string{"10.96.0.10", "fd00::10"},
			Type:                          corev1.ServiceTypeNodePort,
			ExternalIPs:                   []string{"192.0.2.1"},
			SessionAffinity:               corev1.ServiceAffinityClientIP,
			ExternalTrafficPolicy:         corev1.ServiceExternalTrafficPolicyLocal,
			InternalTrafficPolicy:         ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
			PublishNotReadyAddresses:      true,
			IPFamilies:                    []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
			IPFamilyPolicy:                ptr.To(corev1.IPFamilyPolicyPreferDualStack),
			AllocateLoadBalancerNodePorts: ptr.To(true),
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
			{IP: "203.0.113.7", Hostname: "lb.example.com"},
		}}},
	}
}

func endpoints() *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.244.1.7", Hostname: "app-0", NodeName: ptr.To("node-1"),
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "app-0", UID: "u1", ResourceVersion: "7"}}},
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.244.2.8"}},
			Ports:             []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP, AppProtocol: ptr.To("http")}},
		}},
	}
}

// lease is a node heartbeat, with microsecond times.
func lease() *coordinationv1.Lease {
	acquire := metav1.NewMicroTime(time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC))
	renew := metav1.NewMicroTime(time.Date(2025, 3, 14, 15, 9, 36, 1000, time.UTC))
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "node-1", Namespace: "kube-node-lease"},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To("node-1"),
			LeaseDurationSeconds: ptr.To[int32](40),
			AcquireTime:          &acquire,
			RenewTime:            &renew,
			LeaseTransitions:     ptr.To[int32](0),
			Strategy:             ptr.To(coordinationv1.OldestEmulationVersion),
			PreferredHolder:      ptr.To("node-2"),
		},
	}
}

// node is what a node agent registers, with taints, capacity and conditions.
func node() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-1", Labels: map[string]string{"kubernetes.io/hostname": "node-1"}},
		Spec: corev1.NodeSpec{
			PodCIDR: "10.244.1.0/24", PodCIDRs: []string{"10.244.1.0/24", "fd00:1::/64"},
			ProviderID: "skiff://node-1", Unschedulable: true,
			Taints: []corev1.Taint{
				{Key: "node.kubernetes.io/unschedulable", Effect: corev1.TaintEffectNoSchedule, TimeAdded: &t0},
				{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectPreferNoSchedule},
			},
		},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16323872Ki"),
				corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("100G"),
			},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3800m"), corev1.ResourceMemory: resource.MustParse("15Gi")},
			Phase:       corev1.NodeRunning,
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: t1, LastTransitionTime: t0, Reason: "KubeletReady", Message: "ready"},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
			},
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.5"}, {Type: corev1.NodeHostName, Address: "node-1"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			NodeInfo: corev1.NodeSystemInfo{
				MachineID: "m", SystemUUID: "s", BootID: "b", KernelVersion: "6.1.0", OSImage: "Debian 12",
				ContainerRuntimeVersion: "containerd://2.0.0", KubeletVersion: "v1.32.0", KubeProxyVersion: "v1.32.0",
				OperatingSystem: "linux", Architecture: "amd64",
			},
			Images:       []corev1.ContainerImage{{Names: []string{"busybox:1.36", "busybox@sha256:1"}, SizeBytes: 4261550}},
			VolumesInUse: []corev1.UniqueVolumeName{"kubernetes.io/csi/x"},
		},
	}
}

func event() *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "app.1", Namespace: "prod"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "prod", Name: "app", UID: "0f5e-11", APIVersion: "v1", FieldPath: "spec.containers{app}"},
		Reason:         "Pulled",
		Message:        "Successfully pulled image",
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: t0,
		LastTimestamp:  t1,
		Count:          2,
		Type:           corev1.EventTypeNormal,
		EventTime:      metav1.NewMicroTime(time.Date(2025, 3, 14, 15, 9, 26, 123456000, time.UTC)),
		Series:         &corev1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(time.Date(2025, 3, 14, 16, 0, 0, 1000, time.UTC))},
		Action:         "Pull",
		Related:        &corev1.ObjectReference{Kind: "Node", Name: "node-1"},

		ReportingController: "kubelet",
		ReportingInstance:   "node-1",
	}
}

func binding() *corev1.Binding {
	return &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "prod"},
		Target:     corev1.ObjectReference{Kind: "Node", Name: "node-1"},
	}
}

func scale() *autoscalingv1.Scale {
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "9"},
		Spec:       autoscalingv1.ScaleSpec{Replicas: 5},
		Status:     autoscalingv1.ScaleStatus{Replicas: 3, Selector: "app=web"},
	}
}

// deleteOptions is the body of a kubectl delete --cascade=foreground --grace-period=0.
func deleteOptions() *metav1.DeleteOptions {
	return &metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: ptr.To(types.UID("0f5e-11")), ResourceVersion: ptr.To("42")},
		OrphanDependents:   ptr.To(false),
		PropagationPolicy:  ptr.To(metav1.DeletePropagationForeground),
		DryRun:             []string{metav1.DryRunAll},
	}
}
