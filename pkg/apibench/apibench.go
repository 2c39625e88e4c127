// Package apibench measures an apiserver the way the apiserver issue states its
// targets: creates per second and latency at two concurrencies, GET latency, the
// time to LIST 2,000 pods, and watch delivery latency. It talks plain HTTPS
// through pkg/client, with the same minimal Pod body for every server, so Skiff and
// a real kube-apiserver can be measured in one run.
package apibench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// Config says how much load to apply.
type Config struct {
	Pods        int   // pods per create phase (2,000)
	Concurrency []int // create phases (8 and 32)
	Gets        int   // GET requests (at concurrency 8)
	GetWorkers  int
	Lists       int // LIST repetitions of Pods pods
	Watches     int // creates observed through a watch (500)
}

// DefaultConfig is the load the issue names.
func DefaultConfig() Config {
	return Config{Pods: 2000, Concurrency: []int{8, 32}, Gets: 5000, GetWorkers: 8, Lists: 5, Watches: 500}
}

// Figure is one measured number.
type Figure struct {
	Name  string
	Value float64
	Unit  string
}

// Result is what one run against one server measured.
type Result struct {
	Target  string
	Figures []Figure
}

func (r *Result) add(name string, v float64, unit string) {
	r.Figures = append(r.Figures, Figure{name, v, unit})
}

// Run applies the load to the server c talks to. It works in its own namespaces
// and deletes them, and their pods, afterwards.
func Run(ctx context.Context, c *client.Client, target string, cfg Config) (*Result, error) {
	res := &Result{Target: target}
	run := fmt.Sprintf("apibench-%d", rand.IntN(1_000_000))
	var namespaces []string
	defer func() {
		cleanup, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, ns := range namespaces {
			client.Pods(c, ns).DeleteCollection(cleanup, client.ListOptions{})
			client.Namespaces(c).Delete(cleanup, ns, nil)
		}
	}()
	newNamespace := func(suffix string) (string, error) {
		name := run + "-" + suffix
		_, err := client.Namespaces(c).Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: name}})
		if err == nil {
			namespaces = append(namespaces, name)
		}
		return name, err
	}

	var listNS string
	for i, conc := range cfg.Concurrency {
		ns, err := newNamespace(fmt.Sprintf("c%d", conc))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			listNS = ns
		}
		lat, elapsed, err := createPods(ctx, c, ns, cfg.Pods, conc)
		if err != nil {
			return nil, fmt.Errorf("create at c=%d: %w", conc, err)
		}
		res.add(fmt.Sprintf("create_c%d_throughput", conc), float64(cfg.Pods)/elapsed.Seconds(), "creates/s")
		res.add(fmt.Sprintf("create_c%d_p50", conc), ms(Percentile(lat, 50)), "ms")
		res.add(fmt.Sprintf("create_c%d_p99", conc), ms(Percentile(lat, 99)), "ms")
	}

	lat, err := getPods(ctx, c, listNS, cfg.Pods, cfg.Gets, cfg.GetWorkers)
	if err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	res.add(fmt.Sprintf("get_c%d_p50", cfg.GetWorkers), ms(Percentile(lat, 50)), "ms")
	res.add(fmt.Sprintf("get_c%d_p99", cfg.GetWorkers), ms(Percentile(lat, 99)), "ms")

	lists, err := listPods(ctx, c, listNS, cfg.Pods, cfg.Lists)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	res.add(fmt.Sprintf("list_%d_pods_median", cfg.Pods), ms(Percentile(lists, 50)), "ms")

	ns, err := newNamespace("watch")
	if err != nil {
		return nil, err
	}
	wl, err := watchLatency(ctx, c, ns, cfg.Watches)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	res.add("watch_create_to_event_p50", ms(Percentile(wl, 50)), "ms")
	res.add("watch_create_to_event_p99", ms(Percentile(wl, 99)), "ms")
	return res, nil
}

// podBody is the minimal Pod every server gets.
func podBody(ns, name string) *api.Pod {
	return &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "apibench"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox:1.36"}}},
	}
}

func createPods(ctx context.Context, c *client.Client, ns string, n, workers int) ([]time.Duration, time.Duration, error) {
	pods := client.Pods(c, ns)
	start := time.Now()
	lat, err := timeParallel(n, workers, func(i int) error {
		_, err := pods.Create(ctx, podBody(ns, fmt.Sprintf("pod-%05d", i)))
		return err
	})
	return lat, time.Since(start), err
}

func getPods(ctx context.Context, c *client.Client, ns string, pods, n, workers int) ([]time.Duration, error) {
	return timeParallel(n, workers, func(int) error {
		var p api.Pod
		path := client.PodsGVR.Path(ns, fmt.Sprintf("pod-%05d", rand.IntN(pods)), "")
		return c.Do(ctx, client.Request{Method: http.MethodGet, Path: path, Out: &p})
	})
}

// timeParallel runs op(0) … op(n-1) on workers goroutines and returns how long
// each took; it stops at the first error.
func timeParallel(n, workers int, op func(i int) error) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := op(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	return lat, firstErr
}

// listPods times LISTs of the namespace until the whole response is read; it
// decodes the body afterwards, untimed, only to check the count.
func listPods(ctx context.Context, c *client.Client, ns string, want, n int) ([]time.Duration, error) {
	var lat []time.Duration
	for range n {
		t := time.Now()
		resp, err := c.Send(ctx, client.Request{Method: http.MethodGet, Path: client.PodsGVR.Path(ns, "", "")})
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t))
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("list answered %d: %.200s", resp.StatusCode, body)
		}
		var list api.List[api.PartialObjectMetadata]
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, err
		}
		if len(list.Items) != want {
			return nil, fmt.Errorf("listed %d pods, want %d", len(list.Items), want)
		}
	}
	return lat, nil
}

// watchLatency creates pods one at a time and measures from sending each create
// to receiving its ADDED event on a watch opened beforehand.
func watchLatency(ctx context.Context, c *client.Client, ns string, n int) ([]time.Duration, error) {
	pods := client.Pods(c, ns)
	list, err := pods.List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := pods.Watch(wctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	sent := map[string]time.Time{}
	received := make(chan time.Duration, n)
	go func() {
		for ev := range events {
			if ev.Type != api.Added {
				continue
			}
			now := time.Now()
			mu.Lock()
			t, ok := sent[ev.Object.Name]
			mu.Unlock()
			if ok {
				received <- now.Sub(t)
			}
		}
	}()
	var lat []time.Duration
	for i := range n {
		name := fmt.Sprintf("w-%05d", i)
		mu.Lock()
		sent[name] = time.Now()
		mu.Unlock()
		if _, err := pods.Create(ctx, podBody(ns, name)); err != nil {
			return nil, err
		}
		select {
		case d := <-received:
			lat = append(lat, d)
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("no watch event for %s within 30s", name)
		}
	}
	return lat, nil
}

// Percentile is the nearest-rank p-th percentile of d (0 for no samples).
func Percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
