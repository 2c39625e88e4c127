package agent

import (
	"context"
	"errors"
	"testing"
	"time"

	"skiff/pkg/agent/logs"
	"skiff/pkg/agent/runtime"
	"skiff/pkg/agent/runtime/fake"
)

// execFake adds exec to the fake runtime: it records the container each
// command ran in.
type execFake struct {
	*fake.Runtime
	ran []string
}

func (e *execFake) ExecSync(context.Context, string, []string, time.Duration) (int32, []byte, error) {
	return 0, nil, errors.New("not used")
}

func (e *execFake) Exec(_ context.Context, id string, _ runtime.ExecOptions) (int32, error) {
	e.ran = append(e.ran, id)
	return 0, nil
}

func TestExecTargetPicksTheCurrentAttempt(t *testing.T) {
	ctx := context.Background()
	rt := &execFake{Runtime: fake.New()}
	img := rt.AddImage("busybox").Ref
	startC := func(uid, name string, attempt uint32) string {
		id, err := rt.StartContainer(ctx, runtime.ContainerConfig{PodUID: uid, PodNamespace: "default", PodName: "pod-" + uid, Name: name, Attempt: attempt, Image: img})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	startC("u1", "app", 0)
	cur := startC("u1", "app", 1)
	other := startC("u1", "sidecar", 0)
	startC("u2", "app", 5)

	ex := execTarget(rt)
	for _, tc := range []struct {
		name string
		t    logs.Target
		want string
	}{
		{"by uid, newest attempt", logs.Target{PodUID: "u1", Container: "app"}, cur},
		{"other container", logs.Target{PodUID: "u1", Container: "sidecar"}, other},
		{"by name without uid", logs.Target{Namespace: "default", Pod: "pod-u1", Container: "app"}, cur},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt.ran = nil
			if _, err := ex(ctx, tc.t, runtime.ExecOptions{Cmd: []string{"true"}}); err != nil {
				t.Fatal(err)
			}
			if len(rt.ran) != 1 || rt.ran[0] != tc.want {
				t.Errorf("ran in %v, want %s", rt.ran, tc.want)
			}
		})
	}
	_, err := ex(ctx, logs.Target{PodUID: "u3", Pod: "gone", Container: "app"}, runtime.ExecOptions{Cmd: []string{"true"}})
	if !errors.Is(err, logs.ErrNotFound) {
		t.Errorf("err = %v, want logs.ErrNotFound", err)
	}
	if execTarget(fake.New()) != nil {
		t.Errorf("an executor for a runtime that cannot exec")
	}
}
