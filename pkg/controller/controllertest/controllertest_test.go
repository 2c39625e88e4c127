package controllertest_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller"
	"skiff/pkg/controller/controllertest"
)

// recorder is a controller that counts the pods its informer reports and
// remembers whether Run has returned.
type recorder struct {
	pods    atomic.Int32
	running atomic.Bool
	stopped atomic.Bool
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Run(ctx context.Context) error {
	r.running.Store(true)
	<-ctx.Done()
	r.stopped.Store(true)
	return nil
}

func newRecorder(cc *controller.Context) *recorder {
	r := &recorder{}
	cc.Informers.Pods().AddHandler(client.Handler[*api.Pod]{OnAdd: func(*api.Pod) { r.pods.Add(1) }})
	return r
}

func makePod(name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}, {Name: "d", Image: "busybox:1.36"}}},
	}
}

func TestRunControllerAndPodHelpers(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	pods := client.Pods(s.Client, "default")

	var rec *recorder
	t.Run("RunController", func(t *testing.T) {
		rec = controllertest.RunController(t, s, newRecorder)
		controllertest.WaitFor(t, "Run to be called", func() (bool, error) { return rec.running.Load(), nil })
		if _, err := pods.Create(ctx, makePod("seen", nil)); err != nil {
			t.Fatal(err)
		}
		controllertest.WaitFor(t, "the informer to report the pod", func() (bool, error) { return rec.pods.Load() == 1, nil })
	})
	if !rec.stopped.Load() {
		t.Fatal("the controller's Run had not returned when its test ended")
	}

	web := map[string]string{"app": "web"}
	for _, name := range []string{"bound", "unbound"} {
		if _, err := pods.Create(ctx, makePod(name, web)); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Bind(ctx, s.Client, &api.Binding{ObjectMeta: api.ObjectMeta{Name: "bound", Namespace: "default"},
		Target: api.ObjectReference{Kind: "Node", Name: "node-1"}}); err != nil {
		t.Fatal(err)
	}

	// readiness returns, by name, what MarkPods* set on the active pods.
	type ready struct {
		Status string
		Since  time.Time
		Phase  string
		Ready  []bool // the containers'
	}
	readiness := func() map[string]ready {
		t.Helper()
		active, err := controllertest.ActivePods(ctx, s.Client, "default", "app=web")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]ready{}
		for _, p := range active {
			r := ready{Phase: p.Status.Phase}
			for _, c := range p.Status.Conditions {
				if c.Type == api.PodReady {
					r.Status, r.Since = c.Status, c.LastTransitionTime.Time
				}
			}
			for _, c := range p.Status.ContainerStatuses {
				r.Ready = append(r.Ready, c.Ready)
			}
			out[p.Name] = r
		}
		return out
	}

	before := time.Now().Truncate(time.Second)
	if err := controllertest.MarkPodsReady(ctx, s.Client, "default", "app=web"); err != nil {
		t.Fatal(err)
	}
	first := readiness()
	for name, r := range first {
		if r.Status != api.ConditionTrue || r.Phase != api.PodRunning || r.Since.Before(before) ||
			!slices.Equal(r.Ready, []bool{true, true}) {
			t.Errorf("%s after MarkPodsReady: %+v", name, r)
		}
	}
	if len(first) != 2 {
		t.Fatalf("%d active pods, want 2", len(first))
	}
	// Ready pods stay as they are: the ready time does not move.
	if err := controllertest.MarkPodsReady(ctx, s.Client, "default", "app=web"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, readiness()); diff != "" {
		t.Errorf("MarkPodsReady twice changed the pods (-first +second):\n%s", diff)
	}

	if err := controllertest.MarkPodsNotReady(ctx, s.Client, "default", "app=web"); err != nil {
		t.Fatal(err)
	}
	for name, r := range readiness() {
		if r.Status != api.ConditionFalse || r.Phase != api.PodRunning || !slices.Equal(r.Ready, []bool{false, false}) {
			t.Errorf("%s after MarkPodsNotReady: %+v", name, r)
		}
	}

	since := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := controllertest.MarkPodsReadySince(ctx, s.Client, "default", "app=web", since); err != nil {
		t.Fatal(err)
	}
	for name, r := range readiness() {
		if r.Status != api.ConditionTrue || !r.Since.Equal(since) {
			t.Errorf("%s after MarkPodsReadySince(%v): %+v", name, since, r)
		}
	}

	if err := controllertest.SetPodsPhase(ctx, s.Client, "default", "app=web", api.PodFailed); err != nil {
		t.Fatal(err)
	}
	if got := readiness(); len(got) != 0 {
		t.Errorf("failed pods are still active: %v", got)
	}
}
