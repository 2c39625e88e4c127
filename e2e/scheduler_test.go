package e2e

import (
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"skiff/e2e/framework"
)

// TestSchedulerWithKubectl: the scheduler binary, running as
// system:kube-scheduler, binds what fits, explains what does not (condition,
// event, skiffctl why-pending), and serves /metrics — driven with kubectl and
// the manifests in examples/scheduling, as the README shows.
func TestSchedulerWithKubectl(t *testing.T) {
	srv := framework.StartAPIServer(t)
	sched := framework.StartScheduler(t, srv)
	k := framework.KubectlVersions(t)[2]
	k.Kubeconfig = srv.Kubeconfig
	k.Must(t, "apply", "-f", "../examples/scheduling/")

	waitUntil(t, "web to be bound to lab-1", func() bool {
		out, _, _ := k.Run("get", "pod", "web", "-o", "jsonpath={.spec.nodeName}")
		return out == "lab-1"
	})
	waitUntil(t, "too-big's PodScheduled=False condition", func() bool {
		out, _, _ := k.Run("get", "pod", "too-big", "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}`)
		return out == "0/1 nodes are available: 1 Insufficient cpu."
	})
	out := k.Must(t, "describe", "pod", "too-big")
	wantLines(t, out, `^\s+Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0/1 nodes are available: 1 Insufficient cpu\.$`)
	waitUntil(t, "web's Scheduled event", func() bool {
		out, _, _ := k.Run("get", "events", "--field-selector", "involvedObject.name=web", "-o", "jsonpath={.items[*].message}")
		return strings.Contains(out, "Successfully assigned default/web to lab-1")
	})

	skiffctl := exec.Command(filepath.Join(framework.BinDir(t), "skiffctl"), "why-pending", "too-big", "--kubeconfig", srv.Kubeconfig)
	why, err := skiffctl.CombinedOutput()
	if err != nil {
		t.Fatalf("skiffctl why-pending: %v\n%s", err, why)
	}
	wantLines(t, string(why), `^pod default/too-big is Pending: 0/1 nodes are available: 1 Insufficient cpu\.$`, `^lab-1\s+NodeResourcesFit\s+Insufficient cpu$`)

	resp, err := http.Get(sched.HealthURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`scheduler_schedule_attempts_total{profile="default-scheduler",result="scheduled"} 1`, `scheduler_pending_pods{queue="unschedulable"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
