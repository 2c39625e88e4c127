package deployment

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"skiff/pkg/api"
)

// kubectl runs kubectl against the harness's apiserver, with its own cache.
func (h *harness) kubectl(ctx context.Context, args ...string) *exec.Cmd {
	bin, err := exec.LookPath("kubectl")
	if err != nil {
		h.t.Skip("kubectl is not installed")
	}
	args = append([]string{"--kubeconfig", h.kubeconfig, "--cache-dir", h.t.TempDir(), "--namespace", api.NamespaceDefault}, args...)
	return exec.CommandContext(ctx, bin, args...)
}

func (h *harness) runKubectl(args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	out, err := h.kubectl(ctx, args...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestIntegrationKubectlRollout: kubectl's rollout commands read what the
// controller writes: history from the ReplicaSets' revisions and change
// causes, undo from the ReplicaSet of a revision, status from the
// Deployment's status and conditions.
func TestIntegrationKubectlRollout(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not installed")
	}
	h := startController(t)
	h.create(newDeployment("web", 3))
	h.rollOut("web", nil)
	h.update("web", image("nginx:2"), func(d *api.Deployment) {
		d.Annotations = map[string]string{"kubernetes.io/change-cause": "set image nginx:2"}
	})
	_, rss := h.rollOut("web", nil)
	v1 := rss[0]

	history := h.runKubectl("rollout", "history", "deployment/web")
	for _, row := range []string{`(?m)^REVISION\s+CHANGE-CAUSE`, `(?m)^1\s+<none>`, `(?m)^2\s+set image nginx:2`} {
		if !regexp.MustCompile(row).MatchString(history) {
			t.Errorf("rollout history has no row %s:\n%s", row, history)
		}
	}
	if out := h.runKubectl("rollout", "status", "deployment/web", "--timeout=10s"); !strings.Contains(out, `deployment "web" successfully rolled out`) {
		t.Errorf("rollout status: %s", out)
	}

	if out := h.runKubectl("rollout", "undo", "deployment/web"); !strings.Contains(out, "rolled back") {
		t.Fatalf("rollout undo: %s", out)
	}
	// `rollout status` follows the rollback while the test plays the pods.
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	var status bytes.Buffer
	watch := h.kubectl(ctx, "rollout", "status", "deployment/web", "--timeout=30s")
	watch.Stdout, watch.Stderr = &status, &status
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	d, rss := h.rollOut("web", nil)
	if err := watch.Wait(); err != nil {
		t.Fatalf("rollout status: %v\n%s", err, status.String())
	}
	if !strings.Contains(status.String(), `deployment "web" successfully rolled out`) {
		t.Errorf("rollout status:\n%s", status.String())
	}
	if len(rss) != 2 || rss[1].UID != v1.UID || d.Annotations[RevisionAnnotation] != "3" || d.Spec.Template.Spec.Containers[0].Image != "nginx:1" {
		t.Errorf("after undo: %s, revision %q, image %s", describe(rss), d.Annotations[RevisionAnnotation], d.Spec.Template.Spec.Containers[0].Image)
	}
	history = h.runKubectl("rollout", "history", "deployment/web")
	if !regexp.MustCompile(`(?m)^2\s+set image nginx:2`).MatchString(history) || !regexp.MustCompile(`(?m)^3\s+`).MatchString(history) {
		t.Errorf("rollout history after undo:\n%s", history)
	}
}
