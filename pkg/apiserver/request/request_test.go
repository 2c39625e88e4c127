package request

import (
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		method, url string
		want        Info
	}{
		{"GET", "/healthz", Info{Path: "/healthz", Verb: "get"}},
		{"GET", "/api", Info{Path: "/api", Verb: "get"}},
		{"GET", "/apis/apps/v1", Info{Path: "/apis/apps/v1", Verb: "get", APIPrefix: "apis"}},
		{"GET", "/api/v1/pods", Info{IsResourceRequest: true, Path: "/api/v1/pods", Verb: "list", APIPrefix: "api", APIVersion: "v1", Resource: "pods"}},
		{"GET", "/api/v1/namespaces/default/pods?watch=true", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/default/pods", Verb: "watch", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods"}},
		{"GET", "/api/v1/watch/namespaces/default/pods", Info{IsResourceRequest: true, Path: "/api/v1/watch/namespaces/default/pods", Verb: "watch", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods"}},
		{"POST", "/api/v1/namespaces/default/pods", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/default/pods", Verb: "create", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods"}},
		{"PUT", "/api/v1/namespaces/default/pods/web/status", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/default/pods/web/status", Verb: "update", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods", Name: "web", Subresource: "status"}},
		{"DELETE", "/apis/apps/v1/namespaces/a/deployments", Info{IsResourceRequest: true, Path: "/apis/apps/v1/namespaces/a/deployments", Verb: "deletecollection", APIPrefix: "apis", APIGroup: "apps", APIVersion: "v1", Namespace: "a", Resource: "deployments"}},
		{"PATCH", "/apis/apps/v1/namespaces/a/deployments/web/scale", Info{IsResourceRequest: true, Path: "/apis/apps/v1/namespaces/a/deployments/web/scale", Verb: "patch", APIPrefix: "apis", APIGroup: "apps", APIVersion: "v1", Namespace: "a", Resource: "deployments", Name: "web", Subresource: "scale"}},
		{"GET", "/api/v1/namespaces/kube-system", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/kube-system", Verb: "get", APIPrefix: "api", APIVersion: "v1", Namespace: "kube-system", Resource: "namespaces", Name: "kube-system"}},
		{"PUT", "/api/v1/namespaces/x/finalize", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/x/finalize", Verb: "update", APIPrefix: "api", APIVersion: "v1", Namespace: "x", Resource: "namespaces", Name: "x", Subresource: "finalize"}},
		{"GET", "/api/v1/nodes/n1", Info{IsResourceRequest: true, Path: "/api/v1/nodes/n1", Verb: "get", APIPrefix: "api", APIVersion: "v1", Resource: "nodes", Name: "n1"}},
		{"GET", "/api/v1/namespaces/a/pods/web/exec?command=ls", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/a/pods/web/exec", Verb: "create", APIPrefix: "api", APIVersion: "v1", Namespace: "a", Resource: "pods", Name: "web", Subresource: "exec"}},
		{"POST", "/api/v1/namespaces/a/pods/web/exec?command=ls", Info{IsResourceRequest: true, Path: "/api/v1/namespaces/a/pods/web/exec", Verb: "create", APIPrefix: "api", APIVersion: "v1", Namespace: "a", Resource: "pods", Name: "web", Subresource: "exec"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			got := Parse(httptest.NewRequest(tt.method, tt.url, nil))
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
