package schedbench_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apibench"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/schedbench"
)

// pickFunc chooses a node for the n-th pod the fake scheduler binds, from the
// run's nodes in name order.
type pickFunc func(pod *api.Pod, nodes []string, n int) string

func roundRobin(_ *api.Pod, nodes []string, n int) string { return nodes[n%len(nodes)] }

// startFakeScheduler binds every pending pod, once: to the node its hostname
// nodeSelector names, else to the node pick chooses among its run's nodes. It
// stops when the test ends.
func startFakeScheduler(t *testing.T, c *client.Client, pick pickFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pods := client.Pods(c, "")
	list, err := pods.List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	events, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		bound := map[string]bool{}
		n := 0
		for ev := range events {
			p := ev.Object
			if ev.Type == api.Error || ev.Type == api.Deleted || p.Spec.NodeName != "" || bound[p.Namespace+"/"+p.Name] {
				continue
			}
			node := p.Spec.NodeSelector[schedbench.HostnameLabel]
			if node == "" {
				// The run's namespace is its id, and its nodes carry it as a label.
				nodes, err := client.Nodes(c).List(ctx, client.ListOptions{LabelSelector: schedbench.RunLabel + "=" + p.Namespace})
				if err != nil || len(nodes.Items) == 0 {
					t.Errorf("fake scheduler: nodes of run %s: %v (%d)", p.Namespace, err, len(nodes.Items))
					return
				}
				var names []string
				for _, nd := range nodes.Items {
					names = append(names, nd.Name)
				}
				node = pick(p, names, n)
				n++
			}
			b := &api.Binding{ObjectMeta: api.ObjectMeta{Name: p.Name, Namespace: p.Namespace}, Target: api.ObjectReference{Kind: "Node", Name: node}}
			if err := client.Bind(ctx, c, b); err != nil {
				if ctx.Err() == nil {
					t.Errorf("fake scheduler: bind %s to %s: %v", p.Name, node, err)
				}
				return
			}
			bound[p.Namespace+"/"+p.Name] = true
		}
	})
}

// assertCleanedUp checks that no benchmark node or pod is left.
func assertCleanedUp(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	nodes, err := client.Nodes(c).List(ctx, client.ListOptions{LabelSelector: schedbench.RunLabel})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 0 {
		t.Errorf("%d nodes left after the run, first %s", len(nodes.Items), nodes.Items[0].Name)
	}
	pods, err := client.Pods(c, "").List(ctx, client.ListOptions{LabelSelector: "app=schedbench"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("%d pods left after the run, first %s/%s", len(pods.Items), pods.Items[0].Namespace, pods.Items[0].Name)
	}
}

func TestRun(t *testing.T) {
	srv := apiservertest.Start(t)
	c := srv.Client
	ctx := context.Background()

	t.Run("measures every binding", func(t *testing.T) {
		startFakeScheduler(t, c, roundRobin)
		var loaded atomic.Int32
		cfg := schedbench.Config{Size: schedbench.Size{Nodes: 5, Pods: 50}, Timeout: time.Minute,
			Loaded: func() []apibench.Figure {
				loaded.Add(1)
				return []apibench.Figure{{Name: "extra", Value: 1, Unit: "MiB"}}
			}}
		res, err := schedbench.Run(ctx, c, "skiff", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Target != "skiff" {
			t.Errorf("target %q, want skiff", res.Target)
		}
		if n := loaded.Load(); n != 1 {
			t.Errorf("Loaded called %d times, want once", n)
		}
		got := map[string]float64{}
		var names []string
		for _, f := range res.Figures {
			got[f.Name] = f.Value
			names = append(names, f.Name)
		}
		want := []string{"sched_n5_m50_pods_per_s", "sched_n5_m50_first_bind_ms", "sched_n5_m50_p50_ms",
			"sched_n5_m50_p99_ms", "sched_n5_m50_creates_per_s", "sched_n5_m50_node_creates_per_s", "extra"}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Errorf("figures %v, want %v", names, want)
		}
		if got["sched_n5_m50_pods_per_s"] <= 0 || got["sched_n5_m50_p50_ms"] <= 0 {
			t.Errorf("zero rate or latency: %v", got)
		}
		if got["sched_n5_m50_p99_ms"] < got["sched_n5_m50_p50_ms"] {
			t.Errorf("p99 %v below p50 %v", got["sched_n5_m50_p99_ms"], got["sched_n5_m50_p50_ms"])
		}
		assertCleanedUp(t, c)
	})

	t.Run("binding to a node that is not the run's fails", func(t *testing.T) {
		startFakeScheduler(t, c, func(p *api.Pod, nodes []string, n int) string {
			if strings.HasSuffix(p.Name, "-pod-00007") {
				return "ghost"
			}
			return roundRobin(p, nodes, n)
		})
		_, err := schedbench.Run(ctx, c, "skiff", schedbench.Config{Size: schedbench.Size{Nodes: 5, Pods: 50}, Timeout: time.Minute})
		t.Logf("Run: %v", err)
		if !errors.Is(err, schedbench.ErrVerify) || !strings.Contains(err.Error(), "ghost") {
			t.Errorf("err = %v, want ErrVerify naming node ghost", err)
		}
		assertCleanedUp(t, c)
	})

	t.Run("binding beyond a node's capacity fails", func(t *testing.T) {
		startFakeScheduler(t, c, func(_ *api.Pod, nodes []string, _ int) string { return nodes[0] })
		_, err := schedbench.Run(ctx, c, "skiff", schedbench.Config{Size: schedbench.Size{Nodes: 2, Pods: 115}, Timeout: time.Minute})
		t.Logf("Run: %v", err)
		if !errors.Is(err, schedbench.ErrVerify) || !strings.Contains(err.Error(), "room for 110") {
			t.Errorf("err = %v, want ErrVerify about a full node", err)
		}
		assertCleanedUp(t, c)
	})

	t.Run("without a scheduler it times out", func(t *testing.T) {
		start := time.Now()
		_, err := schedbench.Run(ctx, c, "skiff", schedbench.Config{Size: schedbench.Size{Nodes: 3, Pods: 5}, Timeout: 3 * time.Second})
		t.Logf("Run: %v", err)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "probe pod") {
			t.Errorf("err = %v, want a deadline waiting for the probe pod", err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("took %v to give up after a 3s timeout", d)
		}
		assertCleanedUp(t, c)
	})
}
