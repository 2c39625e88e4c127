package pods

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// TestImagePullBackOff: a failed pull shows ErrImagePull, then
// ImagePullBackOff while waiting 10 s, 20 s, 40 s between attempts; once the
// image can be pulled the container runs.
func TestImagePullBackOff(t *testing.T) {
	h := newHarness(t)
	h.step = 500 * time.Millisecond
	const img = "registry.local/app:1"
	h.rt.SetPullError(img, errors.New("connection refused"))
	pod := makePod("pull").container(api.Container{Name: "app", Image: img}).obj()
	h.start(pod)

	st := h.waitStatus(pod, "ErrImagePull", func(st api.PodStatus) bool {
		w := findStatus(st.ContainerStatuses, "app").State.Waiting
		return w != nil && w.Reason == ReasonErrImagePull
	})
	if w := findStatus(st.ContainerStatuses, "app").State.Waiting; !strings.Contains(w.Message, "connection refused") || st.Phase != api.PodPending {
		t.Errorf("waiting = %+v, phase %s", w, st.Phase)
	}
	st = h.waitStatus(pod, "ImagePullBackOff", func(st api.PodStatus) bool {
		w := findStatus(st.ContainerStatuses, "app").State.Waiting
		return w != nil && w.Reason == ReasonImagePullBackOff
	})
	if w := findStatus(st.ContainerStatuses, "app").State.Waiting; w.Message != `Back-off pulling image "registry.local/app:1"` {
		t.Errorf("message = %q", w.Message)
	}
	h.eventually("four pull attempts", func() bool { return len(h.rt.ensureCalls()) >= 4 })
	calls := h.rt.ensureCalls()
	for i, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		gap := calls[i+1].at.Sub(calls[i].at)
		if gap < want || gap > want+2*time.Second {
			t.Errorf("pull %d came %s after the one before, want %s", i+2, gap, want)
		}
	}
	for _, c := range calls {
		if c.policy != runtime.PullIfNotPresent || !errors.Is(c.err, runtime.ErrImagePull) {
			t.Errorf("call %+v", c)
		}
	}

	h.rt.SetPullError(img, nil)
	h.rt.AddRegistryImage(img)
	h.waitRunning(pod.UID, "app", 0)
	st = h.waitStatus(pod, "running", func(st api.PodStatus) bool { return st.Phase == api.PodRunning })
	if cs := findStatus(st.ContainerStatuses, "app"); cs.RestartCount != 0 || cs.Image != img {
		t.Errorf("container status = %+v", cs)
	}
	if diff := cmp.Diff([]string{img}, h.rt.Pulls()); diff != "" {
		t.Errorf("pulls (-want +got):\n%s", diff)
	}
}

