package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// tokenKubeconfig writes a kubeconfig that authenticates with a bearer token only.
func tokenKubeconfig(t *testing.T, srv *framework.APIServer, user, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: skiff
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: %s
  context: {cluster: skiff, user: %s}
current-context: %s
`, srv.URL, filepath.Join(srv.DataDir, "ca.crt"), user, token, user, user, user)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// canI runs `kubectl auth can-i` and returns its answer; kubectl exits 0 for yes
// and 1 for no.
func canI(t *testing.T, k framework.Kubectl, args ...string) string {
	t.Helper()
	out, errOut, err := k.Run(append([]string{"auth", "can-i"}, args...)...)
	answer := strings.TrimSpace(out)
	var exit *exec.ExitError
	switch {
	case err == nil && answer == "yes":
	case err != nil && errorAs(err, &exit) && exit.ExitCode() == 1 && strings.HasPrefix(answer, "no"):
		answer = "no"
	default:
		t.Fatalf("kubectl %s auth can-i %s: %v\nstdout: %s\nstderr: %s", k.Version, strings.Join(args, " "), err, out, errOut)
	}
	return answer
}

func errorAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// TestKubectlAuthCanI: `kubectl auth can-i` and `can-i --list` answer from
// SelfSubjectAccessReview and SelfSubjectRulesReview for a user bound to view
// in one namespace, a user bound to cluster-admin, and the system:masters
// admin, with every kubectl version the project tests.
func TestKubectlAuthCanI(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("viewer-token,viewer,1001\nroot-token,root,1002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := framework.StartAPIServer(t, "--token-auth-file", tokens)
	versions := framework.KubectlVersions(t)
	admin := versions[len(versions)-1]
	admin.Kubeconfig = srv.Kubeconfig
	admin.Must(t, "create", "namespace", "team")
	admin.Must(t, "create", "rolebinding", "viewer-view", "--clusterrole=view", "--user=viewer", "-n", "team")
	admin.Must(t, "create", "clusterrolebinding", "root-admin", "--clusterrole=cluster-admin", "--user=root")

	viewerConfig := tokenKubeconfig(t, srv, "viewer", "viewer-token")
	rootConfig := tokenKubeconfig(t, srv, "root", "root-token")
	// The bindings reach the authorizer's cache a moment after they are stored.
	waitUntil(t, "the viewer binding", func() bool {
		k := admin
		k.Kubeconfig = viewerConfig
		_, _, err := k.Run("get", "pods", "-n", "team")
		return err == nil
	})
	waitUntil(t, "the root binding", func() bool {
		k := admin
		k.Kubeconfig = rootConfig
		_, _, err := k.Run("get", "nodes")
		return err == nil
	})

	tests := []struct {
		who  string
		args []string
		want string
	}{
		{"viewer", []string{"get", "pods", "-n", "team"}, "yes"},
		{"viewer", []string{"list", "deployments.apps", "-n", "team"}, "yes"},
		{"viewer", []string{"get", "pods/log", "-n", "team"}, "yes"},
		{"viewer", []string{"create", "pods", "-n", "team"}, "no"},
		{"viewer", []string{"delete", "configmaps", "-n", "team"}, "no"},
		{"viewer", []string{"get", "secrets", "-n", "team"}, "no"},
		{"viewer", []string{"get", "pods", "-n", "default"}, "no"},
		{"viewer", []string{"list", "nodes"}, "no"},
		{"viewer", []string{"create", "rolebindings.rbac.authorization.k8s.io", "-n", "team"}, "no"},
		{"root", []string{"*", "*"}, "yes"},
		{"root", []string{"delete", "nodes"}, "yes"},
		{"root", []string{"create", "clusterrolebindings"}, "yes"},
		{"root", []string{"get", "/healthz"}, "yes"},
		{"admin", []string{"*", "*"}, "yes"},
		{"admin", []string{"create", "secrets", "-n", "team"}, "yes"},
	}
	configs := map[string]string{"viewer": viewerConfig, "root": rootConfig, "admin": srv.Kubeconfig}
	for _, k := range versions {
		t.Run("kubectl-"+k.Version, func(t *testing.T) {
			for _, tc := range tests {
				k.Kubeconfig = configs[tc.who]
				if got := canI(t, k, tc.args...); got != tc.want {
					t.Errorf("%s: can-i %s = %s, want %s", tc.who, strings.Join(tc.args, " "), got, tc.want)
				}
			}

			// --list shows the viewer's rules in the namespace and nothing it lacks.
			k.Kubeconfig = viewerConfig
			out := k.Must(t, "auth", "can-i", "--list", "-n", "team")
			wantLines(t, out, `^pods\s+\[\]\s+\[\]\s+\[get list watch\]$`, `^configmaps\s+\[\]\s+\[\]\s+\[get list watch\]$`)
			if regexp.MustCompile(`(?m)^secrets\s`).MatchString(out) {
				t.Errorf("viewer's --list includes secrets:\n%s", out)
			}
			k.Kubeconfig = rootConfig
			out = k.Must(t, "auth", "can-i", "--list")
			wantLines(t, out, `^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$`)
		})
	}
}

// TestKubectlAuthWhoAmI: `kubectl auth whoami` (SelfSubjectReview, kubectl 1.28
// and later) names the user and groups.
func TestKubectlAuthWhoAmI(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("viewer-token,viewer,1001,\"devs\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := framework.StartAPIServer(t, "--token-auth-file", tokens)
	for _, k := range framework.KubectlVersions(t) {
		if k.Version == "1.20" {
			continue // no `auth whoami` before 1.26
		}
		t.Run("kubectl-"+k.Version, func(t *testing.T) {
			k.Kubeconfig = tokenKubeconfig(t, srv, "viewer", "viewer-token")
			out := k.Must(t, "auth", "whoami")
			wantLines(t, out, `^Username\s+viewer$`, `^Groups\s+\[devs system:authenticated\]$`)
			k.Kubeconfig = srv.Kubeconfig
			out = k.Must(t, "auth", "whoami")
			wantLines(t, out, `^Username\s+admin$`, `^Groups\s+\[system:masters system:authenticated\]$`)
		})
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	framework.WaitUntil(t, 20*time.Second, what, cond)
}
