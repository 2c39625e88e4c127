package pods

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"skiff/pkg/agent/runtime/fake"
	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
)

func createPod(t *testing.T, c *client.Client, name string) *api.Pod {
	t.Helper()
	pod := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodSpec{
			NodeName:   testNode,
			Containers: []api.Container{{Name: "app", Image: testImage}},
		},
	}
	out, err := client.Pods(c, "default").Create(context.Background(), pod)
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	return out
}

// TestAPIStatus writes pod status through a real apiserver: only changes are
// sent, conditions of others are kept, stale objects are retried, and a
// finished pod is deleted with grace 0 and a UID precondition.
func TestAPIStatus(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	pods := client.Pods(s.Client, "default")
	w := NewAPIStatus(s.Client)
	pod := createPod(t, s.Client, "st")

	// Someone else (a load balancer controller) sets a readiness gate condition.
	gated := api.DeepCopy(pod)
	gated.Status.Conditions = append(gated.Status.Conditions, api.PodCondition{Type: "example.com/lb", Status: api.ConditionTrue})
	if _, err := pods.UpdateStatus(ctx, gated); err != nil {
		t.Fatal(err)
	}

	now := apiTime(time.Now())
	status := api.PodStatus{
		Phase:     api.PodRunning,
		HostIP:    testNodeIP,
		PodIP:     "10.88.0.7",
		PodIPs:    []api.PodIP{{IP: "10.88.0.7"}},
		StartTime: &now,
		QOSClass:  "BestEffort",
		Conditions: []api.PodCondition{
			{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: now},
		},
		ContainerStatuses: []api.ContainerStatus{{Name: "app", Image: testImage, Ready: true,
			ContainerID: "containerd://abc", State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: now}}}},
	}
	// pod is stale now (the status write above changed its resourceVersion).
	if err := w.SetPodStatus(ctx, pod, status); err != nil {
		t.Fatalf("SetPodStatus: %v", err)
	}
	got, err := pods.Get(ctx, pod.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != api.PodRunning || got.Status.PodIP != "10.88.0.7" || len(got.Status.ContainerStatuses) != 1 ||
		got.Status.ContainerStatuses[0].ContainerID != "containerd://abc" {
		t.Errorf("status in the API = %+v", got.Status)
	}
	if findCondition(got.Status.Conditions, "example.com/lb") == nil || findCondition(got.Status.Conditions, api.PodReady) == nil {
		t.Errorf("conditions = %+v", got.Status.Conditions)
	}

	// The same status again sends nothing.
	if err := w.SetPodStatus(ctx, pod, status); err != nil {
		t.Fatal(err)
	}
	again, _ := pods.Get(ctx, pod.Name)
	if again.ResourceVersion != got.ResourceVersion {
		t.Errorf("an unchanged status was written (resourceVersion %s -> %s)", got.ResourceVersion, again.ResourceVersion)
	}

	// Graceful deletion leaves the object until the agent deletes it.
	if err := pods.Delete(ctx, pod.Name, nil); err != nil {
		t.Fatal(err)
	}
	marked, err := pods.Get(ctx, pod.Name)
	if err != nil || marked.DeletionTimestamp == nil {
		t.Fatalf("after a graceful delete: %+v, %v", marked, err)
	}
	status.Phase = api.PodFailed
	if err := w.SetPodStatus(ctx, marked, status); err != nil {
		t.Fatalf("final status: %v", err)
	}
	if err := w.DeletePod(ctx, marked); err != nil {
		t.Fatalf("DeletePod: %v", err)
	}
	if _, err := pods.Get(ctx, pod.Name); !api.IsNotFound(err) {
		t.Errorf("pod still there: %v", err)
	}
	if err := w.SetPodStatus(ctx, marked, status); !errors.Is(err, ErrPodGone) {
		t.Errorf("SetPodStatus of a deleted pod: %v, want ErrPodGone", err)
	}
	if err := w.DeletePod(ctx, marked); err != nil {
		t.Errorf("DeletePod of a deleted pod: %v", err)
	}

	// The UID precondition protects a new pod of the same name.
	replacement := createPod(t, s.Client, "st")
	if err := w.DeletePod(ctx, marked); err != nil {
		t.Errorf("DeletePod of an old UID: %v", err)
	}
	if cur, err := pods.Get(ctx, "st"); err != nil || cur.UID != replacement.UID {
		t.Errorf("the new pod was deleted: %v", err)
	}
	if err := w.SetPodStatus(ctx, marked, status); !errors.Is(err, ErrPodGone) {
		t.Errorf("SetPodStatus of an old UID: %v, want ErrPodGone", err)
	}
}

