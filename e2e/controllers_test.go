package e2e

import (
	"strings"
	"testing"

	"skiff/e2e/framework"
)

// TestControllersWithKubectl: the controller-manager and scheduler binaries,
// each with its own identity, driven by kubectl as a user would (no node agents
// yet, so pods are bound but never run): a Deployment makes a ReplicaSet and
// pods, which are scheduled; scaling adds pods; nodes get pod CIDRs; deleting
// the Deployment removes its ReplicaSet and pods; deleting a namespace removes
// everything in it, then the namespace.
func TestControllersWithKubectl(t *testing.T) {
	srv := framework.StartAPIServer(t)
	framework.StartScheduler(t, srv)
	framework.StartControllerManager(t, srv)
	k := framework.KubectlVersions(t)[2]
	k.Kubeconfig = srv.Kubeconfig
	k.Must(t, "apply", "-f", "../examples/scheduling/node.yaml")
	k.Must(t, "create", "namespace", "shop")
	k.Must(t, "-n", "shop", "create", "deployment", "web", "--image=busybox:1.36", "--replicas=3")

	count := func(args ...string) int {
		out, _, err := k.Run(append([]string{"-n", "shop", "get", "-o", "name"}, args...)...)
		if err != nil {
			return -1
		}
		return len(strings.Fields(out))
	}
	boundPods := func() int {
		out, _, _ := k.Run("-n", "shop", "get", "pods", "-o", "jsonpath={.items[*].spec.nodeName}")
		return strings.Count(out, "lab-1")
	}
	waitUntil(t, "3 pods bound to lab-1", func() bool { return count("pods") == 3 && boundPods() == 3 })
	if n := count("replicasets"); n != 1 {
		t.Errorf("%d replica sets, want 1", n)
	}
	out := k.Must(t, "-n", "shop", "get", "rs", "-o", "jsonpath={.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.annotations.deployment\\.kubernetes\\.io/revision}")
	if out != "Deployment/1" {
		t.Errorf("replica set owner/revision %q, want Deployment/1", out)
	}

	k.Must(t, "-n", "shop", "scale", "deployment", "web", "--replicas=5")
	waitUntil(t, "5 pods bound", func() bool { return count("pods") == 5 && boundPods() == 5 })

	waitUntil(t, "lab-1 to get a pod CIDR", func() bool {
		out, _, _ := k.Run("get", "node", "lab-1", "-o", "jsonpath={.spec.podCIDR}")
		return strings.HasPrefix(out, "10.244.") && strings.HasSuffix(out, "/24")
	})

	// Deleting the Deployment cascades (background): its ReplicaSet and pods go.
	// Pods bound to a node wait for their agent to confirm; none runs here, so
	// the test finishes their deletion as the agent would.
	k.Must(t, "-n", "shop", "delete", "deployment", "web", "--wait=false")
	waitUntil(t, "the replica set to go", func() bool { return count("replicasets") == 0 })
	forceDeletePods(t, k, "shop")
	waitUntil(t, "the pods to go", func() bool { return count("pods") == 0 })

	k.Must(t, "-n", "shop", "create", "configmap", "settings", "--from-literal=a=b")
	k.Must(t, "delete", "namespace", "shop", "--wait=false")
	waitUntil(t, "namespace shop to go", func() bool {
		_, errOut, err := k.Run("get", "namespace", "shop")
		return err != nil && strings.Contains(errOut, "NotFound")
	})
}

// forceDeletePods finishes the graceful deletion of pods marked for deletion.
func forceDeletePods(t *testing.T, k framework.Kubectl, ns string) {
	t.Helper()
	waitUntil(t, "pods marked for deletion", func() bool {
		out, _, _ := k.Run("-n", ns, "get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{\"\\n\"}{end}")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if strings.TrimSpace(out) == "" {
			return true
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) < 2 {
				return false // not marked yet
			}
			k.Run("-n", ns, "delete", "pod", f[0], "--grace-period=0", "--force", "--wait=false")
		}
		return true
	})
}
