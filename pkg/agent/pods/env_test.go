package pods

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

func TestEnv(t *testing.T) {
	h := newHarness(t)
	h.objs.addConfigMap("cfg", map[string]string{"LEVEL": "debug", "bad key": "x", "SHARED": "from-cm"})
	h.objs.addSecret("sec", map[string]string{"password": "s3cret"})
	yes := true
	pod := makePod("env").edit(func(p *api.Pod) {
		p.Annotations = map[string]string{"team": "infra"}
		p.Spec.ServiceAccountName = "robot"
	}).container(api.Container{
		Name:    "app",
		Command: []string{"/bin/sh", "-c"},
		Args:    []string{"echo $(POD_NAME) on $(NODE) $$(NOT_EXPANDED) $(UNKNOWN)"},
		EnvFrom: []api.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &api.ConfigMapEnvSource{LocalObjectReference: api.LocalObjectReference{Name: "cfg"}}}},
		Env: []api.EnvVar{
			{Name: "PLAIN", Value: "v"},
			{Name: "FROM_CM", ValueFrom: &api.EnvVarSource{ConfigMapKeyRef: &api.ConfigMapKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "cfg"}, Key: "LEVEL"}}},
			{Name: "FROM_SECRET", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "sec"}, Key: "password"}}},
			{Name: "OPTIONAL", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "nope"}, Key: "k", Optional: &yes}}},
			{Name: "POD_NAME", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "POD_NAMESPACE", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "POD_UID", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.uid"}}},
			{Name: "POD_IP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "HOST_IP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
			{Name: "NODE", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
			{Name: "SA", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "spec.serviceAccountName"}}},
			{Name: "APP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "TEAM", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.annotations['team']"}}},
			{Name: "URL", Value: "http://$(POD_IP):8080/$(CM_LEVEL)"},
			{Name: "CM_SHARED", Value: "overridden"},
		},
	}).obj()
	h.start(pod)
	h.waitRunning(pod.UID, "app", 0)
	cfg := h.started(pod.UID, "app")[0]
	got := map[string]string{}
	var order []string
	for _, e := range cfg.Env {
		got[e.Name] = e.Value
		order = append(order, e.Name)
	}
	want := map[string]string{
		"CM_LEVEL": "debug", "CM_SHARED": "overridden",
		"PLAIN": "v", "FROM_CM": "debug", "FROM_SECRET": "s3cret",
		"POD_NAME": "env", "POD_NAMESPACE": "default", "POD_UID": "uid-env", "POD_IP": "10.88.0.5",
		"HOST_IP": testNodeIP, "NODE": testNode, "SA": "robot", "APP": "env", "TEAM": "infra",
		"URL": "http://10.88.0.5:8080/debug",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if order[0] != "CM_LEVEL" || order[1] != "CM_SHARED" {
		t.Errorf("envFrom variables should come first (and a later env replace them in place): %v", order)
	}
	wantArgs := []string{"echo env on node-1 $(NOT_EXPANDED) $(UNKNOWN)"}
	if diff := cmp.Diff(wantArgs, cfg.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}

func TestEnvConfigErrors(t *testing.T) {
	h := newHarness(t)
	h.objs.addConfigMap("cfg", map[string]string{"A": "1"})
	pod := makePod("cfgerr").container(api.Container{Name: "app", Env: []api.EnvVar{
		{Name: "B", ValueFrom: &api.EnvVarSource{ConfigMapKeyRef: &api.ConfigMapKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "cfg"}, Key: "B"}}},
	}}).obj()
	h.start(pod)
	st := h.waitStatus(pod, "CreateContainerConfigError", func(st api.PodStatus) bool {
		w := findStatus(st.ContainerStatuses, "app").State.Waiting
		return w != nil && w.Reason == ReasonCreateContainerConfigError
	})
	if w := findStatus(st.ContainerStatuses, "app").State.Waiting; w.Message != "couldn't find key B in ConfigMap default/cfg" {
		t.Errorf("message = %q", w.Message)
	}
	h.objs.addConfigMap("cfg", map[string]string{"A": "1", "B": "2"})
	h.waitRunning(pod.UID, "app", 0)
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "two"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for in, want := range map[string]string{
		"plain":         "plain",
		"$(A)":          "1",
		"x$(A)y$(B)z":   "x1ytwoz",
		"$$(A)":         "$(A)",
		"$$$(A)":        "$1",
		"$(C)":          "$(C)",
		"$(A":           "$(A",
		"$()":           "$()",
		"cost: $5":      "cost: $5",
		"trailing $":    "trailing $",
		"$(A)$(A)$(XX)": "11$(XX)",
	} {
		if got := expand(in, lookup); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResourceFieldRef(t *testing.T) {
	pod := makePod("r").container(api.Container{Name: "app", Resources: api.ResourceRequirements{
		Requests: api.ResourceList{api.ResourceCPU: resource.MustParse("250m"), api.ResourceMemory: resource.MustParse("64Mi")},
		Limits:   api.ResourceList{api.ResourceCPU: resource.MustParse("1500m"), api.ResourceMemory: resource.MustParse("128Mi")},
	}}).obj()
	mi := resource.MustParse("1Mi")
	milli := resource.MustParse("1m")
	for _, tt := range []struct {
		sel  api.ResourceFieldSelector
		want string
	}{
		{api.ResourceFieldSelector{Resource: "limits.cpu"}, "2"},
		{api.ResourceFieldSelector{Resource: "limits.cpu", Divisor: &milli}, "1500"},
		{api.ResourceFieldSelector{Resource: "requests.cpu", Divisor: &milli}, "250"},
		{api.ResourceFieldSelector{Resource: "limits.memory", Divisor: &mi}, "128"},
		{api.ResourceFieldSelector{Resource: "requests.memory"}, "67108864"},
	} {
		got, err := resourceFieldValue(pod, "app", &tt.sel)
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.sel.Resource, got, err, tt.want)
		}
	}
	if _, err := resourceFieldValue(pod, "app", &api.ResourceFieldSelector{Resource: "limits.gpu"}); err == nil {
		t.Error("limits.gpu: no error")
	}
}
