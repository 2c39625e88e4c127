package apiserver_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

func adminDo(t *testing.T, s *apiservertest.Server, method, path string, body any) {
	t.Helper()
	if r := call(t, s.Client, client.Request{Method: method, Path: path, Body: body}); r.code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, r.code, r.body)
	}
}

func busyboxPod(name string) obj {
	return obj{"metadata": obj{"name": name}, "spec": obj{"containers": []obj{{"name": "c", "image": "busybox"}}}}
}

// quotaUsed reads a ResourceQuota's status.used.
func quotaUsed(t *testing.T, s *apiservertest.Server, ns, name string) map[string]string {
	t.Helper()
	var q struct {
		Status struct {
			Hard map[string]string `json:"hard"`
			Used map[string]string `json:"used"`
		} `json:"status"`
	}
	if err := s.Client.Do(context.Background(), client.Request{Method: "GET", Path: "/api/v1/namespaces/" + ns + "/resourcequotas/" + name, Out: &q}); err != nil {
		t.Fatal(err)
	}
	if q.Status.Hard == nil {
		return nil
	}
	return q.Status.Used
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestResourceQuotaConcurrentCreates: 50 pods created at once against a quota of
// 10 pods: exactly 10 succeed, the rest get a 403 naming the quota, and the
// quota's status says 10 are used.
func TestResourceQuotaConcurrentCreates(t *testing.T) {
	s := apiservertest.Start(t)
	adminDo(t, s, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "quota"}})
	adminDo(t, s, "POST", "/api/v1/namespaces/quota/resourcequotas", obj{"metadata": obj{"name": "ten-pods"},
		"spec": obj{"hard": obj{"pods": "10", "count/configmaps": "100"}}})
	waitFor(t, "the quota's first status", func() bool { return quotaUsed(t, s, "quota", "ten-pods") != nil })

	var mu sync.Mutex
	codes := map[int]int{}
	var messages []string
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/quota/pods", Body: busyboxPod(fmt.Sprintf("p-%02d", i))})
			mu.Lock()
			defer mu.Unlock()
			codes[r.code]++
			if r.code == 403 {
				messages = append(messages, r.status.Message)
			}
		}()
	}
	wg.Wait()
	if codes[201] != 10 || codes[403] != 40 {
		t.Fatalf("codes %v, want 10×201 and 40×403", codes)
	}
	for _, m := range messages {
		if !strings.Contains(m, "exceeded quota: ten-pods") || !strings.Contains(m, "ResourceQuota") {
			t.Errorf("403 does not name the quota and the plugin: %q", m)
			break
		}
	}
	pods, err := client.Pods(s.Client, "quota").List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 10 {
		t.Errorf("%d pods stored, want 10", len(pods.Items))
	}
	if used := quotaUsed(t, s, "quota", "ten-pods"); used["pods"] != "10" {
		t.Errorf("status.used.pods = %q, want 10 (used %v)", used["pods"], used)
	}

	// Deleting a pod gives its place back.
	if err := client.Pods(s.Client, "quota").Delete(context.Background(), pods.Items[0].Name, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "status.used.pods to drop to 9", func() bool { return quotaUsed(t, s, "quota", "ten-pods")["pods"] == "9" })
	if r := call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/quota/pods", Body: busyboxPod("after-delete")}); r.code != 201 {
		t.Errorf("create after a delete freed quota: %d %s", r.code, r.body)
	}
}

// TestResourceQuotaComputeResources: requests and limits are charged and
// bounded, and pods without them are refused when the quota tracks them.
func TestResourceQuotaComputeResources(t *testing.T) {
	s := apiservertest.Start(t)
	adminDo(t, s, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "compute"}})
	adminDo(t, s, "POST", "/api/v1/namespaces/compute/resourcequotas", obj{"metadata": obj{"name": "compute"},
		"spec": obj{"hard": obj{"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"}}})
	waitFor(t, "the quota's first status", func() bool { return quotaUsed(t, s, "compute", "compute") != nil })
	pod := func(name, cpu, mem string) obj {
		return obj{"metadata": obj{"name": name}, "spec": obj{"containers": []obj{{"name": "c", "image": "busybox",
			"resources": obj{"requests": obj{"cpu": cpu, "memory": mem}, "limits": obj{"cpu": cpu, "memory": mem}}}}}}
	}
	if r := call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/compute/pods", Body: pod("a", "600m", "512Mi")}); r.code != 201 {
		t.Fatalf("first pod: %d %s", r.code, r.body)
	}
	r := call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/compute/pods", Body: pod("b", "600m", "256Mi")})
	if r.code != 403 || !strings.Contains(r.status.Message, "requests.cpu") {
		t.Errorf("second pod over requests.cpu: %d %s", r.code, r.status.Message)
	}
	r = call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/compute/pods", Body: busyboxPod("no-resources")})
	if r.code != 403 || !strings.Contains(r.status.Message, "must specify") {
		t.Errorf("pod without requests: %d %s", r.code, r.status.Message)
	}
	used := quotaUsed(t, s, "compute", "compute")
	if used["requests.cpu"] != "600m" || used["requests.memory"] != "512Mi" || used["limits.cpu"] != "600m" {
		t.Errorf("used = %v", used)
	}
}

