package patch

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// testPodJSON is the live pod most strategic merge patch tests start from.
const testPodJSON = `{
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {
		"name": "web",
		"labels": {"app": "web", "tier": "frontend"},
		"finalizers": ["example.com/a", "example.com/b"]
	},
	"spec": {
		"containers": [
			{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}], "env": [{"name": "MODE", "value": "prod"}]},
			{"name": "log", "image": "fluent-bit:2.2"}
		],
		"volumes": [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {"medium": "Memory"}}],
		"tolerations": [{"key": "gpu", "operator": "Exists"}],
		"nodeSelector": {"disk": "ssd"}
	}
}`

// podWith returns testPodJSON, decoded, with the member at path (object keys only)
// set to the JSON value, or deleted if value is empty.
func podWith(t *testing.T, path, value string) any {
	t.Helper()
	pod := mustDecode(t, testPodJSON)
	keys := strings.Split(strings.TrimPrefix(path, "/"), "/")
	obj := pod.(map[string]any)
	for _, k := range keys[:len(keys)-1] {
		obj = obj[k].(map[string]any)
	}
	if value == "" {
		delete(obj, keys[len(keys)-1])
	} else {
		obj[keys[len(keys)-1]] = mustDecode(t, value)
	}
	return pod
}

func TestStrategicMergePatchPod(t *testing.T) {
	tests := []struct {
		name  string
		patch string
		path  string // the member of testPodJSON the patch changes
		want  string // its new value; "" if it is deleted
	}{
		{
			name:  "change one container's image, keeping the others",
			patch: `{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"prod"}]},
				{"name":"log","image":"fluent-bit:2.2"}]`,
		},
		{
			name:  "add an env var and change another",
			patch: `{"spec":{"containers":[{"name":"web","env":[{"name":"DEBUG","value":"1"},{"name":"MODE","value":"dev"}]}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"dev"},{"name":"DEBUG","value":"1"}]},
				{"name":"log","image":"fluent-bit:2.2"}]`,
		},
		{
			name:  "ports merge by number",
			patch: `{"spec":{"containers":[{"name":"web","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"env":[{"name":"MODE","value":"prod"}]},
				{"name":"log","image":"fluent-bit:2.2"}]`,
		},
		{
			name:  "add a container",
			patch: `{"spec":{"containers":[{"name":"metrics","image":"exporter:1","args":["--port",null]}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"prod"}]},
				{"name":"log","image":"fluent-bit:2.2"},
				{"name":"metrics","image":"exporter:1","args":["--port",null]}]`,
		},
		{
			name:  "delete a container with $patch: delete",
			patch: `{"spec":{"containers":[{"$patch":"delete","name":"log"}]}}`,
			path:  "/spec/containers",
			want:  `[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"prod"}]}]`,
		},
		{
			name:  "deleting a container that is not there",
			patch: `{"spec":{"containers":[{"$patch":"delete","name":"nope"}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"prod"}]},
				{"name":"log","image":"fluent-bit:2.2"}]`,
		},
		{
			name:  "$patch: replace as a list item replaces the list",
			patch: `{"spec":{"containers":[{"name":"only","image":"busybox"},{"$patch":"replace"}]}}`,
			path:  "/spec/containers",
			want:  `[{"name":"only","image":"busybox"}]`,
		},
		{
			name:  "$setElementOrder reorders containers",
			patch: `{"spec":{"$setElementOrder/containers":[{"name":"log"},{"name":"web"}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"log","image":"fluent-bit:2.2"},
				{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"prod"}]}]`,
		},
		{
			name:  "$setElementOrder places a new container",
			patch: `{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"metrics"},{"name":"log"}],"containers":[{"name":"metrics","image":"exporter:1"}]}}`,
			path:  "/spec/containers",
			want: `[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"prod"}]},
				{"name":"metrics","image":"exporter:1"},
				{"name":"log","image":"fluent-bit:2.2"}]`,
		},
		{
			name:  "$retainKeys switches a volume from emptyDir to hostPath",
			patch: `{"spec":{"$setElementOrder/volumes":[{"name":"data"},{"name":"tmp"}],"volumes":[{"$retainKeys":["hostPath","name"],"emptyDir":null,"hostPath":{"path":"/srv/data"},"name":"data"}]}}`,
			path:  "/spec/volumes",
			want:  `[{"name":"data","hostPath":{"path":"/srv/data"}},{"name":"tmp","emptyDir":{"medium":"Memory"}}]`,
		},
		{
			name:  "$retainKeys without the null kubectl also sends",
			patch: `{"spec":{"volumes":[{"$retainKeys":["hostPath","name"],"hostPath":{"path":"/srv/data"},"name":"data"}]}}`,
			path:  "/spec/volumes",
			want:  `[{"name":"data","hostPath":{"path":"/srv/data"}},{"name":"tmp","emptyDir":{"medium":"Memory"}}]`,
		},
		{
			name:  "null removes a label",
			patch: `{"metadata":{"labels":{"tier":null}}}`,
			path:  "/metadata/labels",
			want:  `{"app":"web"}`,
		},
		{
			name:  "null removes a missing label",
			patch: `{"metadata":{"labels":{"nope":null,"new":"x"}}}`,
			path:  "/metadata/labels",
			want:  `{"app":"web","tier":"frontend","new":"x"}`,
		},
		{
			name:  "finalizers merge as a set",
			patch: `{"metadata":{"finalizers":["example.com/c","example.com/b","example.com/c"]}}`,
			path:  "/metadata/finalizers",
			want:  `["example.com/a","example.com/b","example.com/c"]`,
		},
		{
			name:  "$deleteFromPrimitiveList removes a finalizer",
			patch: `{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a","example.com/zzz"]}}`,
			path:  "/metadata/finalizers",
			want:  `["example.com/b"]`,
		},
		{
			name:  "finalizers as kubectl apply changes them",
			patch: `{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"],"$setElementOrder/finalizers":["example.com/c","example.com/b"],"finalizers":["example.com/c"]}}`,
			path:  "/metadata/finalizers",
			want:  `["example.com/c","example.com/b"]`,
		},
		{
			name:  "tolerations are replaced",
			patch: `{"spec":{"tolerations":[{"key":"spot","operator":"Exists"}]}}`,
			path:  "/spec/tolerations",
			want:  `[{"key":"spot","operator":"Exists"}]`,
		},
		{
			name:  "$setElementOrder of a replaced list is ignored",
			patch: `{"spec":{"$setElementOrder/tolerations":[{"key":"b"},{"key":"a"}],"tolerations":[{"key":"a"},{"key":"b"}]}}`,
			path:  "/spec/tolerations",
			want:  `[{"key":"a"},{"key":"b"}]`,
		},
		{
			name:  "$patch: replace in an object",
			patch: `{"spec":{"nodeSelector":{"$patch":"replace","zone":"a"}}}`,
			path:  "/spec/nodeSelector",
			want:  `{"zone":"a"}`,
		},
		{
			name:  "$patch: delete in an object",
			patch: `{"spec":{"nodeSelector":{"$patch":"delete","zone":"a"}}}`,
			path:  "/spec/nodeSelector",
			want:  "",
		},
		{
			name:  "directives in new content never leak",
			patch: `{"spec":{"$setElementOrder/initContainers":[{"name":"init"}],"initContainers":[{"name":"init","env":[{"name":"A","value":null},{"$patch":"delete","name":"B"}],"ports":[{"$patch":"replace"}],"limits":{"$retainKeys":["cpu"],"cpu":"1","gone":null}}]}}`,
			path:  "/spec/initContainers",
			want:  `[{"name":"init","env":[{"name":"A"}],"ports":[],"limits":{"cpu":"1"}}]`,
		},
		{
			name:  "$setElementOrder for a list that is not there does nothing",
			patch: `{"spec":{"$setElementOrder/initContainers":[{"name":"x"}],"$deleteFromPrimitiveList/args":["x"]}}`,
			path:  "/spec/initContainers",
			want:  "",
		},
		{
			name:  "a null list deletes it, whatever the directives say",
			patch: `{"spec":{"$setElementOrder/containers":[{"name":"log"}],"containers":null}}`,
			path:  "/spec/containers",
			want:  "",
		},
		{
			name:  "unknown members: objects merge, lists are replaced",
			patch: `{"spec":{"extra":{"list":[3],"n":1}}}`,
			path:  "/spec/extra",
			want:  `{"list":[3],"n":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyStrategicMergePatch([]byte(testPodJSON), []byte(tt.patch), podSchema)
			want, _ := json.Marshal(podWith(t, tt.path, tt.want))
			checkResult(t, got, err, string(want), nil)
		})
	}
}

func TestStrategicMergePatchOrdering(t *testing.T) {
	// Containers the server added (a sidecar injector's "proxy") are not in the
	// client's $setElementOrder and must not move around.
	tests := []struct {
		name     string
		original string // names of the original containers
		patch    string
		want     string // names of the result's containers
	}{
		{"server-added item first stays first", "proxy web log",
			`{"$setElementOrder/containers":[{"name":"web"},{"name":"metrics"},{"name":"log"}],"containers":[{"name":"metrics"}]}`,
			"proxy web metrics log"},
		{"server-added item in the middle stays there", "web proxy log",
			`{"$setElementOrder/containers":[{"name":"web"},{"name":"log"}],"containers":[{"name":"log","image":"x"}]}`,
			"web proxy log"},
		{"server-added item last stays last", "web log proxy",
			`{"$setElementOrder/containers":[{"name":"log"},{"name":"web"}]}`,
			"log web proxy"},
		{"server-added item goes before the next named item it preceded", "web proxy log",
			`{"$setElementOrder/containers":[{"name":"log"},{"name":"web"}]}`,
			"proxy log web"},
		{"without $setElementOrder new items are appended", "web log",
			`{"containers":[{"name":"new"},{"name":"log","image":"x"},{"name":"web","image":"x"}]}`,
			"web log new"},
		{"deleted items leave the order", "a b c",
			`{"$setElementOrder/containers":[{"name":"c"},{"name":"a"}],"containers":[{"$patch":"delete","name":"b"}]}`,
			"c a"},
		{"an item the patch adds but the order forgets goes last", "a b",
			`{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"x"}]}`,
			"b a x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var containers []string
			for _, name := range strings.Fields(tt.original) {
				containers = append(containers, fmt.Sprintf(`{"name":%q}`, name))
			}
			original := `{"spec":{"containers":[` + strings.Join(containers, ",") + `]}}`
			out, err := ApplyStrategicMergePatch([]byte(original), []byte(`{"spec":`+tt.patch+`}`), podSchema)
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Spec testPodSpec }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range got.Spec.Containers {
				names = append(names, c.Name)
			}
			if strings.Join(names, " ") != tt.want {
				t.Errorf("containers = %v, want %s", names, tt.want)
			}
		})
	}
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestStrategicMergePatchKubectlApply applies patches exactly as kubectl 1.2x/1.3x
// client-side apply computes them: a three-way diff of the last applied configuration,
// the new configuration and the live object.
func TestStrategicMergePatchKubectlApply(t *testing.T) {
	const lastApplied = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"web","x":"1"},"name":"web","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"web"}]}}}}` + "\n"
	const scaled = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"web","x":"1"},"name":"web","namespace":"default"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.27","name":"web"}]}}}}` + "\n"
	const unlabeled = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"web"},"name":"web","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"web"}]}}}}` + "\n"

	// live builds the live Deployment as the apiserver holds it, defaults filled in.
	live := func(lastApplied, labels string, replicas int, image, strategy string) string {
		return fmt.Sprintf(`{"apiVersion":"apps/v1","kind":"Deployment",
			"metadata":{"name":"web","namespace":"default","uid":"6f1c","resourceVersion":"1234","generation":1,
				"annotations":{"deployment.kubernetes.io/revision":"1","kubectl.kubernetes.io/last-applied-configuration":%s},
				"labels":%s},
			"spec":{"replicas":%d,"selector":{"matchLabels":{"app":"web"}},"revisionHistoryLimit":10,"strategy":%s,
				"template":{"metadata":{"labels":{"app":"web"}},
					"spec":{"containers":[{"name":"web","image":%q,"imagePullPolicy":"IfNotPresent","resources":{},"terminationMessagePath":"/dev/termination-log"}],
						"restartPolicy":"Always","dnsPolicy":"ClusterFirst"}}},
			"status":{"replicas":2,"readyReplicas":2}}`, quote(lastApplied), labels, replicas, strategy, image)
	}
	const rolling = `{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}`
	tests := []struct {
		name     string
		original string
		patch    string
		want     string
	}{
		{
			name:     "change spec.replicas and an image",
			original: live(lastApplied, `{"app":"web","x":"1"}`, 2, "nginx:1.25", rolling),
			patch: `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + quote(scaled) + `}},` +
				`"spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.27","name":"web"}]}}}}`,
			want: live(scaled, `{"app":"web","x":"1"}`, 3, "nginx:1.27", rolling),
		},
		{
			name:     "remove a previously applied label",
			original: live(lastApplied, `{"app":"web","x":"1"}`, 2, "nginx:1.25", rolling),
			patch:    `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + quote(unlabeled) + `},"labels":{"x":null}}}`,
			want:     live(unlabeled, `{"app":"web"}`, 2, "nginx:1.25", rolling),
		},
		{
			name:     "switch a defaulted strategy to Recreate ($retainKeys)",
			original: live(lastApplied, `{"app":"web","x":"1"}`, 2, "nginx:1.25", rolling),
			patch:    `{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}`,
			want:     live(lastApplied, `{"app":"web","x":"1"}`, 2, "nginx:1.25", `{"type":"Recreate"}`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyStrategicMergePatch([]byte(tt.original), []byte(tt.patch), deploymentSchema)
			checkResult(t, got, err, tt.want, nil)
		})
	}
}

