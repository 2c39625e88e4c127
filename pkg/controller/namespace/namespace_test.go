package namespace_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller"
	"skiff/pkg/controller/namespace"
)

// run starts an apiserver and the namespace controller against it; both stop
// when the test ends, the controller first.
func run(t *testing.T) *client.Client {
	t.Helper()
	s := apiservertest.Start(t)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The controller runs as the controller-manager does, so a permission its
	// RBAC role lacks fails the test.
	cm, err := client.NewFromKubeconfig(filepath.Join(s.DataDir, apiserver.ControllerManagerKubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	cc := &controller.Context{Client: cm, Informers: controller.NewInformers(cm, log), Log: log}
	nc, err := namespace.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	if nc.Name() != namespace.Name {
		t.Errorf("Name() = %q, want %q", nc.Name(), namespace.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	informers := make(chan struct{})
	go func() { defer close(informers); cc.Informers.Start(ctx); <-ctx.Done() }()
	done := make(chan error, 1)
	go func() { done <- nc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-informers
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s.Client
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pod(name, node string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name},
		Spec:       api.PodSpec{NodeName: node, Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
	}
}

func condition(ns *api.Namespace, typ string) (api.NamespaceCondition, bool) {
	for _, c := range ns.Status.Conditions {
		if c.Type == typ {
			return c, true
		}
	}
	return api.NamespaceCondition{}, false
}

// TestNamespaceDeletion: deleting a namespace empties it — configmaps,
// secrets and unbound pods at once; pods on nodes once their agent confirms;
// objects with finalizers once those are removed — while it shows
// Terminating and refuses new content; then it goes.
func TestNamespaceDeletion(t *testing.T) {
	c := run(t)
	ctx := context.Background()
	const ns = "doomed"
	if _, err := client.Namespaces(c).Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	cms, secrets, pods := client.ConfigMaps(c, ns), client.Secrets(c, ns), client.Pods(c, ns)
	for _, name := range []string{"a", "b"} {
		if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Create(ctx, &api.Secret{ObjectMeta: api.ObjectMeta{Name: "s"}, StringData: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*api.Pod{pod("unbound", ""), pod("bound", "node-1")} {
		if _, err := pods.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}

	if err := client.Namespaces(c).Delete(ctx, ns, nil); err != nil {
		t.Fatal(err)
	}
	cur, err := client.Namespaces(c).Get(ctx, ns)
	if err != nil || cur.Status.Phase != api.NamespaceTerminating {
		t.Fatalf("right after DELETE: %v, phase %q; want the namespace Terminating", err, cur.Status.Phase)
	}
	waitFor(t, "creates in the terminating namespace to be refused", func() (bool, error) {
		_, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{GenerateName: "late-"}})
		return api.IsForbidden(err), err
	})

	// What can go at once goes; the bound pod and the held configmap are marked.
	waitFor(t, "the namespace's content to be deleted or marked", func() (bool, error) {
		cmList, err := cms.List(ctx, client.ListOptions{})
		if err != nil {
			return false, err
		}
		secretList, err := secrets.List(ctx, client.ListOptions{})
		if err != nil {
			return false, err
		}
		podList, err := pods.List(ctx, client.ListOptions{})
		if err != nil {
			return false, err
		}
		return len(cmList.Items) == 1 && cmList.Items[0].Name == "held" && cmList.Items[0].DeletionTimestamp != nil &&
			len(secretList.Items) == 0 &&
			len(podList.Items) == 1 && podList.Items[0].Name == "bound" && podList.Items[0].DeletionTimestamp != nil, nil
	})
	waitFor(t, "the namespace to report the remaining content", func() (bool, error) {
		cur, err := client.Namespaces(c).Get(ctx, ns)
		if err != nil {
			return false, err
		}
		remaining, _ := condition(cur, namespace.ConditionContentRemaining)
		finalizers, _ := condition(cur, namespace.ConditionFinalizersRemaining)
		return remaining.Status == api.ConditionTrue && strings.Contains(remaining.Message, "pods has 1") &&
			strings.Contains(remaining.Message, "configmaps has 1") &&
			finalizers.Status == api.ConditionTrue && strings.Contains(finalizers.Message, "example.com/hold"), nil
	})
	if cur, err := client.Namespaces(c).Get(ctx, ns); err != nil || cur.Status.Phase != api.NamespaceTerminating {
		t.Fatalf("while content remains: %v, phase %q; want the namespace Terminating", err, cur.Status.Phase)
	}

	// The node agent confirms the pod stopped: it deletes it with no grace.
	if err := pods.Delete(ctx, "bound", &api.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	// The finalizer's owner finishes.
	held, err := cms.Get(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	held.Finalizers = nil
	if _, err := cms.Update(ctx, held); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the namespace to be deleted", func() (bool, error) {
		_, err := client.Namespaces(c).Get(ctx, ns)
		return api.IsNotFound(err), err
	})
}

// TestNamespaceWithoutFinalizer: a namespace that lost its "kubernetes"
// finalizer before it was deleted (one created before the apiserver set it)
// is still emptied, then deleted.
func TestNamespaceWithoutFinalizer(t *testing.T) {
	c := run(t)
	ctx := context.Background()
	ns, err := client.Namespaces(c).Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "legacy"}})
	if err != nil {
		t.Fatal(err)
	}
	ns.Spec.Finalizers = nil
	if err := c.Do(ctx, client.Request{Method: "PUT", Path: client.NamespacesGVR.Path("", "legacy", "finalize"), Body: ns}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ConfigMaps(c, "legacy").Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := client.Namespaces(c).Delete(ctx, "legacy", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the namespace to be deleted", func() (bool, error) {
		_, err := client.Namespaces(c).Get(ctx, "legacy")
		return api.IsNotFound(err), err
	})
	list, err := client.ConfigMaps(c, "legacy").List(ctx, client.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("configmaps left in the deleted namespace: %v %v", err, list)
	}
}