// TestPodSecurity: the default level is baseline; a namespace's enforce label
// chooses another.
func TestPodSecurity(t *testing.T) {
	s := apiservertest.Start(t)
	adminDo(t, s, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "plain"}})
	adminDo(t, s, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "trusted",
		"labels": obj{"pod-security.kubernetes.io/enforce": "privileged"}}})
	adminDo(t, s, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "strict",
		"labels": obj{"pod-security.kubernetes.io/enforce": "restricted"}}})
	privileged := obj{"metadata": obj{"name": "priv"}, "spec": obj{"containers": []obj{{"name": "c", "image": "busybox",
		"securityContext": obj{"privileged": true}}}}}
	hostPath := obj{"metadata": obj{"name": "hostpath"}, "spec": obj{"containers": []obj{{"name": "c", "image": "busybox"}},
		"volumes": []obj{{"name": "root", "hostPath": obj{"path": "/"}}}}}
	hostNet := obj{"metadata": obj{"name": "hostnet"}, "spec": obj{"hostNetwork": true, "containers": []obj{{"name": "c", "image": "busybox"}}}}
	addCaps := obj{"metadata": obj{"name": "caps"}, "spec": obj{"containers": []obj{{"name": "c", "image": "busybox",
		"securityContext": obj{"capabilities": obj{"add": []string{"NET_ADMIN"}}}}}}}
	tests := []struct {
		ns      string
		pod     obj
		want    int
		mention string
	}{
		{"plain", privileged, 403, "securityContext.privileged"},
		{"plain", hostPath, 403, "hostPath"},
		{"plain", hostNet, 403, "hostNetwork"},
		{"plain", addCaps, 403, "NET_ADMIN"},
		{"plain", busyboxPod("ok"), 201, ""},
		{"trusted", privileged, 201, ""},
		{"trusted", hostPath, 201, ""},
		{"strict", busyboxPod("root"), 403, "runAsNonRoot"},
	}
	for _, tc := range tests {
		name := tc.ns + "/" + tc.pod["metadata"].(obj)["name"].(string)
		before := revision(t, s)
		r := call(t, s.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/" + tc.ns + "/pods", Body: tc.pod})
		if r.code != tc.want {
			t.Errorf("%s: got %d, want %d: %s", name, r.code, tc.want, r.body)
			continue
		}
		if tc.want == 403 {
			if !strings.Contains(r.status.Message, "PodSecurity") || !strings.Contains(r.status.Message, tc.mention) {
				t.Errorf("%s: message %q should name PodSecurity and %q", name, r.status.Message, tc.mention)
			}
			if after := revision(t, s); after != before {
				t.Errorf("%s: a rejected pod changed the store (revision %d -> %d)", name, before, after)
			}
		}
	}
}