func TestAPIObjects(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	o := NewAPIObjects(s.Client)
	cm, err := o.GetConfigMap(ctx, "default", "kube-root-ca.crt")
	if err != nil || cm.Data["ca.crt"] == "" {
		t.Errorf("kube-root-ca.crt = %+v, %v", cm, err)
	}
	if _, err := o.GetSecret(ctx, "default", "nope"); !api.IsNotFound(err) {
		t.Errorf("GetSecret of a missing secret: %v", err)
	}
	pod := createPod(t, s.Client, "tok")
	exp := int64(3600)
	tr, err := o.RequestToken(ctx, "default", "default", &api.TokenRequest{Spec: api.TokenRequestSpec{
		ExpirationSeconds: &exp,
		BoundObjectRef:    &api.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}})
	if err != nil || tr.Status.Token == "" || tr.Status.ExpirationTimestamp.IsZero() {
		t.Errorf("RequestToken = %+v, %v", tr, err)
	}
}

// TestManagerWithAPIServer wires the manager as the node agent does (an
// informer on the node's pods, APIStatus, APIObjects) over the fake runtime:
// a pod created in the API runs and is reported Running and Ready; deleting
// it stops its container and removes the object.
func TestManagerWithAPIServer(t *testing.T) {
	s := apiservertest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	rt := fake.New()
	rt.AddImage(testImage)
	m, err := New(Deps{
		Runtime: rt, Network: &fakeNetwork{ip: "10.88.0.9"},
		Status: NewAPIStatus(s.Client), Objects: NewAPIObjects(s.Client),
		NodeName: testNode, NodeIP: testNodeIP, RootDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	inf := client.NewInformer(client.Pods(s.Client, ""), client.ListOptions{FieldSelector: "spec.nodeName=" + testNode},
		slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	inf.AddHandler(m.Handler())
	infDone, runDone := make(chan struct{}), make(chan error, 1)
	go func() { inf.Run(ctx); close(infDone) }()
	go func() {
		if !inf.WaitForSync(ctx) {
			runDone <- errors.New("informer did not sync")
			return
		}
		runDone <- m.Run(ctx, inf.List())
	}()
	t.Cleanup(func() {
		cancel()
		<-infDone
		if err := <-runDone; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	pods := client.Pods(s.Client, "default")
	pod := createPod(t, s.Client, "e2e")
	waitFor(t, "pod Running and Ready", func() bool {
		p, err := pods.Get(ctx, pod.Name)
		return err == nil && p.Status.Phase == api.PodRunning && condition(p.Status, api.PodReady).Status == api.ConditionTrue &&
			p.Status.PodIP == "10.88.0.9" && findCondition(p.Status.Conditions, api.PodScheduled) != nil
	})
	if len(rt.Started()) != 1 {
		t.Errorf("started %d containers", len(rt.Started()))
	}
	zero := int64(3)
	if err := pods.Delete(ctx, pod.Name, &api.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pod object gone", func() bool {
		_, err := pods.Get(ctx, pod.Name)
		return api.IsNotFound(err)
	})
	list, _ := rt.ListContainers(ctx)
	if len(list) != 0 {
		t.Errorf("containers left: %+v", list)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
