package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// podOn is a busybox pod pinned to a node by its hostname label.
func podOn(name, node, script string) string {
	return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, labels: {app: ` + name + `}}
spec:
  nodeSelector: {kubernetes.io/hostname: ` + node + `}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ` + framework.ImageRef + `
    imagePullPolicy: Never
    command: ["sh", "-c", ` + strconv.Quote(script) + `]
`
}

// applyStdin runs kubectl apply -f - with manifest.
func applyStdin(t *testing.T, k framework.Kubectl, manifest string) {
	t.Helper()
	if out, errOut, err := k.RunStdin(manifest, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s%s", err, out, errOut)
	}
}

// podIP waits for pod to run and returns its IP.
func podIP(t *testing.T, k framework.Kubectl, pod string) string {
	t.Helper()
	var ip string
	framework.WaitUntil(t, 2*time.Minute, pod+" to run with a pod IP", func() bool {
		out, _, _ := k.Run("get", "pod", pod, "-o", "jsonpath={.status.phase} {.status.podIP}")
		f := strings.Fields(out)
		if len(f) == 2 && f[0] == "Running" {
			ip = f[1]
			return true
		}
		return false
	})
	return ip
}

// TestLabCrossNodePods: three machines, each a Ready node with a distinct pod
// CIDR; a pod on m1 fetches a page from a pod on m3 by pod IP over host-gw
// routes, and the server pod sees the client's pod IP (no masquerade).
func TestLabCrossNodePods(t *testing.T) {
	lab := framework.NewLab(t, 3)
	srv := lab.Machines[0].StartServer(t)
	for _, m := range lab.Machines {
		m.StartAgentWithCredentials(t, srv)
	}
	for _, m := range lab.Machines {
		srv.WaitNodeReady(t, m.Name, 2*time.Minute)
	}
	k := srv.Admin
	cidrs := k.Must(t, "get", "nodes", "-o", `jsonpath={range .items[*]}{.spec.podCIDR} {end}`)
	if f := strings.Fields(cidrs); len(f) != 3 || f[0] == f[1] || f[1] == f[2] || f[0] == f[2] {
		t.Fatalf("pod CIDRs %q: want three distinct ones", cidrs)
	}

	applyStdin(t, k, podOn("web", "m3", `mkdir -p /www && echo hello from m3 > /www/index.html && httpd -f -vv -p 8080 -h /www`))
	webIP := podIP(t, k, "web")
	applyStdin(t, k, podOn("client", "m1", `while true; do timeout 5 wget -q -O - http://`+webIP+`:8080/ && sleep 3600; sleep 1; done`))
	clientIP := podIP(t, k, "client")
	framework.WaitUntil(t, time.Minute, "the client on m1 to fetch the page from m3", func() bool {
		out, _, _ := k.Run("logs", "client")
		return strings.Contains(out, "hello from m3")
	})
	// busybox httpd -vv logs each request's peer address.
	framework.WaitUntil(t, 30*time.Second, "web to log the client's pod IP", func() bool {
		out, _, _ := k.Run("logs", "web")
		return strings.Contains(out, clientIP)
	})
}
