package containerd

import (
	"archive/tar"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"skiff/pkg/agent/runtime"
)

func TestImportAndListImages(t *testing.T) {
	r := newTestRuntime(t)
	ctx := testContext(t)

	// Without a ref, the image keeps the name the archive gives it.
	f, err := os.Open(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	infos, err := r.ImportImage(ctx, f, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Ref != testImageRef {
		t.Fatalf("ImportImage without ref = %+v, want %s", infos, testImageRef)
	}
	info := importBusybox(t, r) // again, with the ref: same image
	if info.Ref != testImageRef || !strings.HasPrefix(info.ID, "sha256:") || info.ID != infos[0].ID || info.Size < 500_000 {
		t.Errorf("ImportImage = %+v; without ref %+v", info, infos[0])
	}

	list, err := r.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]runtime.ImageInfo{info}, list); diff != "" {
		t.Errorf("ListImages (-want +got):\n%s", diff)
	}
	got, err := r.EnsureImage(ctx, testImageRef, runtime.PullNever, nil)
	if err != nil || got != info {
		t.Errorf("EnsureImage(Never) of the imported image = %+v, %v; want %+v", got, err, info)
	}
}

// testRegistry is an in-process registry on 127.0.0.1 that counts manifest
// requests and wants basic auth for repositories under private/.
type testRegistry struct {
	host      string
	manifests atomic.Int64
}

const registryUser, registryPassword = "lab", "secret"

func newTestRegistry(t *testing.T) *testRegistry {
	tr := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/manifests/") {
			tr.manifests.Add(1)
		}
		if strings.HasPrefix(req.URL.Path, "/v2/private/") {
			if u, p, ok := req.BasicAuth(); !ok || u != registryUser || p != registryPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	tr.host = strings.TrimPrefix(srv.URL, "http://")
	return tr
}

// push pushes the busybox test image as host/repo.
func (tr *testRegistry) push(t *testing.T, repo string) string {
	t.Helper()
	dir := t.TempDir()
	untar(t, busyboxTar, dir)
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	ref := tr.host + "/" + repo
	nref, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	auth := remote.WithAuth(&authn.Basic{Username: registryUser, Password: registryPassword})
	if err := remote.Write(nref, img, auth); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref
}

func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			var out *os.File
			if out, err = os.Create(p); err == nil {
				_, err = io.Copy(out, tr)
				out.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestEnsureImageFromRegistry(t *testing.T) {
	requireContainerd(t)
	reg := newTestRegistry(t)
	ref := reg.push(t, "lab/busybox:1")
	r := newTestRuntime(t, func(o *Options) { o.PlainHTTPRegistries = []string{reg.host} })
	ctx := testContext(t)

	if _, err := r.EnsureImage(ctx, ref, runtime.PullNever, nil); !errors.Is(err, runtime.ErrImageNeverPull) {
		t.Fatalf("Never, absent: err = %v, want ErrImageNeverPull", err)
	}

	before, pullStart := reg.manifests.Load(), time.Now()
	info, err := r.EnsureImage(ctx, ref, runtime.PullIfNotPresent, nil)
	if err != nil {
		t.Fatalf("IfNotPresent, absent: %v", err)
	}
	t.Logf("pull: %v", time.Since(pullStart))
	if info.Ref != ref || reg.manifests.Load() == before || info.Pulled <= 0 {
		t.Errorf("IfNotPresent, absent: info %+v, %d manifest requests; want a pull of %s, timed", info, reg.manifests.Load()-before, ref)
	}
	info.Pulled = 0 // what the calls that find the image present say

	before = reg.manifests.Load()
	again, err := r.EnsureImage(ctx, ref, runtime.PullIfNotPresent, nil)
	if err != nil || again != info || reg.manifests.Load() != before {
		t.Errorf("IfNotPresent, present: %+v, %v, %d manifest requests; want no request", again, err, reg.manifests.Load()-before)
	}
	if got, err := r.EnsureImage(ctx, ref, runtime.PullNever, nil); err != nil || got != info {
		t.Errorf("Never, present: %+v, %v", got, err)
	}
	before = reg.manifests.Load()
	if got, err := r.EnsureImage(ctx, ref, runtime.PullAlways, nil); err != nil || got.Pulled <= 0 || withoutPull(got) != info || reg.manifests.Load() == before {
		t.Errorf("Always: %+v, %v, %d manifest requests; want the registry asked", got, err, reg.manifests.Load()-before)
	}

	// The pulled image runs.
	cfg := podConfig(t, "pulled", "echo", "pulled")
	cfg.Image = info.Ref
	id := start(t, r, cfg)
	waitStatus(t, r, id, 10*time.Second, exited)
	if got := readFile(t, cfg.LogPath); got != "pulled\n" {
		t.Errorf("log = %q", got)
	}

	if _, err := r.EnsureImage(ctx, reg.host+"/lab/nothing:1", runtime.PullIfNotPresent, nil); !errors.Is(err, runtime.ErrImagePull) {
		t.Errorf("unknown image: err = %v, want ErrImagePull", err)
	}
	if _, err := r.EnsureImage(ctx, "Not A Ref", runtime.PullIfNotPresent, nil); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("bad ref: err = %v, want ErrInvalidConfig", err)
	}
	if _, err := r.EnsureImage(ctx, ref, "Sometimes", nil); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("bad policy: err = %v, want ErrInvalidConfig", err)
	}
}