func TestStrategicMergePatchSchemas(t *testing.T) {
	const original = `{"spec":{"containers":[{"name":"a","image":"x"}],"affinity":{"zones":["a"],"other":1}}}`
	tests := []struct {
		name   string
		schema Schema
		patch  string
		want   string
	}{
		{"without a schema lists are replaced", nil,
			`{"spec":{"containers":[{"name":"b"}]}}`,
			`{"spec":{"containers":[{"name":"b"}],"affinity":{"zones":["a"],"other":1}}}`},
		{"without a schema directives are still obeyed", nil,
			`{"spec":{"$setElementOrder/containers":[{"name":"b"}],"containers":[{"name":"b","$patch":"delete"}],"affinity":{"$patch":"replace","zones":["b"]}}}`,
			`{"spec":{"containers":[],"affinity":{"zones":["b"]}}}`},
		{"patchStrategy replace on an object", podSchema,
			`{"spec":{"affinity":{"zones":["b"]}}}`,
			`{"spec":{"containers":[{"name":"a","image":"x"}],"affinity":{"zones":["b"]}}}`},
		{"$patch: delete at the top empties the document", podSchema,
			`{"$patch":"delete"}`,
			`{}`},
		{"a value that is not an object replaces one", podSchema,
			`{"spec":{"affinity":"none"}}`,
			`{"spec":{"containers":[{"name":"a","image":"x"}],"affinity":"none"}}`},
		{"an object replaces a list", podSchema,
			`{"spec":{"containers":{"name":"a"}}}`,
			`{"spec":{"containers":{"name":"a"},"affinity":{"zones":["a"],"other":1}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyStrategicMergePatch([]byte(original), []byte(tt.patch), tt.schema)
			checkResult(t, got, err, tt.want, nil)
		})
	}
}

func TestStrategicMergePatchErrors(t *testing.T) {
	tests := []struct {
		name  string
		patch string
	}{
		{"patch is not an object", `[{"op":"add"}]`},
		{"patch is not JSON", `{"spec":`},
		{"merge list item without its merge key", `{"spec":{"containers":[{"image":"x"}]}}`},
		{"merge list item that is not an object", `{"spec":{"containers":["web"]}}`},
		{"unknown $patch in an object", `{"spec":{"$patch":"merge"}}`},
		{"unknown $patch in a list", `{"spec":{"containers":[{"$patch":"merge"}]}}`},
		{"$patch: delete without the merge key", `{"spec":{"containers":[{"$patch":"delete"}]}}`},
		{"$patch: delete in a list of primitives", `{"metadata":{"finalizers":[{"$patch":"delete"}]}}`},
		{"$setElementOrder is not a list", `{"spec":{"$setElementOrder/containers":{"name":"web"}}}`},
		{"$setElementOrder without a list name", `{"spec":{"$setElementOrder":[]}}`},
		{"$setElementOrder item without the merge key", `{"spec":{"$setElementOrder/containers":[{"image":"x"}]}}`},
		{"$deleteFromPrimitiveList is not a list", `{"metadata":{"$deleteFromPrimitiveList/finalizers":"example.com/a"}}`},
		{"$retainKeys is not a list", `{"metadata":{"$retainKeys":"name"}}`},
		{"$retainKeys lists a number", `{"metadata":{"$retainKeys":[1]}}`},
		{"$retainKeys leaves out a key the patch sets", `{"spec":{"volumes":[{"$retainKeys":["name"],"hostPath":{"path":"/x"},"name":"data"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyStrategicMergePatch([]byte(testPodJSON), []byte(tt.patch), podSchema)
			checkResult(t, got, err, "", ErrInvalidPatch)
		})
	}
	t.Run("original is not an object", func(t *testing.T) {
		_, err := ApplyStrategicMergePatch([]byte(`[]`), []byte(`{}`), podSchema)
		if err == nil {
			t.Fatal("want an error")
		}
	})
}
