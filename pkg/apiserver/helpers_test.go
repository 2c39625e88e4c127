package apiserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

// response is what a raw request got back.
type response struct {
	code   int
	status api.Status // decoded when the body is a Status
	body   []byte
	header http.Header
}

// call sends a raw request and returns the code and body whatever they are.
func call(t *testing.T, c *client.Client, req client.Request) response {
	t.Helper()
	resp, err := c.Send(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.Path, err)
	}
	r := response{code: resp.StatusCode, body: body, header: resp.Header}
	var st api.Status
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		r.status = st
	}
	return r
}

// revision returns etcd's current revision: unchanged means nothing was written.
func revision(t *testing.T, s *apiservertest.Server) int64 {
	t.Helper()
	resp, err := s.EtcdClient().Get(context.Background(), "/registry/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("etcd get: %v", err)
	}
	return resp.Header.Revision
}

// makePod is the fixture builder for pods.
func makePod(ns, name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
	}
}

func mustCreatePod(t *testing.T, c *client.Client, p *api.Pod) *api.Pod {
	t.Helper()
	out, err := client.Pods(c, p.Namespace).Create(context.Background(), p)
	if err != nil {
		t.Fatalf("create pod %s: %v", p.Name, err)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
