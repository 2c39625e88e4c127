package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"skiff/e2e/framework"
)

// manifests are what a newcomer applies: a namespace, a pod, a deployment and a
// configmap. %[1]s is the namespace, %[2]s the pod image, %[3]d the replicas and
// %[4]s the configmap value.
const manifests = `apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: %[1]s
  labels:
    app: web
spec:
  containers:
  - name: httpd
    image: %[2]s
    command: ["httpd", "-f", "-p", "8080"]
    ports:
    - containerPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: site
  namespace: %[1]s
spec:
  replicas: %[3]d
  selector:
    matchLabels:
      app: site
  template:
    metadata:
      labels:
        app: site
    spec:
      containers:
      - name: httpd
        image: busybox:1.36
        command: ["httpd", "-f", "-p", "8080"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: %[1]s
data:
  color: %[4]s
`

// TestKubectlCompatibility runs what a newcomer does with kubectl, with three
// kubectl versions, against the built apiserver.
func TestKubectlCompatibility(t *testing.T) {
	srv := framework.StartAPIServer(t)
	for _, k := range framework.KubectlVersions(t) {
		k.Kubeconfig = srv.Kubeconfig
		t.Run("kubectl-"+k.Version, func(t *testing.T) {
			t.Parallel()
			ns := "compat-" + strings.ReplaceAll(k.Version, ".", "-")
			dir := t.TempDir()
			file := filepath.Join(dir, "app.yaml")
			write := func(image string, replicas int, color string) {
				if err := os.WriteFile(file, []byte(fmt.Sprintf(manifests, ns, image, replicas, color)), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			out := k.Must(t, "get", "ns")
			wantLines(t, out, `^NAME\s+STATUS\s+AGE$`, `^default\s+Active\s+\S+$`, `^kube-system\s+Active\s+\S+$`)

			write("busybox:1.36", 2, "blue")
			out = k.Must(t, "apply", "-f", file)
			wantLines(t, out, `^namespace/`+ns+` created$`, `^pod/web created$`, `^deployment.apps/site created$`, `^configmap/settings created$`)

			// The same apply with changes goes through the strategic-merge patch path.
			write("busybox:1.37", 3, "green")
			out = k.Must(t, "apply", "-f", file)
			wantLines(t, out, `^pod/web configured$`, `^deployment.apps/site configured$`, `^configmap/settings configured$`, ns+` unchanged$`)
			if got := k.Must(t, "-n", ns, "get", "pod", "web", "-o", "jsonpath={.spec.containers[0].image}"); got != "busybox:1.37" {
				t.Errorf("pod image after re-apply: %q", got)
			}
			if got := k.Must(t, "-n", ns, "get", "deploy", "site", "-o", "jsonpath={.spec.replicas} {.metadata.generation}"); got != "3 2" {
				t.Errorf("deployment replicas and generation after re-apply: %q, want \"3 2\"", got)
			}
			if got := k.Must(t, "-n", ns, "get", "cm", "settings", "-o", "jsonpath={.data.color}"); got != "green" {
				t.Errorf("configmap after re-apply: %q", got)
			}

			out = k.Must(t, "-n", ns, "get", "pods", "-o", "wide")
			wantLines(t, out, `^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$`,
				`^web\s+0/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$`)

			// A watch sees a change made while it runs.
			watch, stop := k.Start(t, "-n", ns, "get", "pods", "-w", "--show-labels")
			watch.WaitFor(t, "app=web", 20*time.Second)
			k.Must(t, "-n", ns, "label", "pod", "web", "watched=yes")
			watch.WaitFor(t, "watched=yes", 20*time.Second)
			stop()

			wantLines(t, k.Must(t, "-n", ns, "label", "pod", "web", "tier=front"), `^pod/web labeled$`)
			wantLines(t, k.Must(t, "-n", ns, "annotate", "pod", "web", "note=hello"), `^pod/web annotated$`)
			wantLines(t, k.Must(t, "-n", ns, "get", "pods", "--selector", "tier=front"), `^web\s+0/1\s+Pending`)
			if _, errOut, _ := k.Run("-n", ns, "get", "pods", "--selector", "tier=back"); !strings.Contains(errOut, "No resources found") {
				t.Errorf("selector tier=back: stderr %q, want No resources found", errOut)
			}

			out = k.Must(t, "-n", ns, "describe", "pod", "web")
			wantLines(t, out, `^Name:\s+web$`, `^Namespace:\s+`+ns+`$`, `tier=front`, `^Annotations:\s+.*note: hello`,
				`^Status:\s+Pending$`, `^\s+Image:\s+busybox:1.37$`)

			out = k.Must(t, "api-resources")
			wantLines(t, out, `^pods\s+po\s+v1\s+true\s+Pod$`, `^deployments\s+deploy\s+apps/v1\s+true\s+Deployment$`,
				`^namespaces\s+ns\s+v1\s+false\s+Namespace$`, `^leases\s+coordination.k8s.io/v1\s+true\s+Lease$`)

			wantLines(t, k.Must(t, "-n", ns, "get", "po"), `^web\s+0/1\s+Pending`)
			wantLines(t, k.Must(t, "-n", ns, "get", "deploy"), `^site\s+0/3\s+0\s+0\s+\S+$`)

			wantLines(t, k.Must(t, "-n", ns, "delete", "pod", "web"), `^pod "web" deleted`)
			if _, errOut, err := k.Run("-n", ns, "get", "pod", "web"); err == nil || !strings.Contains(errOut, `pods "web" not found`) {
				t.Errorf("get after delete: err %v stderr %q", err, errOut)
			}
			wantLines(t, k.Must(t, "-n", ns, "delete", "deployment/site", "configmap/settings"),
				`^deployment.apps "site" deleted`, `^configmap "settings" deleted`)
		})
	}
}

// TestKubectlImperative: kubectl's imperative commands send protobuf bodies
// through client-go's typed clients; they work too.
func TestKubectlImperative(t *testing.T) {
	srv := framework.StartAPIServer(t)
	for _, k := range framework.KubectlVersions(t) {
		k.Kubeconfig = srv.Kubeconfig
		t.Run("kubectl-"+k.Version, func(t *testing.T) {
			t.Parallel()
			ns := "imperative-" + strings.ReplaceAll(k.Version, ".", "-")
			wantLines(t, k.Must(t, "create", "namespace", ns), `^namespace/`+ns+` created$`)
			wantLines(t, k.Must(t, "-n", ns, "create", "configmap", "cfg", "--from-literal=color=blue"), `^configmap/cfg created$`)
			wantLines(t, k.Must(t, "-n", ns, "create", "secret", "generic", "pw", "--from-literal=p=s3cret"), `^secret/pw created$`)
			wantLines(t, k.Must(t, "-n", ns, "create", "deployment", "web", "--image=busybox:1.36"), `^deployment.apps/web created$`)
			wantLines(t, k.Must(t, "-n", ns, "scale", "deployment", "web", "--replicas=4"), `^deployment.apps/web scaled$`)
			wantLines(t, k.Must(t, "-n", ns, "run", "once", "--image=busybox:1.36", "--restart=Never", "--", "true"), `^pod/once created$`)
			wantLines(t, k.Must(t, "-n", ns, "expose", "deployment", "web", "--port=80", "--target-port=8080"), `^service/web exposed$`)
			if got := k.Must(t, "-n", ns, "get", "secret", "pw", "-o", "jsonpath={.data.p}"); got != "czNjcmV0" {
				t.Errorf("secret data %q, want base64 of s3cret", got)
			}
			if got := k.Must(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); got != "4" {
				t.Errorf("replicas after scale: %q", got)
			}
			if got := k.Must(t, "-n", ns, "get", "pod", "once", "-o", "jsonpath={.spec.restartPolicy} {.spec.containers[0].args}"); got != `Never ["true"]` {
				t.Errorf("pod from kubectl run: %q", got)
			}
			wantLines(t, k.Must(t, "-n", ns, "get", "svc"), `^web\s+ClusterIP\s+\S+\s+<none>\s+80/TCP\s+\S+$`)
		})
	}
}

// wantLines checks that each pattern matches some line of out.
func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for _, l := range lines {
			if re.MatchString(strings.TrimRight(l, " ")) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no line matches %q in:\n%s", p, out)
		}
	}
}

// TestKubectlToken: kubectl authenticates with a bearer token from the static
// token file, and a wrong token gets a clear 401.
func TestKubectlToken(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("s3cret-token,alice,1000,\"system:masters,devs\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := framework.StartAPIServer(t, "--token-auth-file", tokens)
	ca := filepath.Join(srv.DataDir, "ca.crt")
	for _, k := range framework.KubectlVersions(t) {
		t.Run("kubectl-"+k.Version, func(t *testing.T) {
			// An empty kubeconfig: everything comes from flags.
			k.Kubeconfig = filepath.Join(t.TempDir(), "empty")
			os.WriteFile(k.Kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600)
			out := k.Must(t, "--server", srv.URL, "--certificate-authority", ca, "--token", "s3cret-token", "get", "ns", "default")
			wantLines(t, out, `^default\s+Active\s+\S+$`)
			_, errOut, err := k.Run("--server", srv.URL, "--certificate-authority", ca, "--token", "wrong", "get", "ns")
			if err == nil || !strings.Contains(errOut, "Unauthorized") {
				t.Errorf("with a wrong token: err %v, stderr %q", err, errOut)
			}
		})
	}
}
