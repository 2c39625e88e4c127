package client

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"skiff/pkg/api"
)

// Handler receives an informer's notifications. Handlers run on the informer's
// goroutine, in the order changes happened: they should only enqueue work. The
// objects are the cache's own; copy them (api.DeepCopy) before changing them.
type Handler[T api.Object] struct {
	OnAdd    func(obj T)
	OnUpdate func(old, obj T)
	OnDelete func(obj T)
}

// IndexFunc returns the index values of an object, e.g. its node name.
type IndexFunc[T api.Object] func(obj T) []string

// ListWatcher is where an informer gets its objects: a Resource over HTTPS, or
// (inside the apiserver) its own storage.
type ListWatcher[T api.Object] interface {
	List(ctx context.Context, opts ListOptions) (*api.List[T], error)
	Watch(ctx context.Context, opts ListOptions) (<-chan Event[T], error)
}

var _ ListWatcher[*api.Pod] = (*Resource[*api.Pod])(nil)

// Informer keeps a local cache of one resource current: it lists, then watches from
// the list's resourceVersion, resumes a dropped watch where it left off, and lists
// again when the server says that resourceVersion is too old (410).
type Informer[T api.Object] struct {
	lw   ListWatcher[T]
	opts ListOptions
	log  *slog.Logger

	mu       sync.RWMutex
	items    map[string]T
	indexers map[string]IndexFunc[T]
	indexes  map[string]map[string]map[string]struct{} // index name → value → keys
	handlers []Handler[T]
	synced   atomic.Bool
	syncedCh chan struct{}
	once     sync.Once
}

// NewInformer returns an informer for the objects lw and opts select. Call Run.
// lw is usually a *Resource.
func NewInformer[T api.Object](lw ListWatcher[T], opts ListOptions, log *slog.Logger) *Informer[T] {
	if log == nil {
		log = slog.Default()
	}
	name := "objects"
	if r, ok := lw.(*Resource[T]); ok {
		name = r.gvr.Resource
	}
	return &Informer[T]{
		lw: lw, opts: opts, log: log.With("informer", name),
		items: map[string]T{}, indexers: map[string]IndexFunc[T]{},
		indexes: map[string]map[string]map[string]struct{}{}, syncedCh: make(chan struct{}),
	}
}

// KeyOf returns the cache key of an object: "namespace/name", or "name".
func KeyOf(obj api.Object) string {
	m := obj.GetObjectMeta()
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// AddHandler registers h. Call it before Run.
func (inf *Informer[T]) AddHandler(h Handler[T]) {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	inf.handlers = append(inf.handlers, h)
}

// AddIndex adds a named index. Call it before Run.
func (inf *Informer[T]) AddIndex(name string, fn IndexFunc[T]) {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	inf.indexers[name] = fn
	inf.indexes[name] = map[string]map[string]struct{}{}
}

// HasSynced reports whether the first list has been loaded.
func (inf *Informer[T]) HasSynced() bool { return inf.synced.Load() }

// WaitForSync blocks until the first list has been loaded or ctx ends.
func (inf *Informer[T]) WaitForSync(ctx context.Context) bool {
	select {
	case <-inf.syncedCh:
		return true
	case <-ctx.Done():
		return false
	}
}

// Get returns the cached object with key.
func (inf *Informer[T]) Get(key string) (T, bool) {
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	obj, ok := inf.items[key]
	return obj, ok
}

// List returns every cached object, sorted by key.
func (inf *Informer[T]) List() []T {
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	keys := make([]string, 0, len(inf.items))
	for k := range inf.items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = inf.items[k]
	}
	return out
}

// ByIndex returns the cached objects whose index name has value, sorted by key.
func (inf *Informer[T]) ByIndex(name, value string) []T {
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	keys := make([]string, 0)
	for k := range inf.indexes[name][value] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = inf.items[k]
	}
	return out
}

// Run lists and watches until ctx ends.
func (inf *Informer[T]) Run(ctx context.Context) {
	backoff := newBackoff(100*time.Millisecond, 30*time.Second)
	for ctx.Err() == nil {
		rv, err := inf.relist(ctx)
		if err != nil {
			if ctx.Err() == nil {
				inf.log.Warn("list failed", "err", err)
				backoff.wait(ctx)
			}
			continue
		}
		backoff.reset()
		inf.once.Do(func() { inf.synced.Store(true); close(inf.syncedCh) })
		// Watch until the server says our resourceVersion is gone.
		for ctx.Err() == nil {
			var gone bool
			rv, gone, err = inf.watch(ctx, rv)
			if gone {
				break
			}
			if err != nil && ctx.Err() == nil {
				inf.log.Warn("watch failed; resuming", "err", err, "resourceVersion", rv)
				backoff.wait(ctx)
			} else {
				backoff.reset()
			}
		}
	}
}

