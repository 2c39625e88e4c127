package etcd

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"skiff/pkg/api"
	"skiff/pkg/storage"
)

// watchBuffer is how many events may wait for a slow reader before the watch stops
// reading from etcd (etcd then buffers on its side).
const watchBuffer = 100

// Watch implements storage.Interface. A prefix that is empty or ends in "/" watches
// a range; anything else watches one key.
func (s *Store) Watch(ctx context.Context, prefix string, opts storage.WatchOptions) (<-chan storage.Event, error) {
	startRev, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	initial := startRev == 0 || opts.SendInitialEvents
	key := s.prefix + prefix
	isRange := prefix == "" || strings.HasSuffix(prefix, "/")

	out := make(chan storage.Event, watchBuffer)
	w := &watcher{store: s, out: out, pred: opts.Predicate}
	go func() {
		defer close(out)
		if initial {
			rev, ok := w.sendInitial(ctx, prefix, isRange, opts.SendInitialEvents)
			if !ok {
				return
			}
			startRev = rev
		}
		watchOpts := []clientv3.OpOption{clientv3.WithRev(startRev + 1), clientv3.WithPrevKV()}
		if isRange {
			watchOpts = append(watchOpts, clientv3.WithPrefix())
		}
		if opts.Bookmarks {
			watchOpts = append(watchOpts, clientv3.WithProgressNotify())
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		defer cancel()
		for resp := range s.client.Watch(wctx, key, watchOpts...) {
			if err := resp.Err(); err != nil {
				if resp.CompactRevision != 0 || errors.Is(err, rpctypes.ErrCompacted) {
					err = storage.ErrCompacted
				}
				w.send(ctx, storage.Event{Type: api.Error, Err: err})
				return
			}
			if resp.IsProgressNotify() {
				if opts.Bookmarks && !w.send(ctx, storage.Event{Type: api.Bookmark, ResourceVersion: uint64(resp.Header.Revision)}) {
					return
				}
				continue
			}
			for _, ev := range resp.Events {
				e, ok, err := w.convert(ev)
				if err != nil {
					w.send(ctx, storage.Event{Type: api.Error, Err: err})
					return
				}
				if ok && !w.send(ctx, e) {
					return
				}
			}
		}
	}()
	return out, nil
}

type watcher struct {
	store *Store
	out   chan<- storage.Event
	pred  storage.Predicate
}

// send delivers e unless ctx ends first.
func (w *watcher) send(ctx context.Context, e storage.Event) bool {
	select {
	case w.out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// sendInitial sends the current state as ADDED events and returns the revision it
// was read at.
func (w *watcher) sendInitial(ctx context.Context, prefix string, isRange, endBookmark bool) (int64, bool) {
	var items []api.Object
	var rev uint64
	if isRange {
		res, err := w.store.List(ctx, prefix, storage.ListOptions{Predicate: w.pred})
		if err != nil {
			w.send(ctx, storage.Event{Type: api.Error, Err: err})
			return 0, false
		}
		items, rev = res.Items, res.ResourceVersion
	} else {
		resp, err := w.store.client.Get(ctx, w.store.prefix+prefix)
		if err != nil {
			w.send(ctx, storage.Event{Type: api.Error, Err: translate(err)})
			return 0, false
		}
		rev = uint64(resp.Header.Revision)
		for _, kv := range resp.Kvs {
			obj, err := w.store.decode(kv.Value, kv.ModRevision)
			if err != nil {
				w.send(ctx, storage.Event{Type: api.Error, Err: err})
				return 0, false
			}
			if w.pred.Matches(obj) {
				items = append(items, obj)
			}
		}
	}
	for _, obj := range items {
		if !w.send(ctx, storage.Event{Type: api.Added, Object: obj, ResourceVersion: rvOf(obj)}) {
			return 0, false
		}
	}
	if endBookmark && !w.send(ctx, storage.Event{Type: api.Bookmark, ResourceVersion: rev, InitialEventsEnd: true}) {
		return 0, false
	}
	return int64(rev), true
}

// convert turns an etcd event into a watch event, as the predicate sees it: an
// object that starts matching is ADDED, one that stops matching is DELETED.
func (w *watcher) convert(ev *clientv3.Event) (storage.Event, bool, error) {
	rev := ev.Kv.ModRevision
	var prev api.Object
	if ev.PrevKv != nil && (ev.Type == mvccpb.DELETE || w.pred != nil) {
		var err error
		if prev, err = w.store.decode(ev.PrevKv.Value, rev); err != nil {
			return storage.Event{}, false, err
		}
	}
	if ev.Type == mvccpb.DELETE {
		if prev == nil {
			prev = w.store.objectForKey(string(ev.Kv.Key))
			prev.GetObjectMeta().ResourceVersion = itoa(rev)
		}
		return storage.Event{Type: api.Deleted, Object: prev, ResourceVersion: uint64(rev)}, w.pred.Matches(prev), nil
	}
	cur, err := w.store.decode(ev.Kv.Value, rev)
	if err != nil {
		return storage.Event{}, false, err
	}
	curOK := w.pred.Matches(cur)
	existed := ev.PrevKv != nil && !ev.IsCreate()
	prevOK := existed && (w.pred == nil || (prev != nil && w.pred.Matches(prev)))
	switch {
	case curOK && prevOK:
		return storage.Event{Type: api.Modified, Object: cur, ResourceVersion: uint64(rev)}, true, nil
	case curOK:
		return storage.Event{Type: api.Added, Object: cur, ResourceVersion: uint64(rev)}, true, nil
	case prevOK:
		return storage.Event{Type: api.Deleted, Object: prev, ResourceVersion: uint64(rev)}, true, nil
	}
	return storage.Event{}, false, nil
}
