package apiserver

import (
	"context"
	"strconv"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission/resourcequota"
	"skiff/pkg/client"
	"skiff/pkg/storage"
)

// startQuotaController keeps quota usage current: it recomputes a namespace's
// quotas when one of them changes, when something in the namespace is deleted,
// when a pod finishes, and every QuotaResyncPeriod.
func (s *Server) startQuotaController() {
	ctl := resourcequota.NewController(s.lookups, s.lookups, s.lookups.QuotaNamespaces, s.log.With("controller", "resourcequota"))
	hasQuota := func(ns string) bool { return len(s.caches.quotas.ByIndex(byNamespace, ns)) > 0 }
	s.caches.quotas.AddHandler(client.Handler[*api.ResourceQuota]{
		OnAdd: func(q *api.ResourceQuota) { ctl.Enqueue(q.Namespace) },
		// Only a change of the limits, or a status that does not match them,
		// needs a recompute. Admission's own charges update the status too:
		// recomputing on those would list the namespace before the charged
		// object is stored and undo the charge, letting the next create past
		// the limit (as kube-controller-manager's quota controller, which
		// also ignores status-only updates).
		OnUpdate: func(old, q *api.ResourceQuota) {
			if !resourcequota.Equal(old.Spec.Hard, q.Spec.Hard) || !resourcequota.Equal(q.Spec.Hard, q.Status.Hard) {
				ctl.Enqueue(q.Namespace)
			}
		},
	})
	s.caches.pods.AddHandler(client.Handler[*api.Pod]{
		OnUpdate: func(old, p *api.Pod) {
			done := p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
			wasDone := old.Status.Phase == api.PodSucceeded || old.Status.Phase == api.PodFailed
			if done && !wasDone && hasQuota(p.Namespace) {
				ctl.Enqueue(p.Namespace)
			}
		},
		OnDelete: func(p *api.Pod) {
			if hasQuota(p.Namespace) {
				ctl.Enqueue(p.Namespace)
			}
		},
	})
	for _, res := range s.registry.All() {
		if res.Virtual || !res.Namespaced || res.Plural == "pods" || res.Plural == "resourcequotas" {
			continue
		}
		go watchDeletes(s.bg, s.stores[res], func(ns string) {
			if hasQuota(ns) {
				ctl.Enqueue(ns)
			}
		})
	}
	go ctl.Run(s.bg, s.opts.QuotaResyncPeriod)
}

// watchDeletes calls deleted with the namespace of every object deleted from
// store from now on, until ctx ends.
func watchDeletes(ctx context.Context, store storage.Interface, deleted func(namespace string)) {
	for ctx.Err() == nil {
		now, err := store.List(ctx, "", storage.ListOptions{Limit: 1})
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
		events, err := store.Watch(ctx, "", storage.WatchOptions{ResourceVersion: strconv.FormatUint(now.ResourceVersion, 10)})
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
		for ev := range events {
			if ev.Type == api.Deleted {
				deleted(ev.Object.GetObjectMeta().Namespace)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
