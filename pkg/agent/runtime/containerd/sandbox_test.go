package containerd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"skiff/pkg/agent/runtime"
)

func TestSandboxSharedNetwork(t *testing.T) {
	r := newTestRuntime(t)
	importBusybox(t, r)
	ctx := testContext(t)
	sb, err := r.CreateSandbox(ctx, runtime.SandboxConfig{PodUID: "uid-sandbox", PodNamespace: "default", PodName: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if sb.ID != "uid-sandbox" || filepath.Dir(sb.NetNSPath) != r.netnsDir || !isNetNS(sb.NetNSPath) {
		t.Fatalf("sandbox = %+v, want a network namespace mounted under %s", sb, r.netnsDir)
	}
	again, err := r.CreateSandbox(ctx, runtime.SandboxConfig{PodUID: "uid-sandbox"})
	if err != nil || again != sb {
		t.Errorf("second CreateSandbox = %+v, %v; want the same sandbox", again, err)
	}
	list, err := r.ListSandboxes(ctx)
	if err != nil || len(list) != 1 || list[0] != sb {
		t.Errorf("ListSandboxes = %+v, %v; want [%+v]", list, err, sb)
	}

	// Two containers of the pod share the namespace: one serves on loopback,
	// the other fetches from it.
	server := podConfig(t, "server", "sh", "-c", `echo hi >/tmp/index.html; exec httpd -f -p 8080 -h /tmp`)
	server.PodUID, server.NetNSPath = sb.ID, sb.NetNSPath
	client := podConfig(t, "client", "sh", "-c",
		`ip -o link | cut -d' ' -f2,3; for i in $(seq 100); do wget -q -O - http://127.0.0.1:8080/index.html && exit 0; sleep 0.05; done; exit 1`)
	client.PodUID, client.NetNSPath = sb.ID, sb.NetNSPath
	serverID := start(t, r, server)
	clientID := start(t, r, client)
	s := waitStatus(t, r, clientID, 15*time.Second, exited)
	log := readFile(t, client.LogPath)
	if s.ExitCode != 0 || !strings.HasSuffix(log, "hi\n") {
		t.Errorf("client exited %d, log %q; want exit 0 and the server's page", s.ExitCode, log)
	}
	if links := strings.SplitN(log, "\n", 2)[0]; links != "lo: <LOOPBACK,UP,LOWER_UP>" {
		t.Errorf("links in the sandbox = %q, want only lo, up", links)
	}

	for _, id := range []string{serverID, clientID} {
		if err := r.RemoveContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.RemoveSandbox(ctx, sb.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sb.NetNSPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("netns %s still there (err %v)", sb.NetNSPath, err)
	}
	for _, h := range r.cgroups.hierarchies() {
		if _, err := os.Stat(filepath.Join(h, r.podCgroup(sb.ID))); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pod cgroup in %s still there (err %v)", h, err)
		}
	}
	if list, err := r.ListSandboxes(ctx); err != nil || len(list) != 0 {
		t.Errorf("ListSandboxes after remove = %+v, %v", list, err)
	}
	if err := r.RemoveSandbox(ctx, sb.ID); err != nil {
		t.Errorf("second RemoveSandbox: %v", err)
	}
}

func TestSandboxInvalidUID(t *testing.T) {
	r := newTestRuntime(t)
	for _, uid := range []string{"", "../etc", "a/b", ".hidden"} {
		if _, err := r.CreateSandbox(testContext(t), runtime.SandboxConfig{PodUID: uid}); !errors.Is(err, runtime.ErrInvalidConfig) {
			t.Errorf("CreateSandbox(%q): err = %v, want ErrInvalidConfig", uid, err)
		}
		if err := r.RemoveSandbox(testContext(t), uid); !errors.Is(err, runtime.ErrInvalidConfig) {
			t.Errorf("RemoveSandbox(%q): err = %v, want ErrInvalidConfig", uid, err)
		}
	}
}
