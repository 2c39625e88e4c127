package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// joinArgs runs `skiffctl token create` on the server and returns the
// nodeagent flags of the join line it prints.
func joinArgs(t *testing.T, srv *framework.Server, extra ...string) []string {
	t.Helper()
	out := srv.M.MustRun("skiffctl", append([]string{"token", "create", "--kubeconfig", srv.Admin.Kubeconfig}, extra...)...)
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "nodeagent" {
			return f[1:]
		}
	}
	t.Fatalf("skiffctl token create printed no nodeagent line:\n%s", out)
	return nil
}

// withToken replaces the --token value in a join line.
func withToken(args []string, token string) []string {
	out := append([]string(nil), args...)
	for i := range out {
		if out[i] == "--token" && i+1 < len(out) {
			out[i+1] = token
		}
	}
	return out
}

// joinRefused starts a node agent that must fail to join; it returns what it
// printed.
func joinRefused(t *testing.T, m *framework.Machine, args []string) string {
	t.Helper()
	// The machine's flags first: args may override them.
	p := m.Start("nodeagent", append(m.AgentArgs(), args...)...)
	framework.WaitUntil(t, time.Minute, "the refused join to exit", p.Exited)
	return p.Log()
}

// TestLabJoin: on three machines, two nodes join the server's cluster with a
// token (kubeadm-style discovery, CSR approved and signed by the
// controller-manager); a Deployment spreads over the three nodes; a pod on m1
// fetches a page from a pod on m3 by pod IP; a wrong and an expired token are
// refused with errors that say what to do; m2's agent killed → its pods move;
// m2 reset and rejoined under the same name is Ready again.
func TestLabJoin(t *testing.T) {
	lab := framework.NewLab(t, 3)
	m1, m2, m3 := lab.Machines[0], lab.Machines[1], lab.Machines[2]
	srv := m1.StartServer(t, "--node-monitor-grace-period", "6s", "--node-monitor-period", "1s")
	k := srv.Admin
	join := joinArgs(t, srv)

	// A wrong token: the cluster-info signature does not match.
	out := joinRefused(t, m2, withToken(join, "abcdef.0123456789abcdef"))
	if !strings.Contains(out, "skiffctl token create") {
		t.Errorf("a wrong token's error does not say how to get a new one:\n%s", framework.Tail(out, 20))
	}
	// An expired token.
	expired := joinArgs(t, srv, "--ttl", "1s")
	time.Sleep(2 * time.Second)
	out = joinRefused(t, m2, expired)
	if !strings.Contains(out, "skiffctl token create") {
		t.Errorf("an expired token's error does not say how to get a new one:\n%s", framework.Tail(out, 20))
	}
	if nodes := k.Must(t, "get", "nodes", "-o", "name"); strings.TrimSpace(nodes) != "" {
		t.Errorf("refused joins registered nodes: %s", nodes)
	}

	// Three nodes join: the server's own agent and two more machines.
	agents := map[string]*framework.Proc{}
	for _, m := range lab.Machines {
		start := time.Now()
		agents[m.Name] = m.Start("nodeagent", append(append([]string(nil), join...), m.AgentArgs()...)...)
		srv.WaitNodeReady(t, m.Name, time.Minute)
		t.Logf("%s: join to Ready in %d ms", m.Name, time.Since(start).Milliseconds())
	}
	if csrs := k.Must(t, "get", "csr", "-o", `jsonpath={range .items[*]}{.spec.signerName} {.status.conditions[0].type}{"\n"}{end}`); strings.Count(csrs, "kubernetes.io/kube-apiserver-client-kubelet Approved") != 3 {
		t.Errorf("want three approved node client CSRs, got:\n%s", csrs)
	}

	// A machine asking for a name that a live machine holds is refused and
	// told what to do (its own root dir and containerd namespace, so the
	// running m3 is untouched).
	clash := append(append([]string(nil), join...), "--node-name", "m1", "--root-dir", m3.AgentRoot()+"-clash", "--containerd-namespace", m3.CtrNS+"-clash", "--healthz-port", "0", "--port", "0")
	if out := joinRefused(t, m3, clash); !strings.Contains(out, "another --node-name") {
		t.Errorf("joining as m1 from m3 was not refused with advice:\n%s", framework.Tail(out, 20))
	}

	// A Deployment spreads over the three nodes.
	k.Must(t, "create", "namespace", "apps")
	applyStdin(t, k, webDeployment("apps", framework.ImageRef))
	k.Must(t, "rollout", "status", "-n", "apps", "deployment/web", "--timeout=2m")
	perNode := map[string]int{}
	for _, p := range podsOf(k, "apps") {
		perNode[strings.Split(p, "|")[1]]++
	}
	if perNode["m1"] != 1 || perNode["m2"] != 1 || perNode["m3"] != 1 {
		t.Errorf("web pods per node %v, want one on each", perNode)
	}
	// kubectl logs reaches every node's log service (serving certs by CSR).
	for _, p := range podsOf(k, "apps") {
		if _, errOut, err := k.Run("logs", "-n", "apps", strings.Split(p, "|")[0]); err != nil {
			t.Errorf("kubectl logs %s: %v: %s", p, err, errOut)
		}
	}

	// A pod on m1 fetches a page from a pod on m3 by pod IP.
	applyStdin(t, k, podOn("page", "m3", `mkdir -p /www && echo page from m3 > /www/index.html && httpd -f -p 8080 -h /www`))
	ip := podIP(t, k, "page")
	applyStdin(t, k, podOn("reader", "m1", `while true; do timeout 5 wget -q -O - http://`+ip+`:8080/ && sleep 3600; sleep 1; done`))
	framework.WaitUntil(t, time.Minute, "the pod on m1 to read the page from m3", func() bool {
		out, _, _ := k.Run("logs", "reader")
		return strings.Contains(out, "page from m3")
	})

	// m2's agent dies: its web pod moves to the other nodes.
	agents["m2"].Signal(syscall.SIGKILL)
	framework.WaitUntil(t, 2*time.Minute, "web's pods to leave m2 and run elsewhere", func() bool {
		pods := podsOf(k, "apps")
		running := 0
		for _, p := range pods {
			if strings.Contains(p, "|m2|") {
				return false
			}
			if strings.HasSuffix(p, "|Running") {
				running++
			}
		}
		return running == 3
	})

	// m2 is wiped and rejoins under the same name with a new token.
	m2.MustRun("nodeagent", "reset", "--containerd-address", m2.ContainerdSock, "--containerd-namespace", m2.CtrNS, "--root-dir", m2.AgentRoot())
	m2.MustRun("nodeagent", "import-image", lab.Image, "--ref", framework.ImageRef, "--containerd-address", m2.ContainerdSock,
		"--containerd-namespace", m2.CtrNS, "--root-dir", m2.AgentRoot())
	start := time.Now()
	m2.Start("nodeagent", append(joinArgs(t, srv), m2.AgentArgs()...)...)
	framework.WaitUntil(t, time.Minute, "m2 to be Ready again after rejoining", func() bool {
		out, _, _ := k.Run("get", "node", "m2", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "True"
	})
	t.Logf("m2: rejoin to Ready in %d ms", time.Since(start).Milliseconds())
	if n := k.Must(t, "get", "nodes", "-o", "name"); strings.Count(n, "node/") != 3 {
		t.Errorf("after the rejoin there are not exactly three nodes:\n%s", n)
	}
	applyStdin(t, k, podOn("back", "m2", `echo back on m2; sleep 3600`))
	framework.WaitUntil(t, time.Minute, "a pod to run on the rejoined m2", func() bool {
		out, _, _ := k.Run("logs", "back")
		return strings.Contains(out, "back on m2")
	})
}
