package doctor

import (
	"net/url"
	"strconv"
	"testing"

	"skiff/pkg/agent"
	"skiff/pkg/agent/runtime/containerd"
	"skiff/pkg/apiserver"
	"skiff/pkg/controller"
	"skiff/pkg/scheduler"
)

// The doctor repeats the components' default ports and paths (skiffctl does
// not link the components); this keeps the copies equal.
func TestDefaultsMatchComponents(t *testing.T) {
	port := func(u string) int {
		t.Helper()
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(p.Port())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := map[string]int{
		"apiserver Kubernetes API over HTTPS":        apiserver.DefaultSecurePort,
		"apiserver embedded etcd's clients":          port(apiserver.DefaultEtcdClientURL),
		"apiserver embedded etcd's peers":            port(apiserver.DefaultEtcdPeerURL),
		"scheduler /healthz and /metrics":            scheduler.DefaultPort,
		"controller-manager /healthz and /metrics":   controller.DefaultPort,
		"nodeagent /healthz":                         agent.DefaultHealthPort,
		"nodeagent logs service the apiserver calls": 10250, // cmd/nodeagent's --port default
	}
	got := map[string]int{}
	for _, p := range append(ServerPorts(), NodePorts()...) {
		got[p.Component+" "+p.What] = p.Number
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: doctor checks port %d, the component's default is %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("doctor checks %d ports, want %d: %v", len(got), len(want), got)
	}
	if DefaultContainerdAddress != containerd.DefaultAddress {
		t.Errorf("containerd address %q, the agent's is %q", DefaultContainerdAddress, containerd.DefaultAddress)
	}
	if DefaultAPIServerPort != apiserver.DefaultSecurePort {
		t.Errorf("apiserver port %d, the apiserver's is %d", DefaultAPIServerPort, apiserver.DefaultSecurePort)
	}
}
