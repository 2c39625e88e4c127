package containerd

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"skiff/pkg/agent/runtime"
)

// Container labels. The io.skiff.pod.* and io.skiff.container.* labels are set
// when a container is created and let a restarted agent re-adopt it; the
// io.skiff.status.* labels record what containerd forgets once a task is deleted.
const (
	labelPrefix           = "io.skiff."
	labelPodUID           = "io.skiff.pod.uid"
	labelPodNamespace     = "io.skiff.pod.namespace"
	labelPodName          = "io.skiff.pod.name"
	labelContainerName    = "io.skiff.container.name"
	labelContainerAttempt = "io.skiff.container.attempt"
	labelLogPath          = "io.skiff.container.log-path"

	labelStartedAt  = "io.skiff.status.started-at"
	labelFinishedAt = "io.skiff.status.finished-at"
	labelExitCode   = "io.skiff.status.exit-code"
	labelOOMKilled  = "io.skiff.status.oom-killed"
)

// unknownExitCode is reported for a container whose exit was not recorded.
const unknownExitCode = 255

// encodeLabels returns the containerd labels of a new container: the caller's
// labels plus the reserved ones.
func encodeLabels(cfg runtime.ContainerConfig) (map[string]string, error) {
	labels := make(map[string]string, len(cfg.Labels)+6)
	for k, v := range cfg.Labels {
		if strings.HasPrefix(k, labelPrefix) {
			return nil, fmt.Errorf("%w: label %q: the prefix %q is reserved", runtime.ErrInvalidConfig, k, labelPrefix)
		}
		if k == "" {
			return nil, fmt.Errorf("%w: empty label key", runtime.ErrInvalidConfig)
		}
		labels[k] = v
	}
	labels[labelPodUID] = cfg.PodUID
	labels[labelPodNamespace] = cfg.PodNamespace
	labels[labelPodName] = cfg.PodName
	labels[labelContainerName] = cfg.Name
	labels[labelContainerAttempt] = strconv.FormatUint(uint64(cfg.Attempt), 10)
	if cfg.LogPath != "" {
		labels[labelLogPath] = cfg.LogPath
	}
	return labels, nil
}

// decodeContainer is the inverse of encodeLabels.
func decodeContainer(id, image string, createdAt time.Time, labels map[string]string) runtime.Container {
	c := runtime.Container{
		ID:           id,
		PodUID:       labels[labelPodUID],
		PodNamespace: labels[labelPodNamespace],
		PodName:      labels[labelPodName],
		Name:         labels[labelContainerName],
		Image:        image,
		LogPath:      labels[labelLogPath],
		CreatedAt:    createdAt,
	}
	if a, err := strconv.ParseUint(labels[labelContainerAttempt], 10, 32); err == nil {
		c.Attempt = uint32(a)
	}
	user := maps.Clone(labels)
	maps.DeleteFunc(user, func(k, _ string) bool { return strings.HasPrefix(k, labelPrefix) })
	if len(user) > 0 {
		c.Labels = user
	}
	return c
}

// exitLabels records a container's exit.
func exitLabels(exitCode uint32, finishedAt time.Time, oomKilled bool) map[string]string {
	return map[string]string{
		labelExitCode:   strconv.FormatUint(uint64(exitCode), 10),
		labelFinishedAt: formatTime(finishedAt),
		labelOOMKilled:  strconv.FormatBool(oomKilled),
	}
}

// statusFromLabels is the status of a container that has no task (any more):
// exited as recorded by exitLabels, exited without record if it was started
// (e.g. the node rebooted), created otherwise.
func statusFromLabels(id string, createdAt time.Time, labels map[string]string) runtime.Status {
	s := runtime.Status{
		ID:        id,
		State:     runtime.StateCreated,
		CreatedAt: createdAt,
		StartedAt: parseTime(labels[labelStartedAt]),
	}
	code, err := strconv.ParseInt(labels[labelExitCode], 10, 32)
	switch {
	case err == nil:
		s.State = runtime.StateExited
		s.ExitCode = int32(code)
		s.FinishedAt = parseTime(labels[labelFinishedAt])
		s.OOMKilled = labels[labelOOMKilled] == "true"
		s.Reason = exitReason(s.ExitCode, s.OOMKilled)
	case !s.StartedAt.IsZero():
		s.State = runtime.StateExited
		s.ExitCode = unknownExitCode
		s.Reason = runtime.ReasonUnknown
	}
	return s
}

// exitReason is the Kubernetes reason for a terminated container.
func exitReason(code int32, oomKilled bool) string {
	switch {
	case oomKilled:
		return runtime.ReasonOOMKilled
	case code == 0:
		return runtime.ReasonCompleted
	default:
		return runtime.ReasonError
	}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
