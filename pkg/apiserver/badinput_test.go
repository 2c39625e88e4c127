package apiserver_test

import (
	"strings"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// TestBadInputChangesNothing: each kind of bad request gets the right Status,
// a message that says what to fix, and leaves the store exactly as it was.
func TestBadInputChangesNothing(t *testing.T) {
	s := apiservertest.Start(t)
	c := s.Client
	mustCreatePod(t, c, makePod("default", "existing", map[string]string{"app": "x"}))
	pods := "/api/v1/namespaces/default/pods"
	deploys := "/apis/apps/v1/namespaces/default/deployments"
	strict := map[string][]string{"fieldValidation": {"Strict"}}
	tests := []struct {
		name     string
		req      client.Request
		wantCode int
		wantMsg  string
	}{
		{"truncated JSON", client.Request{Method: "POST", Path: pods, Body: []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"`)}, 400, "not valid JSON"},
		{"not an object", client.Request{Method: "POST", Path: pods, Body: []byte(`[1,2,3]`)}, 400, "cannot be handled as a Pod"},
		{"wrong field type", client.Request{Method: "POST", Path: deploys, Body: []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":"three"}}`)}, 400, "spec.replicas"},
		{"kind does not match path", client.Request{Method: "POST", Path: pods, Body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}`)}, 400, "does not match the expected kind (Pod)"},
		{"apiVersion does not match path", client.Request{Method: "POST", Path: pods, Body: []byte(`{"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"a"}}`)}, 400, "does not match the expected API version (v1)"},
		{"namespace does not match path", client.Request{Method: "POST", Path: pods, Body: makePod("other", "a", nil)}, 400, "does not match the namespace"},
		{"name does not match path", client.Request{Method: "PUT", Path: pods + "/existing", Body: makePod("default", "other", nil)}, 400, "does not match the name on the URL"},
		{"invalid name", client.Request{Method: "POST", Path: pods, Body: makePod("default", "UPPER", nil)}, 422, `metadata.name: Invalid value: "UPPER"`},
		{"invalid label", client.Request{Method: "POST", Path: pods, Body: makePod("default", "a", map[string]string{"bad key!": "v"})}, 422, "metadata.labels"},
		{"missing image", client.Request{Method: "POST", Path: pods, Body: []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c"}]}}`)}, 422, "spec.containers[0].image: Required value"},
		{"resourceVersion on create", client.Request{Method: "POST", Path: pods, Body: func() *api.Pod { p := makePod("default", "a", nil); p.ResourceVersion = "5"; return p }()}, 400, "resourceVersion should not be set"},
		{"immutable field", client.Request{Method: "PATCH", Path: pods + "/existing", ContentType: client.MergePatch, Body: []byte(`{"spec":{"restartPolicy":"Never"}}`)}, 422, "pod updates may not change fields"},
		{"unknown field, strict", client.Request{Method: "POST", Path: pods, Query: strict, Body: []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"i","imagee":"typo"}],"foo":1}}`)}, 400, `unknown field "spec.containers[0].imagee", unknown field "spec.foo"`},
		{"duplicate field, strict", client.Request{Method: "POST", Path: pods, Query: strict, Body: []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"c","image":"i"}]}}`)}, 400, `duplicate field "metadata.name"`},
		{"unknown field in patch, strict", client.Request{Method: "PATCH", Path: pods + "/existing", Query: strict, ContentType: client.MergePatch, Body: []byte(`{"metadata":{"labelz":{"a":"b"}}}`)}, 400, `unknown field "metadata.labelz"`},
		{"oversized body", client.Request{Method: "POST", Path: "/api/v1/namespaces/default/configmaps", Body: []byte(`{"data":{"x":"` + strings.Repeat("y", apiserver.MaxBodyBytes) + `"}}`)}, 413, "larger than"},
		{"invalid label selector", client.Request{Method: "DELETE", Path: pods, Query: map[string][]string{"labelSelector": {"app in (x"}}}, 400, "unable to parse"},
		{"invalid field selector", client.Request{Method: "DELETE", Path: pods, Query: map[string][]string{"fieldSelector": {"spec.nope=1"}}}, 400, "field label not supported: spec.nope"},
		{"malformed patch", client.Request{Method: "PATCH", Path: pods + "/existing", ContentType: client.JSONPatch, Body: []byte(`[{"op":"remove"`)}, 400, ""},
		{"patch that does not apply", client.Request{Method: "PATCH", Path: pods + "/existing", ContentType: client.JSONPatch, Body: []byte(`[{"op":"remove","path":"/metadata/labels/nope"}]`)}, 422, ""},
		{"bad dryRun", client.Request{Method: "POST", Path: pods, Query: map[string][]string{"dryRun": {"Some"}}, Body: makePod("default", "a", nil)}, 400, "dryRun"},
		{"bad fieldValidation", client.Request{Method: "POST", Path: pods, Query: map[string][]string{"fieldValidation": {"Loose"}}, Body: makePod("default", "a", nil)}, 400, "fieldValidation"},
		{"bad propagation policy", client.Request{Method: "DELETE", Path: pods + "/existing", Body: []byte(`{"propagationPolicy":"Sideways"}`)}, 422, "propagationPolicy"},
		{"negative limit", client.Request{Method: "GET", Path: pods, Query: map[string][]string{"limit": {"-1"}}}, 400, "limit"},
		{"garbage continue token", client.Request{Method: "GET", Path: pods, Query: map[string][]string{"continue": {"!!!"}}}, 400, "continue"},
		{"garbage resourceVersion", client.Request{Method: "GET", Path: pods, Query: map[string][]string{"watch": {"1"}, "resourceVersion": {"abc"}}}, 400, "resourceVersion"},
		{"bad binding", client.Request{Method: "POST", Path: pods + "/existing/binding", Body: []byte(`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"existing"},"target":{"kind":"Pod"}}`)}, 422, "target.name"},
		{"negative scale", client.Request{Method: "PUT", Path: deploys + "/nosuch/scale", Body: []byte(`{"spec":{"replicas":-1}}`)}, 404, ""},
		{"WatchList without bookmarks", client.Request{Method: "GET", Path: pods, Query: map[string][]string{"watch": {"1"}, "sendInitialEvents": {"true"}, "resourceVersionMatch": {"NotOlderThan"}}}, 422, "allowWatchBookmarks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := revision(t, s)
			got := call(t, c, tt.req)
			if got.code != tt.wantCode || int(got.status.Code) != tt.wantCode {
				t.Fatalf("got %d (Status code %d), want %d; body: %s", got.code, got.status.Code, tt.wantCode, got.body)
			}
			if !strings.Contains(got.status.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", got.status.Message, tt.wantMsg)
			}
			if after := revision(t, s); after != before {
				t.Errorf("store changed: revision %d → %d", before, after)
			}
		})
	}
}
