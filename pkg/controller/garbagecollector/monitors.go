package garbagecollector

import (
	"context"
	"log/slog"
	"sort"
	"sync"

	"skiff/pkg/client"
	"skiff/pkg/controller/garbagecollector/metadata"
)

// ignoredResources are not watched (Kubernetes' default --gc-ignored-resources):
// nothing owns events, and there are many of them.
var ignoredResources = map[[2]string]bool{{"", "events"}: true, {"events.k8s.io", "events"}: true}

// watched reports whether the collector watches a resource: it must be able
// to list, watch, get and delete its objects.
func watched(r metadata.Resource) bool {
	return r.Supports("get", "list", "watch", "delete") && !ignoredResources[[2]string{r.Group, r.Resource}]
}

// monitors run one metadata informer per watched resource, and map kinds to
// resources for the objects ownerReferences name. Safe for concurrent use.
type monitors struct {
	c   *client.Client
	log *slog.Logger
	// handler returns the informer handler for a resource's objects.
	handler func(res metadata.Resource) client.Handler[*metadata.Object]

	mu      sync.Mutex
	running map[client.GVR]*monitor
	kinds   map[[2]string]metadata.Resource // group, kind
	// complete: the last discovery read every group.
	complete bool
	wg       sync.WaitGroup
}

type monitor struct {
	inf    *client.Informer[*metadata.Object]
	cancel context.CancelFunc
}

// update starts an informer, under ctx, for each watched resource in
// discovered that has none. If complete (discovery read every group), it also
// stops the informers of resources no longer served; the graph keeps their
// objects. It returns the resources started and stopped.
func (m *monitors) update(ctx context.Context, discovered []metadata.Resource, complete bool) (started, stopped []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if complete || m.kinds == nil {
		m.kinds = map[[2]string]metadata.Resource{} // what a complete discovery shows replaces what was known
	}
	if m.running == nil {
		m.running = map[client.GVR]*monitor{}
	}
	m.complete = complete
	want := map[client.GVR]metadata.Resource{}
	for _, r := range discovered {
		if r.Supports("get") {
			m.kinds[[2]string{r.Group, r.Kind}] = r
		}
		if watched(r) {
			want[r.GVR] = r
		}
	}
	for gvr, r := range want {
		if m.running[gvr] != nil {
			continue
		}
		mctx, cancel := context.WithCancel(ctx)
		inf := client.NewInformer(metadata.For(m.c, gvr, ""), client.ListOptions{}, m.log)
		inf.AddHandler(m.handler(r))
		m.running[gvr] = &monitor{inf: inf, cancel: cancel}
		m.wg.Go(func() { inf.Run(mctx) })
		started = append(started, r.String())
	}
	if complete {
		for gvr, mon := range m.running {
			if _, ok := want[gvr]; !ok {
				mon.cancel()
				delete(m.running, gvr)
				stopped = append(stopped, metadata.Resource{GVR: gvr}.String())
			}
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	return started, stopped
}

// wait returns once every informer started has stopped (its ctx ended).
func (m *monitors) wait() { m.wg.Wait() }

// synced reports whether the last discovery was complete and every running
// informer has listed once: only then does the graph know every dependent of
// an owner.
func (m *monitors) synced() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.complete {
		return false
	}
	for _, mon := range m.running {
		if !mon.inf.HasSynced() {
			return false
		}
	}
	return true
}

// resolve finds the resource of the objects of a kind, in any version.
func (m *monitors) resolve(apiVersion, kind string) (metadata.Resource, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.kinds[[2]string{metadata.GroupOf(apiVersion), kind}]
	return r, ok
}
