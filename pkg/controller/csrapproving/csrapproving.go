// Package csrapproving approves, automatically, the CertificateSigningRequests
// of joining and renewing node agents (see Decide for exactly which), so a
// node with a bootstrap token gets its credentials without an administrator.
// Everything else waits for `kubectl certificate approve` or `deny`. It is
// Kubernetes' csrapproving controller plus Skiff's approval of node serving
// certificates.
package csrapproving

import (
	"context"
	"log/slog"
	"net/http"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
)

// Name is the controller's name in --controllers.
const Name = "csrapproving"

// Controller is the CSR approver.
type Controller struct {
	c       *client.Client
	log     *slog.Logger
	wlog    *slog.Logger
	metrics *controller.Metrics
	csrs    *client.Informer[*api.CertificateSigningRequest]
	queue   *workqueue.Queue[string]
	authz   Authorizer
}

var _ controller.Controller = (*Controller)(nil)

// New builds the controller and registers its informer handler; call it
// before the informers start.
func New(c *controller.Context) *Controller {
	ctl := &Controller{
		c: c.Client, log: c.Log.With("controller", Name), wlog: c.Log, metrics: c.Metrics,
		csrs: c.Informers.CertificateSigningRequests(), queue: controller.NewQueue(Name),
	}
	ctl.authz = sarAuthorizer{do: func(ctx context.Context, sar *api.SubjectAccessReview) (*api.SubjectAccessReview, error) {
		out := &api.SubjectAccessReview{}
		err := ctl.c.Do(ctx, client.Request{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/subjectaccessreviews", Body: sar, Out: out})
		return out, err
	}}
	enqueue := func(csr *api.CertificateSigningRequest) { ctl.queue.Add(csr.Name) }
	ctl.csrs.AddHandler(client.Handler[*api.CertificateSigningRequest]{OnAdd: enqueue, OnUpdate: func(_, csr *api.CertificateSigningRequest) { enqueue(csr) }})
	return ctl
}

// Name implements controller.Controller.
func (*Controller) Name() string { return Name }

// Run approves until ctx ends.
func (ctl *Controller) Run(ctx context.Context) error {
	controller.Worker(ctx, Name, ctl.queue, 2, ctl.metrics, ctl.wlog, ctl.reconcile)
	return nil
}

func (ctl *Controller) reconcile(ctx context.Context, name string) error {
	csr, ok := ctl.csrs.Get(name)
	if !ok || len(csr.Status.Certificate) > 0 || api.CSRHasCondition(csr, api.CertificateApproved) || api.CSRHasCondition(csr, api.CertificateDenied) {
		return nil
	}
	approve, msg, err := Decide(ctx, ctl.authz, csr)
	if err != nil || !approve {
		return err
	}
	cp := api.DeepCopy(csr)
	now := api.Now()
	cp.Status.Conditions = append(cp.Status.Conditions, api.CertificateSigningRequestCondition{
		Type: api.CertificateApproved, Status: api.ConditionTrue, Reason: ReasonAutoApproved, Message: msg,
		LastUpdateTime: now, LastTransitionTime: now,
	})
	if _, err := client.UpdateApproval(ctx, ctl.c, cp); err != nil {
		if api.IsNotFound(err) {
			return nil
		}
		return err
	}
	ctl.log.Info("approved", "csr", name, "signer", csr.Spec.SignerName, "requester", csr.Spec.Username, "why", msg)
	return nil
}
