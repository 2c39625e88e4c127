// Package bootstrapsigner signs the cluster-info ConfigMap in kube-public with
// every bootstrap token marked usage-bootstrap-signing=true: for each it keeps
// the key jws-kubeconfig-<token id> holding a detached JWS of the kubeconfig,
// and removes the keys of tokens that are gone, expired or no longer signing.
// A joining node that holds a token checks that signature before trusting the
// CA in cluster-info. It is Kubernetes' bootstrapsigner controller, with
// kubeadm's format (skiff/pkg/bootstrap).
package bootstrapsigner

import (
	"context"
	"log/slog"
	"maps"
	"strings"
	"time"

	"skiff/pkg/api"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "bootstrapsigner"

// key is the only queue item: there is one ConfigMap to sign.
const key = api.NamespacePublic + "/" + bt.ClusterInfoName

// Controller is the bootstrap signer.
type Controller struct {
	c       *client.Client
	log     *slog.Logger
	wlog    *slog.Logger
	metrics *controller.Metrics
	tokens  *client.Informer[*api.Secret]
	cms     *client.Informer[*api.ConfigMap]
	queue   *workqueue.Queue[string]
	now     func() time.Time
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller and registers its informer handlers; call it
// before the informers start.
func New(c *controller.Context) *Controller {
	ctl := &Controller{
		c: c.Client, log: c.Log.With("controller", Name), wlog: c.Log, metrics: c.Metrics,
		tokens: c.Informers.BootstrapTokens(), cms: c.Informers.PublicConfigMaps(),
		queue: controller.NewQueue(Name), now: time.Now,
	}
	enqueue := func() { ctl.queue.Add(key) }
	ctl.tokens.AddHandler(client.Handler[*api.Secret]{
		OnAdd: func(*api.Secret) { enqueue() }, OnUpdate: func(_, _ *api.Secret) { enqueue() }, OnDelete: func(*api.Secret) { enqueue() },
	})
	ctl.cms.AddHandler(client.Handler[*api.ConfigMap]{
		OnAdd: func(cm *api.ConfigMap) {
			if cm.Name == bt.ClusterInfoName {
				enqueue()
			}
		},
		OnUpdate: func(_, cm *api.ConfigMap) {
			if cm.Name == bt.ClusterInfoName {
				enqueue()
			}
		},
	})
	return ctl
}

// Name implements controller.Controller.
func (*Controller) Name() string { return Name }

// Run signs until ctx ends.
func (ctl *Controller) Run(ctx context.Context) error {
	ctl.queue.Add(key)
	controller.Worker(ctx, Name, ctl.queue, 1, ctl.metrics, ctl.wlog, ctl.reconcile)
	return nil
}

// reconcile brings the signatures of cluster-info in line with the signing
// tokens. A token that expires is re-checked then.
func (ctl *Controller) reconcile(ctx context.Context, _ string) error {
	cm, ok := ctl.cms.Get(key)
	if !ok {
		return nil // the apiserver creates it at start
	}
	content, ok := cm.Data[bt.KubeconfigKey]
	if !ok {
		return nil
	}
	want, nextExpiry := Signatures(content, ctl.tokens.List(), ctl.now())
	if nextExpiry > 0 {
		ctl.queue.AddAfter(key, nextExpiry)
	}
	next := map[string]string{}
	for k, v := range cm.Data {
		if !strings.HasPrefix(k, bt.JWSKeyPrefix) {
			next[k] = v
		}
	}
	maps.Copy(next, want)
	if maps.Equal(next, cm.Data) {
		return nil
	}
	cp := api.DeepCopy(cm)
	cp.Data = next
	if _, err := client.ConfigMaps(ctl.c, api.NamespacePublic).Update(ctx, cp); err != nil {
		if api.IsNotFound(err) {
			return nil
		}
		return err // a conflict is retried from the informer's newer copy
	}
	ctl.log.Info("signed cluster-info", "signatures", len(want))
	return nil
}

// Signatures returns the cluster-info keys jws-kubeconfig-<id> → signature
// for every valid, unexpired signing token among secrets, and how long until
// the first of them expires (0 if none does).
func Signatures(content string, secrets []*api.Secret, now time.Time) (map[string]string, time.Duration) {
	out := map[string]string{}
	var next time.Duration
	for _, s := range secrets {
		id, secret, ok := bt.TokenOf(s)
		if !ok || s.Namespace != api.NamespaceSystem || s.DeletionTimestamp != nil ||
			string(s.Data[bt.UsageSigningKey]) != "true" || bt.Expired(s, now) {
			continue
		}
		sig, err := bt.ComputeDetachedSignature(content, id, secret)
		if err != nil {
			continue
		}
		out[bt.JWSKeyPrefix+id] = sig
		if exp, ok := bt.Expiration(s); ok {
			if d := exp.Sub(now); next == 0 || d < next {
				next = d
			}
		}
	}
	return out, next
}
