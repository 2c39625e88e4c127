package replicaset

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestPodFromTemplate(t *testing.T) {
	rs := makeRS("web", 3)
	rs.Spec.Template.Annotations = map[string]string{"a": "1"}
	rs.Spec.Template.Finalizers = []string{"example.com/f"}
	yes := true
	want := &api.Pod{
		TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{
			GenerateName: "web-", Namespace: "default",
			Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "1"},
			Finalizers: []string{"example.com/f"},
			OwnerReferences: []api.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: "uid-web",
				Controller: &yes, BlockOwnerDeletion: &yes}},
		},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}},
	}
	got := podFromTemplate(rs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("podFromTemplate (-want +got):\n%s", diff)
	}
	// The pod shares no memory with the template (the cache's object).
	got.Labels["app"] = "changed"
	got.Spec.Containers[0].Image = "changed"
	if rs.Spec.Template.Labels["app"] != "web" || rs.Spec.Template.Spec.Containers[0].Image != "busybox" {
		t.Error("changing the pod changed the ReplicaSet's template")
	}
}

func TestIsPodAvailable(t *testing.T) {
	tests := []struct {
		name       string
		pod        *api.Pod
		minReady   int32
		wantActive bool
		wantReady  bool
		wantAvail  bool
	}{
		{"pending", makePod("a").obj(), 0, true, false, false},
		{"ready, no minReadySeconds", makePod("a").ready(t0).obj(), 0, true, true, true},
		{"ready for less than minReadySeconds", makePod("a").ready(t0.Add(-5e9)).obj(), 10, true, true, false},
		{"ready for more than minReadySeconds", makePod("a").ready(t0.Add(-11e9)).obj(), 10, true, true, true},
		{"not ready", makePod("a").notReady().obj(), 0, true, false, false},
		{"succeeded", makePod("a").phase(api.PodSucceeded).obj(), 0, false, false, false},
		{"failed", makePod("a").phase(api.PodFailed).obj(), 0, false, false, false},
		{"being deleted", makePod("a").ready(t0).deleting().obj(), 0, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isPodActive(tt.pod); got != tt.wantActive {
				t.Errorf("isPodActive = %v, want %v", got, tt.wantActive)
			}
			if got := isPodReady(tt.pod); got != tt.wantReady {
				t.Errorf("isPodReady = %v, want %v", got, tt.wantReady)
			}
			if got := isPodAvailable(tt.pod, tt.minReady, t0); got != tt.wantAvail {
				t.Errorf("isPodAvailable = %v, want %v", got, tt.wantAvail)
			}
		})
	}
}
