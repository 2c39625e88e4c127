package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/storage"
)

// minWatchTimeout is the shortest a watch lasts when the client sets no
// timeoutSeconds; each watch gets a random length between it and twice it, so
// clients reconnect spread out, as in Kubernetes.
const minWatchTimeout = 30 * time.Minute

// watch streams events as newline-separated JSON WatchEvents over one chunked
// response. Errors found before streaming are ordinary Status responses; later
// ones (a compacted resourceVersion) are an ERROR event, then the end.
func (c *call) watch(w http.ResponseWriter, r *http.Request) {
	f, err := negotiate(r, true)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	sel, err := c.parseSelection(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	q := r.URL.Query()
	bookmarks := q.Get("allowWatchBookmarks") == "true"
	opts := storage.WatchOptions{ResourceVersion: q.Get("resourceVersion"), Bookmarks: bookmarks, Predicate: sel.pred}
	if v := q.Get("sendInitialEvents"); v == "true" {
		var errs api.FieldErrors
		if !bookmarks {
			errs = append(errs, api.Forbidden(api.NewPath("allowWatchBookmarks"), "sendInitialEvents requires setting allowWatchBookmarks to true"))
		}
		if m := q.Get("resourceVersionMatch"); m != "NotOlderThan" {
			errs = append(errs, api.Forbidden(api.NewPath("resourceVersionMatch"), "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
		}
		if len(errs) > 0 {
			c.s.writeError(w, r, api.NewInvalid("ListOptions", "", errs), c.res)
			return
		}
		opts.SendInitialEvents = true
	}
	timeout := minWatchTimeout + time.Duration(rand.Int64N(int64(minWatchTimeout)))
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			c.s.writeError(w, r, api.NewBadRequest(fmt.Sprintf("timeoutSeconds %q must be a non-negative integer", v)), c.res)
			return
		}
		timeout = time.Duration(n) * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	events, err := c.store.Watch(ctx, sel.prefix, opts)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}

	c.s.metrics.watchers.WithLabelValues(c.res.Plural).Inc()
	defer c.s.metrics.watchers.WithLabelValues(c.res.Plural).Dec()
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	first := true
	for {
		var ev storage.Event
		var ok bool
		select {
		case <-c.s.stopping:
			return
		case <-ctx.Done():
			return
		case ev, ok = <-events:
			if !ok {
				return
			}
		}
		out := api.WatchEvent{Type: ev.Type}
		switch ev.Type {
		case api.Error:
			out.Object = c.s.toStatus(ev.Err, c.res, "").ErrStatus
		case api.Bookmark:
			if !bookmarks {
				continue
			}
			out.Object = c.bookmark(ev)
		default:
			out.Object = ev.Object
			if f == formatTable {
				t := c.table([]api.Object{ev.Object}, ev.Object.GetObjectMeta().ResourceVersion, "", r)
				if !first {
					// Only the first event carries the column definitions.
					t.ColumnDefinitions = nil
				}
				out.Object = t
				first = false
			}
		}
		if err := enc.Encode(out); err != nil {
			return
		}
		if ev.Type == api.Error {
			flush(flusher)
			return
		}
		if len(events) == 0 {
			flush(flusher)
		}
	}
}

func flush(f http.Flusher) {
	if f != nil {
		f.Flush()
	}
}

// bookmark is the object of a BOOKMARK event: an empty object of the kind with
// only a resourceVersion (and, after initial events, the end marker).
func (c *call) bookmark(ev storage.Event) api.Object {
	obj := c.res.NewObject()
	m := obj.GetObjectMeta()
	m.ResourceVersion = strconv.FormatUint(ev.ResourceVersion, 10)
	if ev.InitialEventsEnd {
		m.Annotations = map[string]string{api.InitialEventsEndAnnotation: "true"}
	}
	return obj
}