func TestEnsureImageWithAuth(t *testing.T) {
	requireContainerd(t)
	reg := newTestRegistry(t)
	ref := reg.push(t, "private/busybox:1")
	r := newTestRuntime(t, func(o *Options) { o.PlainHTTPRegistries = []string{reg.host} })
	ctx := testContext(t)

	if _, err := r.EnsureImage(ctx, ref, runtime.PullIfNotPresent, nil); !errors.Is(err, runtime.ErrImagePull) {
		t.Errorf("no credentials: err = %v, want ErrImagePull", err)
	}
	wrong := &runtime.Auth{Username: registryUser, Password: "wrong"}
	if _, err := r.EnsureImage(ctx, ref, runtime.PullIfNotPresent, wrong); !errors.Is(err, runtime.ErrImagePull) {
		t.Errorf("wrong password: err = %v, want ErrImagePull", err)
	}
	right := &runtime.Auth{Username: registryUser, Password: registryPassword}
	if info, err := r.EnsureImage(ctx, ref, runtime.PullIfNotPresent, right); err != nil || info.Ref != ref {
		t.Errorf("with credentials: %+v, %v", info, err)
	}
}

func TestEnsureImageHTTPSByDefault(t *testing.T) {
	requireContainerd(t)
	reg := newTestRegistry(t)
	ref := reg.push(t, "lab/busybox:1")
	r := newTestRuntime(t) // the registry is not configured for plain HTTP
	if _, err := r.EnsureImage(testContext(t), ref, runtime.PullIfNotPresent, nil); !errors.Is(err, runtime.ErrImagePull) {
		t.Errorf("plain HTTP registry not configured: err = %v, want ErrImagePull", err)
	}
}

func TestNormalizeRef(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"busybox", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"example/app", "docker.io/example/app:latest"},
		{"skiff.local/busybox:1.35.0", "skiff.local/busybox:1.35.0"},
		{"127.0.0.1:5000/lab/app:v1", "127.0.0.1:5000/lab/app:v1"},
		{"localhost/app", "localhost/app:latest"},
		{"busybox@sha256:" + sha, "docker.io/library/busybox@sha256:" + sha},
	} {
		got, err := normalizeRef(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("normalizeRef(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "Busybox", "a b", "busybox:"} {
		if _, err := normalizeRef(bad); !errors.Is(err, runtime.ErrInvalidConfig) {
			t.Errorf("normalizeRef(%q): err = %v, want ErrInvalidConfig", bad, err)
		}
	}
}

const sha = "4e5f3c2c4d8b3e1f7d5e9b6a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"

func withoutPull(i runtime.ImageInfo) runtime.ImageInfo {
	i.Pulled = 0
	return i
}
