package schedbench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// watcher feeds a tracker from a watch on the run's pods. If the server ends the
// stream it resumes from the last resourceVersion seen, and if that has expired
// it lists again, so a long run loses no binding.
type watcher struct {
	tr   *tracker
	done chan struct{} // closed when the watch has stopped; err is set then
	err  error
}

// startWatch watches pods from resourceVersion rv until ctx ends.
func startWatch(ctx context.Context, pods *client.Resource[*api.Pod], rv string, tr *tracker) *watcher {
	w := &watcher{tr: tr, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = w.run(ctx, pods, rv)
	}()
	return w
}

func (w *watcher) run(ctx context.Context, pods *client.Resource[*api.Pod], rv string) error {
	for ctx.Err() == nil {
		events, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch pods: %w", err)
		}
		got := 0
		for ev := range events {
			got++
			now := time.Now()
			switch ev.Type {
			case api.Error:
				if !api.IsGone(ev.Err) {
					if api.CodeOf(ev.Err) != 0 {
						return fmt.Errorf("watch pods: %w", ev.Err)
					}
					continue // the stream broke: resume from rv
				}
				list, err := pods.List(ctx, client.ListOptions{})
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("list pods after the watch expired: %w", err)
				}
				now = time.Now()
				for _, p := range list.Items {
					w.tr.observe(p, now)
				}
				rv = list.ResourceVersion
			case api.Deleted:
				w.tr.deleted(ev.Object.Name)
				rv = ev.Object.ResourceVersion
			case api.Bookmark:
				rv = ev.Object.ResourceVersion
			default:
				w.tr.observe(ev.Object, now)
				rv = ev.Object.ResourceVersion
			}
		}
		if got == 0 {
			// A stream that ends at once: do not spin on it.
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// wait waits for ready to close. It fails when ctx ends or the watch stops
// first, saying which problems the tracker has seen so far.
func (w *watcher) wait(ctx context.Context, ready <-chan struct{}) error {
	var err error
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-w.done:
		err = w.err
		if err == nil {
			err = errors.New("watch stopped")
		}
	}
	if problems, n := w.tr.trouble(); n > 0 {
		err = fmt.Errorf("%w (and %d problem(s): %s)", err, n, strings.Join(problems, "; "))
	}
	return err
}