// TestAdmissionRejectionsChangeNothing: each plugin's rejection is a Status whose
// message names the plugin, and the store is exactly as it was.
func TestAdmissionRejectionsChangeNothing(t *testing.T) {
	c := startAuthCluster(t)
	c.admin(t, "POST", "/api/v1/namespaces", obj{"metadata": obj{"name": "limited"}})
	c.admin(t, "POST", "/api/v1/namespaces/limited/limitranges", obj{"metadata": obj{"name": "small"},
		"spec": obj{"limits": []obj{{"type": "Container", "max": obj{"memory": "128Mi"}, "default": obj{"memory": "64Mi"}}}}})
	c.admin(t, "POST", "/api/v1/namespaces/limited/resourcequotas", obj{"metadata": obj{"name": "no-secrets"},
		"spec": obj{"hard": obj{"count/secrets": "0"}}})
	waitFor(t, "the quota's first status", func() bool { return quotaUsed(t, c.Server, "limited", "no-secrets") != nil })
	big := obj{"metadata": obj{"name": "big"}, "spec": obj{"containers": []obj{{"name": "c", "image": "busybox",
		"resources": obj{"limits": obj{"memory": "1Gi"}}}}}}
	withSA := obj{"metadata": obj{"name": "sa"}, "spec": obj{"serviceAccountName": "ghost", "containers": []obj{{"name": "c", "image": "busybox"}}}}
	c.eventually(t, "the limit range in the cache", func() bool {
		return call(t, c.Client, client.Request{Method: "POST", Path: "/api/v1/namespaces/limited/pods", Body: big,
			Query: map[string][]string{"dryRun": {"All"}}}).code == 403
	})

	tests := []struct {
		name, who, method, path string
		body                    any
		plugin                  string
		want                    int
	}{
		{"create in a missing namespace", "admin", "POST", "/api/v1/namespaces/nowhere/configmaps", obj{"metadata": obj{"name": "x"}}, "NamespaceLifecycle", 404},
		{"delete kube-system", "admin", "DELETE", "/api/v1/namespaces/kube-system", nil, "NamespaceLifecycle", 403},
		{"delete default", "admin", "DELETE", "/api/v1/namespaces/default", nil, "NamespaceLifecycle", 403},
		{"limit above the maximum", "admin", "POST", "/api/v1/namespaces/limited/pods", big, "LimitRanger", 403},
		{"missing service account", "admin", "POST", "/api/v1/namespaces/team-a/pods", withSA, "ServiceAccount", 403},
		{"node registers another node", "node-a", "POST", "/api/v1/nodes", obj{"metadata": obj{"name": "node-z"}}, "NodeRestriction", 403},
		{"node labels itself as a control plane", "node-a", "PATCH", "/api/v1/nodes/node-a",
			obj{"metadata": obj{"labels": obj{"node-restriction.kubernetes.io/x": "y"}}}, "NodeRestriction", 403},
		{"privileged pod", "admin", "POST", "/api/v1/namespaces/team-a/pods", obj{"metadata": obj{"name": "p"},
			"spec": obj{"containers": []obj{{"name": "c", "image": "busybox", "securityContext": obj{"privileged": true}}}}}, "PodSecurity", 403},
		{"over quota", "admin", "POST", "/api/v1/namespaces/limited/secrets", obj{"metadata": obj{"name": "s"}}, "ResourceQuota", 403},
	}
	for _, tc := range tests {
		before := revision(t, c.Server)
		r := c.as(t, tc.who, tc.method, tc.path, tc.body)
		if r.code != tc.want {
			t.Errorf("%s: got %d, want %d: %s", tc.name, r.code, tc.want, r.body)
			continue
		}
		if r.status.Kind != "Status" || !strings.Contains(r.status.Message, tc.plugin) {
			t.Errorf("%s: the rejection does not name %s: %s", tc.name, tc.plugin, r.body)
		}
		if after := revision(t, c.Server); after != before {
			t.Errorf("%s: the store changed (revision %d -> %d)", tc.name, before, after)
		}
	}
	var ns api.Namespace
	if err := c.Client.Do(context.Background(), client.Request{Method: "GET", Path: "/api/v1/namespaces/kube-system", Out: &ns}); err != nil || ns.DeletionTimestamp != nil {
		t.Errorf("kube-system after the refused delete: %v %v", err, ns.DeletionTimestamp)
	}
}

// TestAdmissionDefaults: mutating plugins fill in what Kubernetes would: the
// default service account and its token volume, toleration seconds, and
// LimitRange defaults.
func TestAdmissionDefaults(t *testing.T) {
	s := apiservertest.Start(t, func(o *apiserver.Options) { o.DefaultNotReadyTolerationSeconds = 120 })
	adminDo(t, s, "POST", "/api/v1/namespaces/default/limitranges", obj{"metadata": obj{"name": "defaults"},
		"spec": obj{"limits": []obj{{"type": "Container", "default": obj{"memory": "64Mi"}, "defaultRequest": obj{"cpu": "100m"}}}}})
	waitFor(t, "the limit range in the cache", func() bool {
		var p api.Pod
		err := s.Client.Do(context.Background(), client.Request{Method: "POST", Path: "/api/v1/namespaces/default/pods",
			Query: map[string][]string{"dryRun": {"All"}}, Body: busyboxPod("probe"), Out: &p})
		_, ok := p.Spec.Containers[0].Resources.Limits["memory"]
		return err == nil && ok
	})
	var p api.Pod
	if err := s.Client.Do(context.Background(), client.Request{Method: "POST", Path: "/api/v1/namespaces/default/pods", Body: busyboxPod("web"), Out: &p}); err != nil {
		t.Fatal(err)
	}
	if p.Spec.ServiceAccountName != "default" {
		t.Errorf("serviceAccountName = %q, want default", p.Spec.ServiceAccountName)
	}
	foundVolume := false
	for _, v := range p.Spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") && v.Projected != nil {
			foundVolume = true
		}
	}
	if !foundVolume {
		t.Errorf("no kube-api-access projected volume: %+v", p.Spec.Volumes)
	}
	tolerations := map[string]int64{}
	for _, tol := range p.Spec.Tolerations {
		if tol.TolerationSeconds != nil {
			tolerations[tol.Key] = *tol.TolerationSeconds
		}
	}
	if tolerations["node.kubernetes.io/not-ready"] != 120 || tolerations["node.kubernetes.io/unreachable"] != 300 {
		t.Errorf("tolerations: %v", tolerations)
	}
	res := p.Spec.Containers[0].Resources
	mem, cpu := res.Limits["memory"], res.Requests["cpu"]
	if mem.String() != "64Mi" || cpu.String() != "100m" {
		t.Errorf("resources after LimitRanger: %+v", res)
	}
}
