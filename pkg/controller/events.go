package controller

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// EventRecorder writes Events about objects, best effort: a full queue drops
// events rather than slowing a controller, as client-go's recorder does.
type EventRecorder struct {
	c         *client.Client
	component string
	log       *slog.Logger
	queue     chan *api.Event
}

// NewEventRecorder returns a recorder for a component (e.g. "replicaset-controller").
func NewEventRecorder(c *client.Client, component string, log *slog.Logger) *EventRecorder {
	return &EventRecorder{c: c, component: component, log: log, queue: make(chan *api.Event, 1000)}
}

// ForComponent returns a recorder that shares the queue but names another component.
func (r *EventRecorder) ForComponent(component string) *EventRecorder {
	if r == nil {
		return nil
	}
	return &EventRecorder{c: r.c, component: component, log: r.log, queue: r.queue}
}

// Eventf records an event of type "Normal" or "Warning" about obj.
func (r *EventRecorder) Eventf(obj api.Object, kind, typ, reason, format string, args ...any) {
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
		Source:         api.EventSource{Component: r.component},
		FirstTimestamp: api.NewTime(now), LastTimestamp: api.NewTime(now),
	}
	select {
	case r.queue <- ev:
	default:
	}
}

// Run writes queued events until ctx ends.
func (r *EventRecorder) Run(ctx context.Context) {
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