// relist loads the full list in pages and replaces the cache, notifying handlers
// of the differences.
func (inf *Informer[T]) relist(ctx context.Context) (string, error) {
	opts := inf.opts
	opts.Limit = 500
	fresh := map[string]T{}
	var rv string
	for {
		list, err := inf.lw.List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, obj := range list.Items {
			fresh[KeyOf(obj)] = obj
		}
		rv = list.ResourceVersion
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	inf.mu.Lock()
	old := inf.items
	inf.mu.Unlock()
	for k, obj := range old {
		if _, ok := fresh[k]; !ok {
			inf.apply(api.Deleted, obj)
		}
	}
	keys := make([]string, 0, len(fresh))
	for k := range fresh {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		obj := fresh[k]
		if prev, ok := old[k]; ok && prev.GetObjectMeta().ResourceVersion == obj.GetObjectMeta().ResourceVersion {
			continue
		}
		inf.apply(api.Modified, obj)
	}
	return rv, nil
}

// watch follows changes from rv and returns the last resourceVersion seen; gone
// reports a 410.
func (inf *Informer[T]) watch(ctx context.Context, rv string) (string, bool, error) {
	opts := inf.opts
	opts.ResourceVersion = rv
	opts.AllowWatchBookmarks = true
	timeout := int64(300 + time.Now().UnixNano()%300)
	opts.TimeoutSeconds = &timeout
	events, err := inf.lw.Watch(ctx, opts)
	if err != nil {
		return rv, api.IsGone(err), err
	}
	for ev := range events {
		switch ev.Type {
		case api.Error:
			return rv, api.IsGone(ev.Err), ev.Err
		case api.Bookmark:
		default:
			inf.apply(ev.Type, ev.Object)
		}
		if v := ev.Object.GetObjectMeta().ResourceVersion; v != "" {
			rv = v
		}
	}
	return rv, false, nil
}

// apply updates the cache and calls handlers. Modified of an unknown key is an add.
func (inf *Informer[T]) apply(typ string, obj T) {
	key := KeyOf(obj)
	inf.mu.Lock()
	old, existed := inf.items[key]
	if existed {
		inf.unindex(key, old)
	}
	if typ == api.Deleted {
		delete(inf.items, key)
	} else {
		if existed && olderThan(obj, old) {
			// A replayed event older than what we hold: keep ours.
			inf.index(key, old)
			inf.mu.Unlock()
			return
		}
		inf.items[key] = obj
		inf.index(key, obj)
	}
	handlers := inf.handlers
	inf.mu.Unlock()

	for _, h := range handlers {
		switch {
		case typ == api.Deleted:
			if existed && h.OnDelete != nil {
				h.OnDelete(old)
			}
		case existed:
			if h.OnUpdate != nil {
				h.OnUpdate(old, obj)
			}
		default:
			if h.OnAdd != nil {
				h.OnAdd(obj)
			}
		}
	}
}

func olderThan(a, b api.Object) bool {
	ra, err1 := strconv.ParseUint(a.GetObjectMeta().ResourceVersion, 10, 64)
	rb, err2 := strconv.ParseUint(b.GetObjectMeta().ResourceVersion, 10, 64)
	return err1 == nil && err2 == nil && ra < rb
}

func (inf *Informer[T]) index(key string, obj T) {
	for name, fn := range inf.indexers {
		for _, v := range fn(obj) {
			set := inf.indexes[name][v]
			if set == nil {
				set = map[string]struct{}{}
				inf.indexes[name][v] = set
			}
			set[key] = struct{}{}
		}
	}
}

func (inf *Informer[T]) unindex(key string, obj T) {
	for name, fn := range inf.indexers {
		for _, v := range fn(obj) {
			delete(inf.indexes[name][v], key)
			if len(inf.indexes[name][v]) == 0 {
				delete(inf.indexes[name], v)
			}
		}
	}
}

// backoff is a capped exponential delay between retries.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(min, max time.Duration) *backoff { return &backoff{min: min, max: max, cur: min} }

func (b *backoff) reset() { b.cur = b.min }

func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.cur)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	b.cur *= 2
	if b.cur > b.max {
		b.cur = b.max
	}
}
