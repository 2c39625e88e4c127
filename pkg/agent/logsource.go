package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"skiff/pkg/agent/logs"
	"skiff/pkg/agent/pods"
	"skiff/pkg/agent/runtime"
)

// logSource finds a container's log file for the logs service: the files are
// RootDir/pods/<UID>/<container>/<attempt>.log, the current attempt is the
// highest, the previous one the next. Following ends when the runtime says the
// current attempt's container has exited.
func logSource(rt runtime.Runtime, rootDir string) logs.Resolver {
	return func(ctx context.Context, t logs.Target) (logs.Source, error) {
		dir := filepath.Dir(pods.LogPath(rootDir, t.PodUID, t.Container, 0))
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			return logs.Source{}, err
		}
		var attempts []uint64
		for _, e := range entries {
			if n, err := strconv.ParseUint(strings.TrimSuffix(e.Name(), ".log"), 10, 32); err == nil && strings.HasSuffix(e.Name(), ".log") {
				attempts = append(attempts, n)
			}
		}
		sort.Slice(attempts, func(i, j int) bool { return attempts[i] < attempts[j] })
		if len(attempts) == 0 {
			return logs.Source{}, logs.NotFound(fmt.Sprintf("container %q in pod %q is waiting to start", t.Container, t.Pod))
		}
		if t.Previous {
			if len(attempts) < 2 {
				return logs.Source{}, logs.NotFound(fmt.Sprintf("previous terminated container %q in pod %q not found", t.Container, t.Pod))
			}
			return logs.Source{Path: pods.LogPath(rootDir, t.PodUID, t.Container, uint32(attempts[len(attempts)-2]))}, nil
		}
		attempt := uint32(attempts[len(attempts)-1])
		src := logs.Source{Path: pods.LogPath(rootDir, t.PodUID, t.Container, attempt)}
		id := containerID(ctx, rt, t.PodUID, t.Container, attempt)
		if id == "" {
			return src, nil // not running: the file is complete
		}
		// Done is polled often: ask the runtime at most every half second.
		var last time.Time
		exited := false
		src.Done = func() bool {
			if exited || time.Since(last) < 500*time.Millisecond {
				return exited
			}
			last = time.Now()
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			st, err := rt.ContainerStatus(sctx, id)
			exited = err != nil || st.State == runtime.StateExited
			return exited
		}
		return src, nil
	}
}

func containerID(ctx context.Context, rt runtime.Runtime, podUID, name string, attempt uint32) string {
	cs, err := rt.ListContainers(ctx)
	if err != nil {
		return ""
	}
	for _, c := range cs {
		if c.PodUID == podUID && c.Name == name && c.Attempt == attempt {
			return c.ID
		}
	}
	return ""
}
