package patch

import (
	"reflect"
	"time"
)

// The types below mirror the parts of the Kubernetes Pod and Deployment that strategic
// merge patch cares about, with the same json and patch tags.

type testTypeMeta struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

type testObjectMeta struct {
	Name              string            `json:"name,omitempty"`
	CreationTimestamp time.Time         `json:"creationTimestamp,omitzero"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	OwnerReferences   []testOwnerRef    `json:"ownerReferences,omitempty" patchStrategy:"merge" patchMergeKey:"uid"`
	Finalizers        []string          `json:"finalizers,omitempty" patchStrategy:"merge"`
}

type testOwnerRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	UID  string `json:"uid"`
}

type testPod struct {
	testTypeMeta   `json:",inline"`
	testObjectMeta `json:"metadata"`
	Spec           testPodSpec `json:"spec"`
}

type testPodSpec struct {
	Volumes        []testVolume      `json:"volumes,omitempty" patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
	InitContainers []testContainer   `json:"initContainers,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Containers     []testContainer   `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	NodeSelector   map[string]string `json:"nodeSelector,omitempty"`
	Tolerations    []testToleration  `json:"tolerations,omitempty"`
	Affinity       *testAffinity     `json:"affinity,omitempty" patchStrategy:"replace"`
}

type testContainer struct {
	Name    string         `json:"name"`
	Image   string         `json:"image,omitempty"`
	Args    []string       `json:"args,omitempty"`
	Ports   []testPort     `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
	Env     []testEnvVar   `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Limits  map[string]any `json:"limits,omitempty"`
	private []string
}

type testPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type testEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

type testVolume struct {
	Name             string `json:"name"`
	testVolumeSource `json:",inline"`
}

type testVolumeSource struct {
	EmptyDir *testEmptyDir `json:"emptyDir,omitempty"`
	HostPath *testHostPath `json:"hostPath,omitempty"`
}

type testEmptyDir struct {
	Medium string `json:"medium,omitempty"`
}

type testHostPath struct {
	Path string `json:"path"`
}

type testToleration struct {
	Key      string `json:"key,omitempty"`
	Operator string `json:"operator,omitempty"`
	Effect   string `json:"effect,omitempty"`
}

// testAffinity is tagged patchStrategy "replace" in testPodSpec (Kubernetes does not do
// that), to test objects that a patch replaces instead of merging into.
type testAffinity struct {
	Zones []string `json:"zones,omitempty"`
}

type testDeployment struct {
	testTypeMeta   `json:",inline"`
	testObjectMeta `json:"metadata"`
	Spec           testDeploymentSpec `json:"spec"`
}

type testDeploymentSpec struct {
	Replicas *int32          `json:"replicas,omitempty"`
	Template testPodTemplate `json:"template"`
	Strategy testStrategy    `json:"strategy,omitempty" patchStrategy:"retainKeys"`
}

type testPodTemplate struct {
	testObjectMeta `json:"metadata"`
	Spec           testPodSpec `json:"spec"`
}

type testStrategy struct {
	Type          string `json:"type,omitempty"`
	RollingUpdate *struct {
		MaxSurge int `json:"maxSurge"`
	} `json:"rollingUpdate,omitempty"`
}

var (
	podSchema        = SchemaFor(reflect.TypeFor[testPod]())
	deploymentSchema = SchemaFor(reflect.TypeFor[*testDeployment]())
)
