package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"skiff/pkg/api"
)

// GVR names a resource and where it lives in the API.
type GVR struct {
	Group, Version, Resource string
	Namespaced               bool
}

// Path returns the URL path of the collection, or of one object or subresource.
func (g GVR) Path(namespace, name, subresource string) string {
	p := "/api/" + g.Version
	if g.Group != "" {
		p = "/apis/" + g.Group + "/" + g.Version
	}
	if g.Namespaced && namespace != "" {
		p += "/namespaces/" + url.PathEscape(namespace)
	}
	p += "/" + g.Resource
	if name != "" {
		p += "/" + url.PathEscape(name)
		if subresource != "" {
			p += "/" + subresource
		}
	}
	return p
}

// ListOptions are the query parameters of list and watch calls.
type ListOptions struct {
	LabelSelector        string
	FieldSelector        string
	Limit                int64
	Continue             string
	ResourceVersion      string
	ResourceVersionMatch string
	TimeoutSeconds       *int64
	AllowWatchBookmarks  bool
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("labelSelector", o.LabelSelector)
	set("fieldSelector", o.FieldSelector)
	set("continue", o.Continue)
	set("resourceVersion", o.ResourceVersion)
	set("resourceVersionMatch", o.ResourceVersionMatch)
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.TimeoutSeconds != nil {
		q.Set("timeoutSeconds", strconv.FormatInt(*o.TimeoutSeconds, 10))
	}
	if o.AllowWatchBookmarks {
		q.Set("allowWatchBookmarks", "true")
	}
	return q
}

// Patch types.
const (
	MergePatch          = "application/merge-patch+json"
	JSONPatch           = "application/json-patch+json"
	StrategicMergePatch = "application/strategic-merge-patch+json"
)

// Resource is a typed client for one resource, optionally bound to a namespace.
type Resource[T api.Object] struct {
	c         *Client
	gvr       GVR
	namespace string
	newObj    func() T
}

// NewResource returns a typed client; newObj makes an empty object to decode into.
func NewResource[T api.Object](c *Client, gvr GVR, namespace string, newObj func() T) *Resource[T] {
	return &Resource[T]{c: c, gvr: gvr, namespace: namespace, newObj: newObj}
}

// GVR returns the resource this client talks to.
func (r *Resource[T]) GVR() GVR { return r.gvr }

// Namespace returns the same client bound to another namespace ("" means all).
func (r *Resource[T]) Namespace(ns string) *Resource[T] {
	cp := *r
	cp.namespace = ns
	return &cp
}

// nsOf picks the namespace for a write: the object's own, else the client's.
func (r *Resource[T]) nsOf(obj T) string {
	if ns := obj.GetObjectMeta().Namespace; ns != "" {
		return ns
	}
	return r.namespace
}

// Get reads one object.
func (r *Resource[T]) Get(ctx context.Context, name string) (T, error) {
	out := r.newObj()
	err := r.c.Do(ctx, Request{Method: http.MethodGet, Path: r.gvr.Path(r.namespace, name, ""), Out: out})
	return out, err
}

// GetSubresource reads a subresource (e.g. "status", "scale") into out.
func (r *Resource[T]) GetSubresource(ctx context.Context, name, subresource string, out any) error {
	return r.c.Do(ctx, Request{Method: http.MethodGet, Path: r.gvr.Path(r.namespace, name, subresource), Out: out})
}

// List reads a page of objects (all of them unless opts.Limit is set).
func (r *Resource[T]) List(ctx context.Context, opts ListOptions) (*api.List[T], error) {
	out := &api.List[T]{}
	err := r.c.Do(ctx, Request{Method: http.MethodGet, Path: r.gvr.Path(r.namespace, "", ""), Query: opts.query(), Out: out})
	return out, err
}

