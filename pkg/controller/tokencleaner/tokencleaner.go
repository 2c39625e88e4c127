// Package tokencleaner deletes bootstrap-token Secrets once their expiration
// has passed (Kubernetes' tokencleaner controller). The authenticator already
// refuses expired tokens; this keeps kube-system tidy and makes `skiffctl
// token list` show only live tokens.
package tokencleaner

import (
	"context"
	"log/slog"
	"time"

	"skiff/pkg/api"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "tokencleaner"

// Controller is the token cleaner.
type Controller struct {
	c       *client.Client
	log     *slog.Logger
	wlog    *slog.Logger
	metrics *controller.Metrics
	tokens  *client.Informer[*api.Secret]
	queue   *workqueue.Queue[string]
	now     func() time.Time
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller and registers its informer handler; call it
// before the informers start.
func New(c *controller.Context) *Controller {
	ctl := &Controller{
		c: c.Client, log: c.Log.With("controller", Name), wlog: c.Log, metrics: c.Metrics,
		tokens: c.Informers.BootstrapTokens(), queue: controller.NewQueue(Name), now: time.Now,
	}
	enqueue := func(s *api.Secret) { ctl.queue.Add(controller.KeyFunc(s)) }
	ctl.tokens.AddHandler(client.Handler[*api.Secret]{OnAdd: enqueue, OnUpdate: func(_, s *api.Secret) { enqueue(s) }})
	return ctl
}

// Name implements controller.Controller.
func (*Controller) Name() string { return Name }

// Run deletes expired tokens until ctx ends.
func (ctl *Controller) Run(ctx context.Context) error {
	controller.Worker(ctx, Name, ctl.queue, 1, ctl.metrics, ctl.wlog, ctl.reconcile)
	return nil
}

// reconcile deletes the Secret if its token has expired, or looks again when
// it will have.
func (ctl *Controller) reconcile(ctx context.Context, key string) error {
	s, ok := ctl.tokens.Get(key)
	if !ok || s.DeletionTimestamp != nil {
		return nil
	}
	now := ctl.now()
	if !bt.Expired(s, now) {
		if exp, ok := bt.Expiration(s); ok {
			ctl.queue.AddAfter(key, exp.Sub(now))
		}
		return nil
	}
	uid := s.UID
	err := client.Secrets(ctl.c, s.Namespace).Delete(ctx, s.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	if err != nil && !api.IsNotFound(err) && !api.IsConflict(err) {
		return err
	}
	ctl.log.Info("deleted an expired bootstrap token", "secret", key, "expiration", string(s.Data[bt.ExpirationKey]))
	return nil
}
