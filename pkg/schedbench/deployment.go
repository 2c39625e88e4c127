package schedbench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apibench"
	"skiff/pkg/client"
)

// DeploymentConfig is the controller benchmark: a Deployment scaled from 0 to
// Replicas on Nodes simulated Node objects, with the controller-manager and a
// scheduler running.
type DeploymentConfig struct {
	Nodes, Replicas int
	Timeout         time.Duration
	// Loaded is called once every pod is bound, before cleanup (the command
	// reads the controller-manager's memory there).
	Loaded func() []apibench.Figure
}

// RunDeployment measures how long a Deployment scaled from 0 to cfg.Replicas
// takes until all its pods exist, and until all are bound.
func RunDeployment(ctx context.Context, c *client.Client, target string, cfg DeploymentConfig) (res *apibench.Result, err error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	r := newRun(fmt.Sprintf("db-%06d", rand.IntN(1_000_000)), Config{Size: Size{Nodes: cfg.Nodes, Pods: cfg.Replicas}}.withDefaults())
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		// The Deployment and its ReplicaSets go first, so nothing recreates the pods.
		q := url.Values{"propagationPolicy": {"Orphan"}}
		c.Do(cctx, client.Request{Method: http.MethodDelete, Path: client.DeploymentsGVR.Path(r.id, "web", ""), Query: q})
		c.Do(cctx, client.Request{Method: http.MethodDelete, Path: client.ReplicaSetsGVR.Path(r.id, "", ""), Query: q})
		if cerr := r.cleanup(cctx, c); cerr != nil {
			res, err = nil, errors.Join(err, fmt.Errorf("cleanup of %s: %w", r.id, cerr))
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	ns := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: r.id, Labels: map[string]string{RunLabel: r.id}}}
	if _, err := client.Namespaces(c).Create(ctx, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", r.id, err)
	}
	if err := waitServiceAccount(ctx, c, r.id); err != nil {
		return nil, err
	}
	if _, err := r.createNodes(ctx, c); err != nil {
		return nil, err
	}
	zero := int32(0)
	tpl := r.basePod("")
	d := &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: r.id},
		Spec: api.DeploymentSpec{
			Replicas: &zero,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: tpl.Spec},
		},
	}
	if _, err := client.Deployments(c, r.id).Create(ctx, d); err != nil {
		return nil, fmt.Errorf("create deployment: %w", err)
	}

	// Count pods that exist and that are bound, by watch.
	pods := client.Pods(c, r.id)
	list, err := pods.List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	events, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	seen, bound := map[string]bool{}, map[string]bool{}
	var allExist, allBound time.Time
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		for ev := range events {
			if ev.Object == nil {
				continue
			}
			mu.Lock()
			seen[ev.Object.Name] = true
			if ev.Object.Spec.NodeName != "" {
				bound[ev.Object.Name] = true
			}
			if allExist.IsZero() && len(seen) >= cfg.Replicas {
				allExist = time.Now()
			}
			finished := len(bound) >= cfg.Replicas
			if finished && allBound.IsZero() {
				allBound = time.Now()
			}
			mu.Unlock()
			if finished {
				return
			}
		}
	}()
	scale := fmt.Sprintf(`{"spec":{"replicas":%d}}`, cfg.Replicas)
	if _, err := client.Deployments(c, r.id).Patch(ctx, "web", "application/merge-patch+json", []byte(scale), ""); err != nil {
		return nil, fmt.Errorf("scale the deployment: %w", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("%d of %d pods exist and %d are bound after %s: %w", len(seen), cfg.Replicas, len(bound), time.Since(start).Round(time.Second), ctx.Err())
	}
	name := fmt.Sprintf("deployment_n%d_r%d", cfg.Nodes, cfg.Replicas)
	res = &apibench.Result{Target: target, Figures: []apibench.Figure{
		{Name: name + "_all_pods_exist_s", Value: allExist.Sub(start).Seconds(), Unit: "s"},
		{Name: name + "_all_pods_bound_s", Value: allBound.Sub(start).Seconds(), Unit: "s"},
		{Name: name + "_pods_per_s", Value: float64(cfg.Replicas) / allBound.Sub(start).Seconds(), Unit: "pods/s"},
	}}
	if cfg.Loaded != nil {
		res.Figures = append(res.Figures, cfg.Loaded()...)
	}
	return res, nil
}
