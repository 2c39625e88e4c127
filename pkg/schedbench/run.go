package schedbench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// run is one configuration being measured; its id names the namespace, labels
// the nodes and prefixes every object name.
type run struct {
	id  string
	cfg Config
}

func newRun(id string, cfg Config) *run { return &run{id: id, cfg: cfg} }

func (r *run) nodeName(i int) string { return fmt.Sprintf("%s-node-%05d", r.id, i) }
func (r *run) podName(i int) string  { return fmt.Sprintf("%s-pod-%05d", r.id, i) }
func (r *run) probeName() string     { return r.id + "-probe" }

// measure does everything but the cleanup: nodes, watch, probe, pods, verification.
func (r *run) measure(ctx context.Context, c *client.Client) (*measurement, error) {
	ns := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: r.id, Labels: map[string]string{RunLabel: r.id}}}
	if _, err := client.Namespaces(c).Create(ctx, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", r.id, err)
	}
	if err := waitServiceAccount(ctx, c, r.id); err != nil {
		return nil, err
	}
	nodeStart := time.Now()
	last, err := r.createNodes(ctx, c)
	if err != nil {
		return nil, err
	}
	nodeElapsed := time.Since(nodeStart)

	pods := client.Pods(c, r.id)
	list, err := pods.List(ctx, client.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	names := make([]string, r.cfg.Nodes)
	for i := range names {
		names[i] = r.nodeName(i)
	}
	podNames := make([]string, r.cfg.Pods)
	for i := range podNames {
		podNames[i] = r.podName(i)
	}
	tr := newTracker(podNames, names, r.probeName())
	wctx, stopWatch := context.WithCancel(ctx)
	w := startWatch(wctx, pods, list.ResourceVersion, tr)
	defer func() { stopWatch(); <-w.done }()

	// The probe is pinned to the node written last: once it is bound, the
	// scheduler is running and its node cache holds every node, so the clock
	// below measures scheduling, not start-up or a cache still filling.
	if _, err := pods.Create(ctx, r.probePod(last)); err != nil {
		return nil, fmt.Errorf("create probe pod: %w", err)
	}
	if err := w.wait(ctx, tr.probeBound); err != nil {
		return nil, fmt.Errorf("probe pod (pinned to node %s) not bound, is a scheduler running? %w", last, err)
	}

	start := time.Now()
	err = parallel(ctx, r.cfg.Pods, r.cfg.Workers, func(ctx context.Context, i int) error {
		tr.created(i, time.Now())
		if _, err := pods.Create(ctx, r.pod(i)); err != nil {
			return fmt.Errorf("create pod %s: %w", r.podName(i), err)
		}
		return nil
	})
	createElapsed := time.Since(start)
	if err != nil {
		return nil, err
	}
	if err := w.wait(ctx, tr.allBound); err != nil {
		return nil, fmt.Errorf("%d of %d pods bound: %w", tr.boundCount(), r.cfg.Pods, err)
	}
	stopWatch()
	<-w.done
	if err := r.verify(ctx, c, tr); err != nil {
		return nil, err
	}
	m := tr.measurement(start)
	m.createElapsed, m.nodeElapsed = createElapsed, nodeElapsed
	return m, nil
}

// waitServiceAccount waits for the namespace's default service account, which
// kube-apiserver's admission wants before it accepts a pod; a cluster that never
// makes one gets its chance to refuse the pods with its own message.
func waitServiceAccount(ctx context.Context, c *client.Client, ns string) error {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if _, err := client.ServiceAccounts(c, ns).Get(ctx, "default"); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// cleanup deletes the run's pods (at once: no node agent will confirm their
// end), nodes and namespace. Objects already gone are not an error.
func (r *run) cleanup(ctx context.Context, c *client.Client) error {
	q := url.Values{"gracePeriodSeconds": {"0"}}
	podsErr := c.Do(ctx, client.Request{Method: http.MethodDelete, Path: client.PodsGVR.Path(r.id, "", ""), Query: q})
	nodesErr := r.deleteNodes(ctx, c)
	nsErr := client.Namespaces(c).Delete(ctx, r.id, nil)
	var errs []error
	for _, e := range []struct {
		what string
		err  error
	}{{"pods", podsErr}, {"nodes", nodesErr}, {"namespace", nsErr}} {
		if e.err != nil && !api.IsNotFound(e.err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", e.what, e.err))
		}
	}
	return errors.Join(errs...)
}
