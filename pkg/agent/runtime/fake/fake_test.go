package fake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/runtime"
)

func TestImages(t *testing.T) {
	ctx := context.Background()
	f := New()
	const local, remote, broken = "skiff.local/busybox:1", "127.0.0.1:5000/app:1", "127.0.0.1:5000/broken:1"
	f.AddImage(local)
	f.AddRegistryImage(remote)
	f.AddRegistryImage(broken)
	f.SetPullError(broken, errors.New("connection refused"))

	if _, err := f.EnsureImage(ctx, local, runtime.PullNever, nil); err != nil {
		t.Errorf("Never, present: %v", err)
	}
	if _, err := f.EnsureImage(ctx, remote, runtime.PullNever, nil); !errors.Is(err, runtime.ErrImageNeverPull) {
		t.Errorf("Never, absent: err = %v", err)
	}
	for range 2 {
		if _, err := f.EnsureImage(ctx, remote, runtime.PullIfNotPresent, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.EnsureImage(ctx, remote, runtime.PullAlways, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{remote, remote}, f.Pulls()); diff != "" {
		t.Errorf("pulls (-want +got):\n%s", diff)
	}
	if _, err := f.EnsureImage(ctx, broken, runtime.PullIfNotPresent, nil); !errors.Is(err, runtime.ErrImagePull) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("pull error: err = %v", err)
	}
	if _, err := f.EnsureImage(ctx, "nowhere:1", "", nil); !errors.Is(err, runtime.ErrImagePull) {
		t.Errorf("unknown image: err = %v", err)
	}
	infos, err := f.ImportImage(ctx, strings.NewReader("12345"), "imported:1")
	if err != nil || len(infos) != 1 || infos[0].Size != 5 {
		t.Errorf("ImportImage = %+v, %v", infos, err)
	}
	list, _ := f.ListImages(ctx)
	var refs []string
	for _, i := range list {
		refs = append(refs, i.Ref)
	}
	if diff := cmp.Diff([]string{remote, "imported:1", local}, refs); diff != "" {
		t.Errorf("ListImages (-want +got):\n%s", diff)
	}
}

func TestContainerLifecycle(t *testing.T) {
	ctx := context.Background()
	f := New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.SetClock(func() time.Time { return now })
	f.AddImage("img")
	cfg := runtime.ContainerConfig{PodUID: "u", PodNamespace: "ns", PodName: "p", Name: "c", Image: "img", Attempt: 2, Labels: map[string]string{"a": "b"}}

	if _, err := f.StartContainer(ctx, runtime.ContainerConfig{PodUID: "u", Name: "c", Image: "absent"}); !errors.Is(err, runtime.ErrCreateContainer) || !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("absent image: err = %v", err)
	}
	f.FailStart("c", errors.New("exec: not found"))
	if _, err := f.StartContainer(ctx, cfg); !errors.Is(err, runtime.ErrCreateContainer) {
		t.Errorf("FailStart: err = %v", err)
	}

	id, err := f.StartContainer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := f.ContainerStatus(ctx, id)
	if s.State != runtime.StateRunning || !s.StartedAt.Equal(now) {
		t.Errorf("status = %+v", s)
	}
	list, _ := f.ListContainers(ctx)
	want := []runtime.Container{{ID: id, PodUID: "u", PodNamespace: "ns", PodName: "p", Name: "c", Attempt: 2, Image: "img", Labels: map[string]string{"a": "b"}, CreatedAt: now}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("ListContainers (-want +got):\n%s", diff)
	}

	now = now.Add(time.Minute)
	if err := f.Exit(id, 0, true); err != nil {
		t.Fatal(err)
	}
	s, _ = f.ContainerStatus(ctx, id)
	want2 := runtime.Status{ID: id, State: runtime.StateExited, ExitCode: 0, OOMKilled: true, Reason: runtime.ReasonOOMKilled,
		CreatedAt: now.Add(-time.Minute), StartedAt: now.Add(-time.Minute), FinishedAt: now}
	if diff := cmp.Diff(want2, s); diff != "" {
		t.Errorf("status after Exit (-want +got):\n%s", diff)
	}

	if err := f.RemoveContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ContainerStatus(ctx, id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("after remove: err = %v", err)
	}
	if err := f.RemoveContainer(ctx, id); err != nil {
		t.Errorf("second remove: %v", err)
	}
}

func TestStopContainer(t *testing.T) {
	ctx := context.Background()
	f := New()
	f.AddImage("img")
	for _, tc := range []struct {
		name       string
		ignoreTERM bool
		grace      time.Duration
		want       int32
	}{
		{"SIGTERM", false, 30 * time.Second, 143},
		{"ignores SIGTERM", true, 30 * time.Second, 137},
		{"no grace", false, 0, 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.StartContainer(ctx, runtime.ContainerConfig{PodUID: "u", Name: "c", Image: "img"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.ignoreTERM {
				f.IgnoreSIGTERM(id)
			}
			if err := f.StopContainer(ctx, id, tc.grace); err != nil {
				t.Fatal(err)
			}
			if err := f.StopContainer(ctx, id, tc.grace); err != nil {
				t.Errorf("second stop: %v", err)
			}
			s, _ := f.ContainerStatus(ctx, id)
			if s.State != runtime.StateExited || s.ExitCode != tc.want || s.Reason != runtime.ReasonError {
				t.Errorf("status = %+v, want exited %d", s, tc.want)
			}
			if diff := cmp.Diff([]time.Duration{tc.grace, tc.grace}, f.StopGraces(id)); diff != "" {
				t.Errorf("graces (-want +got):\n%s", diff)
			}
		})
	}
	if err := f.StopContainer(ctx, "nope", time.Second); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("unknown container: err = %v", err)
	}
}

func TestSandboxes(t *testing.T) {
	ctx := context.Background()
	f := New()
	sb, err := f.CreateSandbox(ctx, runtime.SandboxConfig{PodUID: "u1"})
	if err != nil || sb.ID != "u1" || sb.NetNSPath == "" {
		t.Fatalf("CreateSandbox = %+v, %v", sb, err)
	}
	if again, _ := f.CreateSandbox(ctx, runtime.SandboxConfig{PodUID: "u1"}); again != sb {
		t.Errorf("second CreateSandbox = %+v", again)
	}
	if _, err := f.CreateSandbox(ctx, runtime.SandboxConfig{}); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("empty UID: err = %v", err)
	}
	if err := f.RemoveSandbox(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.ListSandboxes(ctx); len(list) != 0 {
		t.Errorf("ListSandboxes = %+v", list)
	}
}
