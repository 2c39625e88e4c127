package pods

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

func TestVolumes(t *testing.T) {
	h := newHarness(t)
	host := filepath.Join(t.TempDir(), "data", "sub")
	h.objs.addConfigMap("cfg", map[string]string{"app.conf": "port=80\n", "other": "x"})
	h.objs.addConfigMap("kube-root-ca.crt", map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----\n"})
	h.objs.addSecret("sec", map[string]string{"user": "admin", "pass": "pw"})
	exp := int64(3607)
	pod := makePod("vol").
		volume(api.Volume{Name: "scratch", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}}).
		volume(api.Volume{Name: "host", VolumeSource: api.VolumeSource{HostPath: &api.HostPathVolumeSource{Path: host, Type: ptr("DirectoryOrCreate")}}}).
		volume(api.Volume{Name: "config", VolumeSource: api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{
			LocalObjectReference: api.LocalObjectReference{Name: "cfg"},
			Items:                []api.KeyToPath{{Key: "app.conf", Path: "etc/app.conf", Mode: ptr(int32(0o600))}},
		}}}).
		volume(api.Volume{Name: "creds", VolumeSource: api.VolumeSource{Secret: &api.SecretVolumeSource{SecretName: "sec", DefaultMode: ptr(int32(0o400))}}}).
		volume(api.Volume{Name: "info", VolumeSource: api.VolumeSource{DownwardAPI: &api.DownwardAPIVolumeSource{Items: []api.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "name", FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.name"}},
		}}}}).
		volume(api.Volume{Name: "kube-api-access-abcde", VolumeSource: api.VolumeSource{Projected: &api.ProjectedVolumeSource{Sources: []api.VolumeProjection{
			{ServiceAccountToken: &api.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &exp}},
			{ConfigMap: &api.ConfigMapProjection{LocalObjectReference: api.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []api.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &api.DownwardAPIProjection{Items: []api.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
		}}}}).
		container(api.Container{Name: "app", VolumeMounts: []api.VolumeMount{
			{Name: "scratch", MountPath: "/scratch"},
			{Name: "scratch", MountPath: "/cache", SubPath: "cache"},
			{Name: "host", MountPath: "/data", ReadOnly: true},
			{Name: "config", MountPath: "/etc/app"},
			{Name: "creds", MountPath: "/creds"},
			{Name: "info", MountPath: "/etc/podinfo"},
			{Name: "kube-api-access-abcde", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
		}}).obj()
	h.start(pod)
	h.waitRunning(pod.UID, "app", 0)

	vol := func(kind, name string) string {
		return filepath.Join(h.root, "pods", pod.UID, "volumes", "kubernetes.io~"+kind, name)
	}
	cfg := h.started(pod.UID, "app")[0]
	wantMounts := []runtime.Mount{
		{HostPath: vol("empty-dir", "scratch"), ContainerPath: "/scratch"},
		{HostPath: filepath.Join(vol("empty-dir", "scratch"), "cache"), ContainerPath: "/cache"},
		{HostPath: host, ContainerPath: "/data", ReadOnly: true},
		{HostPath: vol("configmap", "config"), ContainerPath: "/etc/app", ReadOnly: true},
		{HostPath: vol("secret", "creds"), ContainerPath: "/creds", ReadOnly: true},
		{HostPath: vol("downward-api", "info"), ContainerPath: "/etc/podinfo", ReadOnly: true},
		{HostPath: vol("projected", "kube-api-access-abcde"), ContainerPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
		{HostPath: filepath.Join(h.root, "pods", pod.UID, "etc-hosts.txt"), ContainerPath: "/etc/hosts"},
	}
	if diff := cmp.Diff(wantMounts, cfg.Mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}

	checkFile := func(path, want string, mode os.FileMode) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return
		}
		if string(data) != want {
			t.Errorf("%s = %q, want %q", path, data, want)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %o, want %o", path, fi.Mode().Perm(), mode)
		}
	}
	checkFile(filepath.Join(vol("configmap", "config"), "etc", "app.conf"), "port=80\n", 0o600)
	if _, err := os.Stat(filepath.Join(vol("configmap", "config"), "other")); !os.IsNotExist(err) {
		t.Errorf("a key not in items was written: %v", err)
	}
	checkFile(filepath.Join(vol("secret", "creds"), "user"), "admin", 0o400)
	checkFile(filepath.Join(vol("secret", "creds"), "pass"), "pw", 0o400)
	checkFile(filepath.Join(vol("downward-api", "info"), "labels"), `app="vol"`, 0o644)
	checkFile(filepath.Join(vol("downward-api", "info"), "name"), "vol", 0o644)
	sa := vol("projected", "kube-api-access-abcde")
	checkFile(filepath.Join(sa, "token"), "token-default-vol-1", 0o644)
	checkFile(filepath.Join(sa, "ca.crt"), "-----BEGIN CERTIFICATE-----\n", 0o644)
	checkFile(filepath.Join(sa, "namespace"), "default", 0o644)
	if fi, err := os.Stat(vol("empty-dir", "scratch")); err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("emptyDir: %v, %v", fi, err)
	}
	if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
		t.Errorf("hostPath DirectoryOrCreate was not created: %v", err)
	}
	h.objs.mu.Lock()
	tr := h.objs.tokens[0]
	h.objs.mu.Unlock()
	if ref := tr.Spec.BoundObjectRef; ref == nil || ref.Kind != "Pod" || ref.Name != "vol" || ref.UID != pod.UID || *tr.Spec.ExpirationSeconds != 3607 {
		t.Errorf("token request = %+v", tr.Spec)
	}

	// The token is replaced after 80% of its hour.
	h.step = 10 * time.Second
	h.eventually("token refreshed", func() bool {
		data, _ := os.ReadFile(filepath.Join(sa, "token"))
		return string(data) == "token-default-vol-2"
	})
	if got := h.clock.Now().Sub(epoch); got < 48*time.Minute || got > 50*time.Minute {
		t.Errorf("token refreshed after %s, want 48 min", got)
	}
	if n := len(h.started(pod.UID, "app")); n != 1 {
		t.Errorf("the refresh restarted the container")
	}
}