func TestImagePullPolicies(t *testing.T) {
	tests := []struct {
		name       string
		image      string
		policy     string
		present    bool
		pullable   bool
		wantPolicy runtime.PullPolicy
		wantPulls  int
		wantReason string // waiting reason, "" for running
	}{
		{name: "tag present", image: "registry.local/a:1", present: true, pullable: true, wantPolicy: runtime.PullIfNotPresent},
		{name: "tag absent", image: "registry.local/a:1", pullable: true, wantPolicy: runtime.PullIfNotPresent, wantPulls: 1},
		{name: "latest present", image: "registry.local/a:latest", present: true, pullable: true, wantPolicy: runtime.PullAlways, wantPulls: 1},
		{name: "no tag present", image: "registry.local/a", present: true, pullable: true, wantPolicy: runtime.PullAlways, wantPulls: 1},
		{name: "digest", image: "registry.local/a@sha256:0123", present: true, wantPolicy: runtime.PullIfNotPresent},
		{name: "Never absent", image: "registry.local/a:1", policy: api.PullNever, pullable: true, wantPolicy: runtime.PullNever, wantReason: ReasonErrImageNeverPull},
		{name: "Never present", image: "registry.local/a:1", policy: api.PullNever, present: true, wantPolicy: runtime.PullNever},
		{name: "Always present", image: "registry.local/a:1", policy: api.PullAlways, present: true, pullable: true, wantPolicy: runtime.PullAlways, wantPulls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.present {
				h.rt.AddImage(tt.image)
			}
			if tt.pullable {
				h.rt.AddRegistryImage(tt.image)
			}
			// Built without defaulting, so the agent's own default applies.
			pod := makePod("img").container(api.Container{Name: "app", Image: tt.image, ImagePullPolicy: tt.policy}).p
			h.start(pod)
			st := h.waitStatus(pod, "container running or waiting with a reason", func(st api.PodStatus) bool {
				cs := findStatus(st.ContainerStatuses, "app")
				if tt.wantReason == "" {
					return cs.State.Running != nil
				}
				return cs.State.Waiting != nil && cs.State.Waiting.Reason == tt.wantReason
			})
			if calls := h.rt.ensureCalls(); len(calls) == 0 || calls[0].policy != tt.wantPolicy {
				t.Errorf("EnsureImage calls = %+v, want policy %s", calls, tt.wantPolicy)
			}
			if got := len(h.rt.Pulls()); got != tt.wantPulls {
				t.Errorf("pulled %d times, want %d", got, tt.wantPulls)
			}
			if tt.wantReason == ReasonErrImageNeverPull {
				want := `Container image "registry.local/a:1" is not present with pull policy of Never`
				if w := findStatus(st.ContainerStatuses, "app").State.Waiting; w.Message != want {
					t.Errorf("message = %q, want %q", w.Message, want)
				}
			}
		})
	}
}

func TestImagePullSecrets(t *testing.T) {
	h := newHarness(t)
	const img = "registry.local:5000/private/app:1"
	h.rt.AddRegistryImage(img)
	cfg := `{"auths":{"https://registry.local:5000/v2/":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) + `"},"docker.io":{"username":"bob","password":"x"}}}`
	h.objs.addSecret("regcred", map[string]string{".dockerconfigjson": cfg})
	pod := makePod("priv").edit(func(p *api.Pod) {
		p.Spec.ImagePullSecrets = []api.LocalObjectReference{{Name: "missing"}, {Name: "regcred"}}
	}).container(api.Container{Name: "app", Image: img}).obj()
	h.start(pod)
	h.waitRunning(pod.UID, "app", 0)
	calls := h.rt.ensureCalls()
	if a := calls[0].auth; a == nil || a.Username != "alice" || a.Password != "s3cret" {
		t.Errorf("auth = %+v", a)
	}
}

func TestImageHelpers(t *testing.T) {
	for ref, want := range map[string]string{
		"busybox":                      "docker.io",
		"library/busybox:1":            "docker.io",
		"registry.local/a/b:1":         "registry.local",
		"localhost/a":                  "localhost",
		"127.0.0.1:5000/a":             "127.0.0.1:5000",
		"index.docker.io/library/x:1":  "docker.io",
		"registry-1.docker.io/x/y:2":   "docker.io",
		"my-registry:5000/team/app:v2": "my-registry:5000",
	} {
		if got := registryHost(ref); got != want {
			t.Errorf("registryHost(%q) = %q, want %q", ref, got, want)
		}
	}
	info := runtime.ImageInfo{Ref: "docker.io/library/busybox:1.36", Digest: "sha256:abc", ID: "sha256:def"}
	if got := imageID(info); got != "docker.io/library/busybox@sha256:abc" {
		t.Errorf("imageID = %q", got)
	}
	info = runtime.ImageInfo{Ref: "127.0.0.1:5000/app", Digest: "sha256:abc"}
	if got := imageID(info); got != "127.0.0.1:5000/app@sha256:abc" {
		t.Errorf("imageID = %q", got)
	}
	if got := imageID(runtime.ImageInfo{Ref: "x", ID: "sha256:def"}); got != "sha256:def" {
		t.Errorf("imageID without digest = %q", got)
	}
}
