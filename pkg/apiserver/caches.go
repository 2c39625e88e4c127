package apiserver

import (
	"context"
	"errors"
	"fmt"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/client"
	"skiff/pkg/storage"
)

// storageListWatcher lets a client.Informer run on the apiserver's own storage,
// for the in-memory caches the apiserver keeps of objects it consults on every
// request (RBAC rules, namespaces, pods for the node authorizer).
type storageListWatcher[T api.Object] struct {
	store storage.Interface
}

func (s storageListWatcher[T]) List(ctx context.Context, opts client.ListOptions) (*api.List[T], error) {
	res, err := s.store.List(ctx, "", storage.ListOptions{Limit: opts.Limit, Continue: opts.Continue})
	if err != nil {
		return nil, cacheError(err)
	}
	out := &api.List[T]{ListMeta: api.ListMeta{ResourceVersion: fmt.Sprint(res.ResourceVersion), Continue: res.Continue}}
	for _, item := range res.Items {
		out.Items = append(out.Items, item.(T))
	}
	return out, nil
}

func (s storageListWatcher[T]) Watch(ctx context.Context, opts client.ListOptions) (<-chan client.Event[T], error) {
	events, err := s.store.Watch(ctx, "", storage.WatchOptions{ResourceVersion: opts.ResourceVersion, Bookmarks: opts.AllowWatchBookmarks})
	if err != nil {
		return nil, cacheError(err)
	}
	out := make(chan client.Event[T])
	go func() {
		defer close(out)
		for ev := range events {
			ce := client.Event[T]{Type: ev.Type, Err: cacheError(ev.Err)}
			if ev.Object != nil {
				ce.Object = ev.Object.(T)
			} else if ev.Type == api.Bookmark {
				var zero T
				ce.Object = newOf(zero)
				ce.Object.GetObjectMeta().ResourceVersion = fmt.Sprint(ev.ResourceVersion)
			}
			select {
			case out <- ce:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// cacheError gives informers the API errors they understand (410 for compacted).
func cacheError(err error) error {
	if errors.Is(err, storage.ErrCompacted) {
		return api.NewGone("too old resource version")
	}
	return err
}

// informerFor starts a cache of one resource on the server's storage.
func informerFor[T api.Object](ctx context.Context, s *Server, group, version, plural string) *client.Informer[T] {
	res, ok := s.registry.Lookup(group, version, plural)
	if !ok {
		panic("apiserver: no resource " + plural) // a programming error in New
	}
	inf := client.NewInformer[T](storageListWatcher[T]{store: s.stores[res]}, client.ListOptions{},
		s.log.With("cache", plural).WithGroup("cache"))
	go inf.Run(ctx)
	s.cachesSynced = append(s.cachesSynced, inf.WaitForSync)
	return inf
}

// newOf returns a new zero object of the pointer type T.
func newOf[T api.Object](zero T) T {
	return registry.NewLike(zero).(T)
}

// waitForCaches blocks until every cache has loaded, or ctx ends.
func (s *Server) waitForCaches(ctx context.Context) error {
	for _, wait := range s.cachesSynced {
		if !wait(ctx) {
			return fmt.Errorf("caches did not load: %w", ctx.Err())
		}
	}
	return nil
}
