package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"skiff/e2e/framework"
)

// TestClientGoInformer: a client-go shared informer lists and watches pods on
// Skiff and sees creates, updates and deletes, in order.
func TestClientGoInformer(t *testing.T) {
	srv := framework.StartAPIServer(t)
	for _, contentType := range []string{"application/json", "application/vnd.kubernetes.protobuf"} {
		t.Run(contentType, func(t *testing.T) {
			cfg, err := clientcmd.BuildConfigFromFlags("", srv.Kubeconfig)
			if err != nil {
				t.Fatal(err)
			}
			cfg.ContentType = contentType
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			ns := fmt.Sprintf("informer-%d", time.Now().UnixNano()%100000)
			if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			// One pod exists before the informer starts: it arrives from the list.
			pods := cs.CoreV1().Pods(ns)
			if _, err := pods.Create(ctx, testPod("before"), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			var events []string
			record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
			factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
			inf := factory.Core().V1().Pods().Informer()
			inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
				AddFunc: func(obj any) { record("add " + obj.(*corev1.Pod).Name) },
				UpdateFunc: func(old, obj any) {
					p := obj.(*corev1.Pod)
					record(fmt.Sprintf("update %s tier=%s", p.Name, p.Labels["tier"]))
				},
				DeleteFunc: func(obj any) {
					if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
						obj = tomb.Obj
					}
					record("delete " + obj.(*corev1.Pod).Name)
				},
			})
			factory.Start(ctx.Done())
			if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
				t.Fatal("informer did not sync")
			}

			p, err := pods.Create(ctx, testPod("web"), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p.Labels = map[string]string{"tier": "front"}
			if _, err := pods.Update(ctx, p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := pods.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := pods.Delete(ctx, "before", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}

			want := []string{"add before", "add web", "update web tier=front", "delete web", "delete before"}
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				got := append([]string(nil), events...)
				mu.Unlock()
				if len(got) >= len(want) || time.Now().After(deadline) {
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("informer events (-want +got):\n%s", diff)
					}
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if items := inf.GetStore().List(); len(items) != 0 {
				t.Errorf("cache still holds %d pods after all were deleted", len(items))
			}
		})
	}
}

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
	}
}
