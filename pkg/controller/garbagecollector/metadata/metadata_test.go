package metadata_test

import (
	"context"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller/garbagecollector/metadata"
)

func TestDiscoverAndRead(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	resources, err := metadata.Discover(ctx, s.Client)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]metadata.Resource{}
	for _, r := range resources {
		if _, dup := byName[r.String()]; dup {
			t.Errorf("%s listed twice", r)
		}
		byName[r.String()] = r
	}
	for _, tc := range []struct {
		name, kind, groupVersion string
		namespaced               bool
		verbs                    []string
	}{
		{"pods", "Pod", "v1", true, []string{"get", "list", "watch", "delete", "deletecollection"}},
		{"namespaces", "Namespace", "v1", false, []string{"get", "list", "watch", "delete"}},
		{"replicasets.apps", "ReplicaSet", "apps/v1", true, []string{"get", "list", "watch", "delete"}},
		{"subjectaccessreviews.authorization.k8s.io", "SubjectAccessReview", "authorization.k8s.io/v1", false, []string{"create"}},
	} {
		r, ok := byName[tc.name]
		if !ok {
			t.Errorf("%s not discovered", tc.name)
			continue
		}
		if r.Kind != tc.kind || r.GroupVersion() != tc.groupVersion || r.Namespaced != tc.namespaced || !r.Supports(tc.verbs...) {
			t.Errorf("%s: %+v; want kind %s in %s, namespaced %v, verbs %v", tc.name, r, tc.kind, tc.groupVersion, tc.namespaced, tc.verbs)
		}
	}
	if r := byName["subjectaccessreviews.authorization.k8s.io"]; r.Supports("list") {
		t.Errorf("a review resource supports list: %v", r.Verbs)
	}
	for name := range byName {
		for i := range name {
			if name[i] == '/' {
				t.Errorf("subresource %s discovered", name)
			}
		}
	}

	// Objects of any kind read by their metadata.
	if _, err := client.ConfigMaps(s.Client, "default").Create(ctx, &api.ConfigMap{
		ObjectMeta: api.ObjectMeta{Name: "m", Namespace: "default", Labels: map[string]string{"a": "b"}},
		Data:       map[string]string{"k": "v"},
	}); err != nil {
		t.Fatal(err)
	}
	obj, err := metadata.For(s.Client, byName["configmaps"].GVR, "default").Get(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if obj.Kind != "ConfigMap" || obj.APIVersion != "v1" || obj.Name != "m" || obj.UID == "" || obj.Labels["a"] != "b" {
		t.Errorf("metadata of configmap m: %+v", obj)
	}
	if got := metadata.GroupOf("apps/v1"); got != "apps" {
		t.Errorf("GroupOf(apps/v1) = %q", got)
	}
	if got := metadata.GroupOf("v1"); got != "" {
		t.Errorf("GroupOf(v1) = %q", got)
	}
}