// Create creates obj and returns what the server stored.
func (r *Resource[T]) Create(ctx context.Context, obj T) (T, error) {
	out := r.newObj()
	err := r.c.Do(ctx, Request{Method: http.MethodPost, Path: r.gvr.Path(r.nsOf(obj), "", ""), Body: obj, Out: out})
	return out, err
}

// Update replaces obj; a stale resourceVersion fails with a 409 Conflict.
func (r *Resource[T]) Update(ctx context.Context, obj T) (T, error) {
	return r.put(ctx, obj, "")
}

// UpdateStatus replaces obj's status through the status subresource.
func (r *Resource[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	return r.put(ctx, obj, "status")
}

func (r *Resource[T]) put(ctx context.Context, obj T, sub string) (T, error) {
	out := r.newObj()
	name := obj.GetObjectMeta().Name
	err := r.c.Do(ctx, Request{Method: http.MethodPut, Path: r.gvr.Path(r.nsOf(obj), name, sub), Body: obj, Out: out})
	return out, err
}

// Patch applies a patch of type pt to the object or one of its subresources.
func (r *Resource[T]) Patch(ctx context.Context, name, pt string, data []byte, subresource string) (T, error) {
	out := r.newObj()
	err := r.c.Do(ctx, Request{Method: http.MethodPatch, Path: r.gvr.Path(r.namespace, name, subresource), Body: data, ContentType: pt, Out: out})
	return out, err
}

// Delete deletes one object; opts may be nil.
func (r *Resource[T]) Delete(ctx context.Context, name string, opts *api.DeleteOptions) error {
	req := Request{Method: http.MethodDelete, Path: r.gvr.Path(r.namespace, name, "")}
	if opts != nil {
		req.Body = opts
	}
	return r.c.Do(ctx, req)
}

// DeleteCollection deletes every object the options select.
func (r *Resource[T]) DeleteCollection(ctx context.Context, opts ListOptions) error {
	return r.c.Do(ctx, Request{Method: http.MethodDelete, Path: r.gvr.Path(r.namespace, "", ""), Query: opts.query()})
}

// Event is one watch event. For api.Error events Err holds the server's Status
// (a 410 means the resourceVersion is too old: list again).
type Event[T api.Object] struct {
	Type   string
	Object T
	Err    error
}

// Watch streams changes. The channel closes when ctx ends, the server ends the
// watch, or after an Error event.
func (r *Resource[T]) Watch(ctx context.Context, opts ListOptions) (<-chan Event[T], error) {
	q := opts.query()
	q.Set("watch", "1")
	body, err := r.c.Stream(ctx, Request{Method: http.MethodGet, Path: r.gvr.Path(r.namespace, "", ""), Query: q})
	if err != nil {
		return nil, err
	}
	ch := make(chan Event[T])
	go func() {
		defer close(ch)
		defer body.Close()
		dec := json.NewDecoder(body)
		for {
			var raw struct {
				Type   string          `json:"type"`
				Object json.RawMessage `json:"object"`
			}
			if err := dec.Decode(&raw); err != nil {
				if err != io.EOF && ctx.Err() == nil {
					send(ctx, ch, Event[T]{Type: api.Error, Err: err})
				}
				return
			}
			ev := Event[T]{Type: raw.Type}
			if raw.Type == api.Error {
				var st api.Status
				if err := json.Unmarshal(raw.Object, &st); err != nil {
					ev.Err = err
				} else {
					ev.Err = &api.StatusError{ErrStatus: st}
				}
				send(ctx, ch, ev)
				return
			}
			ev.Object = r.newObj()
			if err := json.Unmarshal(raw.Object, ev.Object); err != nil {
				send(ctx, ch, Event[T]{Type: api.Error, Err: err})
				return
			}
			if !send(ctx, ch, ev) {
				return
			}
		}
	}()
	return ch, nil
}

func send[E any](ctx context.Context, ch chan<- E, e E) bool {
	select {
	case ch <- e:
		return true
	case <-ctx.Done():
		return false
	}
}
