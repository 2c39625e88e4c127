package controllertest

import (
	"context"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// EventsAbout lists the events in namespace whose involved object is named
// name (any kind), oldest first; a reason other than "" keeps only events
// with that reason. Controllers record events asynchronously, so wait for
// them with WaitFor.
func EventsAbout(ctx context.Context, c *client.Client, namespace, name, reason string) ([]*api.Event, error) {
	list, err := client.Events(c, namespace).List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []*api.Event
	for _, ev := range list.Items {
		if ev.InvolvedObject.Name == name && (reason == "" || ev.Reason == reason) {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b *api.Event) int { return a.FirstTimestamp.Compare(b.FirstTimestamp.Time) })
	return out, nil
}
