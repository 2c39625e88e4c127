// Package csrsigning issues the certificates of approved
// CertificateSigningRequests for the three signers Skiff has
// (kube-apiserver-client-kubelet, kubelet-serving, kube-apiserver-client),
// with the cluster CA: Kubernetes' csrsigning controller. A CSR its signer
// will not issue gets a Failed condition saying why.
package csrsigning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/workqueue"
	"skiff/pkg/controller"
	"skiff/pkg/pki"
)

// Name is the controller's name in --controllers.
const Name = "csrsigning"

// DefaultDuration is the default validity of issued certificates (a year, as
// kube-controller-manager's --cluster-signing-duration).
const DefaultDuration = 8760 * time.Hour

// Options configure the signer.
type Options struct {
	// CertFile and KeyFile are the CA. Empty: ca.crt and ca.key in the
	// directory of the controller-manager's kubeconfig, which is where the
	// apiserver writes them with controller-manager.kubeconfig.
	CertFile, KeyFile string
	// Duration is how long issued certificates are valid (at most the CA's
	// remaining life).
	Duration time.Duration
}

// WithDefaults fills in empty options; kubeconfig is the controller-manager's.
func (o Options) WithDefaults(kubeconfig string) Options {
	dir := filepath.Dir(kubeconfig)
	if o.CertFile == "" {
		o.CertFile = filepath.Join(dir, "ca.crt")
	}
	if o.KeyFile == "" {
		o.KeyFile = filepath.Join(dir, "ca.key")
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	return o
}

// Controller is the CSR signer.
type Controller struct {
	c        *client.Client
	log      *slog.Logger
	wlog     *slog.Logger
	metrics  *controller.Metrics
	csrs     *client.Informer[*api.CertificateSigningRequest]
	queue    *workqueue.Queue[string]
	ca       *pki.CA
	duration time.Duration
	now      func() time.Time
}

var _ controller.Controller = (*Controller)(nil)

// New loads the CA and builds the controller; call it before the informers
// start. Options must be complete (WithDefaults).
func New(c *controller.Context, o Options) (*Controller, error) {
	if o.Duration <= 0 {
		return nil, fmt.Errorf("--cluster-signing-duration %v must be positive", o.Duration)
	}
	ca, err := pki.LoadCA(o.CertFile, o.KeyFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("the cluster CA: %w (set --cluster-signing-cert-file and --cluster-signing-key-file, or leave csrsigning out of --controllers)", err)
		}
		return nil, fmt.Errorf("the cluster CA: %w", err)
	}
	ctl := &Controller{
		c: c.Client, log: c.Log.With("controller", Name), wlog: c.Log, metrics: c.Metrics,
		csrs: c.Informers.CertificateSigningRequests(), queue: controller.NewQueue(Name),
		ca: ca, duration: o.Duration, now: time.Now,
	}
	enqueue := func(csr *api.CertificateSigningRequest) { ctl.queue.Add(csr.Name) }
	ctl.csrs.AddHandler(client.Handler[*api.CertificateSigningRequest]{OnAdd: enqueue, OnUpdate: func(_, csr *api.CertificateSigningRequest) { enqueue(csr) }})
	return ctl, nil
}

// Name implements controller.Controller.
func (*Controller) Name() string { return Name }

// Run signs until ctx ends.
func (ctl *Controller) Run(ctx context.Context) error {
	ctl.log.Info("starting", "ca", ctl.ca.Cert.Subject.CommonName, "duration", ctl.duration, "caExpires", ctl.ca.Cert.NotAfter)
	controller.Worker(ctx, Name, ctl.queue, 2, ctl.metrics, ctl.wlog, ctl.reconcile)
	return nil
}

func (ctl *Controller) reconcile(ctx context.Context, name string) error {
	csr, ok := ctl.csrs.Get(name)
	if !ok || len(csr.Status.Certificate) > 0 || !api.CSRHasCondition(csr, api.CertificateApproved) ||
		api.CSRHasCondition(csr, api.CertificateFailed) || !slices.Contains(api.KnownSigners, csr.Spec.SignerName) {
		return nil
	}
	cp := api.DeepCopy(csr)
	cert, err := Sign(ctl.ca, csr, ctl.duration, ctl.now())
	switch {
	case errors.Is(err, ErrRefused):
		now := api.Now()
		cp.Status.Conditions = append(cp.Status.Conditions, api.CertificateSigningRequestCondition{
			Type: api.CertificateFailed, Status: api.ConditionTrue, Reason: "SignerValidationFailure", Message: err.Error(),
			LastUpdateTime: now, LastTransitionTime: now,
		})
		ctl.log.Warn("refused to sign", "csr", name, "err", err)
	case err != nil:
		return err
	default:
		cp.Status.Certificate = pki.EncodeCert(cert)
	}
	if _, err := client.CertificateSigningRequests(ctl.c).UpdateStatus(ctx, cp); err != nil {
		if api.IsNotFound(err) {
			return nil
		}
		return err
	}
	if cert != nil {
		ctl.log.Info("signed", "csr", name, "signer", csr.Spec.SignerName, "subject", cert.Subject.String(), "notAfter", cert.NotAfter)
	}
	return nil
}
