package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/pki"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
	"skiff/pkg/scheduler/whypending"
)

func TestExplain(t *testing.T) {
	diag := framework.Diagnosis{NumNodes: 3, NodeToStatus: framework.NodeToStatus{
		"gpu-1": framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {dedicated: gpu}").WithPlugin("TaintToleration"),
		"small": framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory").WithPlugin("NodeResourcesFit"),
		"tiny":  framework.NewStatus(framework.Unschedulable, "Insufficient cpu").WithPlugin("NodeResourcesFit"),
	}}
	pod := st.MakePod().Name("web").Obj()
	pod.Annotations = map[string]string{whypending.Annotation: whypending.FromDiagnosis(diag, time.Unix(0, 0)).Encode()}
	var out bytes.Buffer
	if err := explain(pod, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"pod default/web is Pending: 0/3 nodes are available: 2 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}.",
		"gpu-1 TaintToleration node(s) had untolerated taint {dedicated: gpu}\nsmall NodeResourcesFit Insufficient cpu, Insufficient memory\ntiny NodeResourcesFit Insufficient cpu",
	} {
		if !strings.Contains(squeeze(out.String()), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	bound := st.MakePod().Name("web").Node("n1").Obj()
	explain(bound, &out)
	if !strings.Contains(out.String(), "bound to node n1") {
		t.Errorf("bound pod: %s", out.String())
	}
	out.Reset()
	explain(&api.Pod{ObjectMeta: api.ObjectMeta{Name: "x", Namespace: "default"}}, &out)
	if !strings.Contains(out.String(), "no verdict from the scheduler yet") {
		t.Errorf("pod without a verdict: %s", out.String())
	}
}

// squeeze collapses runs of spaces, so column widths do not matter.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func TestNodeKubeconfig(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WritePair(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), ca.Cert, ca.Key); err != nil {
		t.Fatal(err)
	}
	admin := &client.Config{Server: "https://10.0.0.1:6443", CAData: pki.EncodeCert(ca.Cert)}
	data, _ := admin.Kubeconfig("skiff", "admin")
	os.WriteFile(filepath.Join(dir, "admin.kubeconfig"), data, 0o600)

	out := filepath.Join(dir, "node.kubeconfig")
	if err := nodeKubeconfig([]string{"lab-2", "--data-dir", dir, "--out", out}, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg, err := client.LoadKubeconfig(out)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCert(cfg.CertData)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "system:node:lab-2" || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != "system:nodes" || cfg.Server != "https://10.0.0.1:6443" {
		t.Errorf("subject %v, server %s", cert.Subject, cfg.Server)
	}
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", info.Mode().Perm())
	}
	if err := nodeKubeconfig([]string{"Not_A_Name", "--data-dir", dir}, io.Discard); err == nil {
		t.Error("an invalid node name was accepted")
	}
	if err := nodeKubeconfig([]string{"lab-3", "--data-dir", t.TempDir()}, io.Discard); err == nil || !strings.Contains(err.Error(), "run this on the server") {
		t.Errorf("missing CA: %v", err)
	}
}