func TestVolumeErrors(t *testing.T) {
	tests := []struct {
		name string
		vol  api.VolumeSource
		want string
	}{
		{"missing configmap", api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{LocalObjectReference: api.LocalObjectReference{Name: "nope"}}}, `configmap "nope" not found`},
		{"missing key", api.VolumeSource{Secret: &api.SecretVolumeSource{SecretName: "sec", Items: []api.KeyToPath{{Key: "x", Path: "x"}}}}, `secret "sec" has no key "x"`},
		{"bad path", api.VolumeSource{Secret: &api.SecretVolumeSource{SecretName: "sec", Items: []api.KeyToPath{{Key: "a", Path: "../escape"}}}}, "must not contain '..'"},
		{"hostPath type", api.VolumeSource{HostPath: &api.HostPathVolumeSource{Path: "/nonexistent/skiff", Type: ptr("Directory")}}, "is not a directory"},
		{"pvc", api.VolumeSource{PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.objs.addSecret("sec", map[string]string{"a": "1"})
			pod := makePod("v").volume(api.Volume{Name: "v", VolumeSource: tt.vol}).container(api.Container{Name: "app"}).obj()
			h.start(pod)
			st := h.waitStatus(pod, "a mount error", func(st api.PodStatus) bool {
				w := findStatus(st.ContainerStatuses, "app").State.Waiting
				return w != nil && w.Message != ""
			})
			w := findStatus(st.ContainerStatuses, "app").State.Waiting
			if w.Reason != ReasonContainerCreating || !strings.Contains(w.Message, tt.want) || !strings.Contains(w.Message, `volume "v"`) {
				t.Errorf("waiting = %+v, want ContainerCreating with %q", w, tt.want)
			}
			if len(h.rt.Started()) != 0 {
				t.Errorf("started a container without its volume")
			}
		})
	}
}

func TestOptionalVolumeSources(t *testing.T) {
	h := newHarness(t)
	yes := true
	pod := makePod("opt").
		volume(api.Volume{Name: "c", VolumeSource: api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{LocalObjectReference: api.LocalObjectReference{Name: "nope"}, Optional: &yes}}}).
		container(api.Container{Name: "app", VolumeMounts: []api.VolumeMount{{Name: "c", MountPath: "/c"}}}).obj()
	h.start(pod)
	h.waitRunning(pod.UID, "app", 0)
}
