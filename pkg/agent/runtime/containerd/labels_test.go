package containerd

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/runtime"
)

func TestLabelsRoundTrip(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cfg  runtime.ContainerConfig
		want runtime.Container
	}{
		{
			"full",
			runtime.ContainerConfig{
				PodUID: "3f1c", PodNamespace: "default", PodName: "web-0", Name: "nginx", Attempt: 7,
				LogPath: "/var/log/pods/x/nginx/7.log", Labels: map[string]string{"app": "web", "example.com/tier": "front"},
			},
			runtime.Container{
				ID: "c1", PodUID: "3f1c", PodNamespace: "default", PodName: "web-0", Name: "nginx", Attempt: 7,
				Image: "docker.io/library/nginx:1", LogPath: "/var/log/pods/x/nginx/7.log", CreatedAt: created,
				Labels: map[string]string{"app": "web", "example.com/tier": "front"},
			},
		},
		{
			"minimal",
			runtime.ContainerConfig{PodUID: "u", Name: "c"},
			runtime.Container{ID: "c1", PodUID: "u", Name: "c", Image: "docker.io/library/nginx:1", CreatedAt: created},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels, err := encodeLabels(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Status labels added later are not the caller's labels.
			for k, v := range exitLabels(1, created, false) {
				labels[k] = v
			}
			got := decodeContainer("c1", "docker.io/library/nginx:1", created, labels)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeLabelsRejectsReserved(t *testing.T) {
	for _, key := range []string{"io.skiff.pod.uid", "io.skiff.anything", ""} {
		_, err := encodeLabels(runtime.ContainerConfig{PodUID: "u", Name: "c", Labels: map[string]string{key: "x"}})
		if !errors.Is(err, runtime.ErrInvalidConfig) {
			t.Errorf("label %q: err = %v, want ErrInvalidConfig", key, err)
		}
	}
}

func TestDecodeForeignContainer(t *testing.T) {
	got := decodeContainer("x", "img", time.Time{}, map[string]string{"other": "1", labelContainerAttempt: "junk"})
	want := runtime.Container{ID: "x", Image: "img", Labels: map[string]string{"other": "1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStatusFromLabels(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	started := created.Add(time.Second)
	finished := started.Add(time.Minute + 123*time.Nanosecond)
	startedLabel := map[string]string{labelStartedAt: formatTime(started)}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{labelStartedAt: formatTime(started)}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   runtime.Status
	}{
		{"never started", nil, runtime.Status{ID: "c", State: runtime.StateCreated, CreatedAt: created}},
		{
			"completed", with(exitLabels(0, finished, false)),
			runtime.Status{ID: "c", State: runtime.StateExited, CreatedAt: created, StartedAt: started, FinishedAt: finished, Reason: runtime.ReasonCompleted},
		},
		{
			"error", with(exitLabels(3, finished, false)),
			runtime.Status{ID: "c", State: runtime.StateExited, CreatedAt: created, StartedAt: started, FinishedAt: finished, ExitCode: 3, Reason: runtime.ReasonError},
		},
		{
			"killed", with(exitLabels(137, finished, false)),
			runtime.Status{ID: "c", State: runtime.StateExited, CreatedAt: created, StartedAt: started, FinishedAt: finished, ExitCode: 137, Reason: runtime.ReasonError},
		},
		{
			"OOM killed", with(exitLabels(137, finished, true)),
			runtime.Status{ID: "c", State: runtime.StateExited, CreatedAt: created, StartedAt: started, FinishedAt: finished, ExitCode: 137, OOMKilled: true, Reason: runtime.ReasonOOMKilled},
		},
		{
			"started, exit not recorded", startedLabel,
			runtime.Status{ID: "c", State: runtime.StateExited, CreatedAt: created, StartedAt: started, ExitCode: unknownExitCode, Reason: runtime.ReasonUnknown},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := statusFromLabels("c", created, tc.labels)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
