package agent

import (
	"context"
	"fmt"

	"skiff/pkg/agent/logs"
	"skiff/pkg/agent/runtime"
)

// execTarget runs commands for the Exec service in the current attempt of a
// pod's container, or returns nil when the runtime cannot exec (Exec then
// answers Unimplemented).
func execTarget(rt runtime.Runtime) logs.Executor {
	ex, ok := rt.(runtime.ExecService)
	if !ok {
		return nil
	}
	return func(ctx context.Context, t logs.Target, opts runtime.ExecOptions) (int32, error) {
		cs, err := rt.ListContainers(ctx)
		if err != nil {
			return -1, err
		}
		var cur *runtime.Container
		for i, c := range cs {
			if c.Name != t.Container || !samePod(c, t) {
				continue
			}
			if cur == nil || c.Attempt > cur.Attempt {
				cur = &cs[i]
			}
		}
		if cur == nil {
			return -1, logs.NotFound(fmt.Sprintf("container %q in pod %q has not started on this node", t.Container, t.Pod))
		}
		return ex.Exec(ctx, cur.ID, opts)
	}
}

// samePod reports whether a container belongs to the pod a target names: by
// UID when the target has one, else by namespace and name.
func samePod(c runtime.Container, t logs.Target) bool {
	if t.PodUID != "" {
		return c.PodUID == t.PodUID
	}
	return c.PodNamespace == t.Namespace && c.PodName == t.Pod
}
