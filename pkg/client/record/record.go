// Package record writes Events about objects for components (controllers,
// the node agent), best effort, as client-go's tools/record does.
package record

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// Recorder writes Events about objects, best effort: a full queue drops
// events rather than slowing its component, as client-go's recorder does.
type Recorder struct {
	c      *client.Client
	source api.EventSource
	log    *slog.Logger
	queue  chan *api.Event
}

// New returns a recorder for a component, e.g. {Component:
// "controller-manager"}, or {Component: "nodeagent", Host: <node>}. Call Run.
func New(c *client.Client, source api.EventSource, log *slog.Logger) *Recorder {
	return &Recorder{c: c, source: source, log: log, queue: make(chan *api.Event, 1000)}
}

// ForComponent returns a recorder that shares the queue but names another component.
func (r *Recorder) ForComponent(component string) *Recorder {
	if r == nil {
		return nil
	}
	src := r.source
	src.Component = component
	return &Recorder{c: r.c, source: src, log: r.log, queue: r.queue}
}

// Eventf records an event of type "Normal" or "Warning" about obj.
func (r *Recorder) Eventf(obj api.Object, kind, typ, reason, format string, args ...any) {
	if r == nil {
		return
	}
	m := obj.GetObjectMeta()
	now := time.Now()
	ns := m.Namespace
	if ns == "" {
		ns = api.NamespaceDefault
	}
	ev := &api.Event{
		ObjectMeta:     api.ObjectMeta{Name: fmt.Sprintf("%s.%x", m.Name, now.UnixNano()), Namespace: ns},
		InvolvedObject: api.ObjectReference{Kind: kind, Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion},
		Reason:         reason, Message: fmt.Sprintf(format, args...), Type: typ, Count: 1,
		Source:         r.source,
		FirstTimestamp: api.NewTime(now), LastTimestamp: api.NewTime(now),
	}
	select {
	case r.queue <- ev:
	default:
	}
}

// Run writes queued events until ctx ends.
func (r *Recorder) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.queue:
			if _, err := client.Events(r.c, ev.Namespace).Create(ctx, ev); err != nil && ctx.Err() == nil {
				r.log.Debug("could not record an event", "reason", ev.Reason, "object", ev.InvolvedObject.Name, "err", err)
			}
		}
	}
}
