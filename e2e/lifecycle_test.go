package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"skiff/e2e/framework"
)

// TestShutdownAndRestart: SIGTERM ends open watches and exits cleanly; a restart
// on the same data directory keeps every acknowledged write and reuses the CA and
// the admin credentials, whose keys are readable by the owner only.
func TestShutdownAndRestart(t *testing.T) {
	srv := framework.StartAPIServer(t)
	cs := clientset(t, srv.Kubeconfig)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 20 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-" + string(rune('a'+i)), Labels: map[string]string{"set": "restart"}}, Data: map[string]string{"i": "x"}}
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	caBefore := mustRead(t, filepath.Join(srv.DataDir, "ca.crt"))
	kubeconfigBefore := mustRead(t, srv.Kubeconfig)
	for _, f := range []string{"ca.key", "apiserver.key", "admin.kubeconfig"} {
		info, err := os.Stat(filepath.Join(srv.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 0600", f, mode)
		}
	}

	w, err := cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if code := srv.Stop(t); code != 0 {
		t.Fatalf("apiserver exited with %d after SIGTERM", code)
	}
	// The watch sees its initial events and then its end.
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-w.ResultChan():
		case <-deadline:
			t.Fatal("watch still open after the server stopped")
		}
	}
	if strings.Contains(srv.Log(), "level=ERROR") || strings.Contains(srv.Log(), `"level":"error"`) {
		t.Errorf("errors logged during a clean shutdown:\n%s", srv.Log())
	}

	srv.Start(t)
	// Only this test's configmaps: the namespace also holds kube-root-ca.crt.
	list, err := clientset(t, srv.Kubeconfig).CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{LabelSelector: "set=restart"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 20 {
		t.Errorf("after restart: %d configmaps, want 20", len(list.Items))
	}
	if !bytes.Equal(caBefore, mustRead(t, filepath.Join(srv.DataDir, "ca.crt"))) {
		t.Error("the CA changed across a restart")
	}
	if !bytes.Equal(kubeconfigBefore, mustRead(t, srv.Kubeconfig)) {
		t.Error("the admin kubeconfig changed across a restart")
	}
}

// TestServingCertificate: the serving certificate names localhost, 127.0.0.1, the
// host name and the --tls-san values, and verifies against the cluster CA.
func TestServingCertificate(t *testing.T) {
	srv := framework.StartAPIServer(t, "--tls-san", "skiff.lab.example", "--tls-san", "192.0.2.10")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, filepath.Join(srv.DataDir, "ca.crt")))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(srv.URL + "/version")
	if err != nil {
		t.Fatalf("TLS with the cluster CA: %v", err)
	}
	defer resp.Body.Close()
	leaf := resp.TLS.PeerCertificates[0]
	host, _ := os.Hostname()
	for _, name := range []string{"localhost", host, "skiff.lab.example"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate does not cover %s: %v", name, err)
		}
	}
	for _, ip := range []string{"127.0.0.1", "192.0.2.10"} {
		if err := leaf.VerifyHostname(ip); err != nil {
			t.Errorf("certificate does not cover %s: %v", ip, err)
		}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Scan()
	if !strings.Contains(sc.Text(), `"gitVersion"`) {
		t.Errorf("/version: %s", sc.Text())
	}
}

func clientset(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
