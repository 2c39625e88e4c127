package bootstrap

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"sync/atomic"
	"time"
)

// Clock is the time source of rotation; tests use a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RenewFraction is how much of a certificate's life passes before it is
// renewed (client-go's certificate manager renews between 70% and 90%).
const RenewFraction = 0.8

// RenewAt is when a certificate is renewed: after RenewFraction of its life.
func RenewAt(cert *x509.Certificate) time.Time {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotBefore.Add(time.Duration(float64(life) * RenewFraction))
}

// Retry back-off when a renewal fails.
const (
	minRetry = 5 * time.Second
	maxRetry = 5 * time.Minute
)

// Rotator holds a certificate and renews it before it expires. Connections
// made after a renewal present the new certificate (GetClientCertificate,
// GetCertificate); existing ones keep the old one, which is still valid.
// Its methods are safe for concurrent use.
type Rotator struct {
	name  string
	cur   atomic.Pointer[tls.Certificate]
	renew func(ctx context.Context) (*x509.Certificate, crypto.Signer, error)
	// rotated runs after each renewal (e.g. to close idle connections).
	rotated func()
	clock   Clock
	log     *slog.Logger
}

// NewRotator starts from cert; renew gets a new certificate and key (and
// stores them), for Run.
func NewRotator(name string, cert *tls.Certificate, renew func(context.Context) (*x509.Certificate, crypto.Signer, error), rotated func(), clock Clock, log *slog.Logger) *Rotator {
	r := &Rotator{name: name, renew: renew, rotated: rotated, clock: clock, log: log}
	r.cur.Store(cert)
	return r
}

// Current is the certificate in use.
func (r *Rotator) Current() *tls.Certificate { return r.cur.Load() }

// GetClientCertificate is for tls.Config.GetClientCertificate.
func (r *Rotator) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *Rotator) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Run renews the certificate each time RenewFraction of its life has passed,
// retrying with back-off when that fails, until ctx ends.
func (r *Rotator) Run(ctx context.Context) {
	retry := minRetry
	for {
		leaf := r.cur.Load().Leaf
		wait := RenewAt(leaf).Sub(r.clock.Now())
		if wait > 0 {
			r.log.Debug("certificate renewal scheduled", "certificate", r.name, "at", RenewAt(leaf), "notAfter", leaf.NotAfter)
			select {
			case <-ctx.Done():
				return
			case <-r.clock.After(wait):
			}
		}
		cert, key, err := r.renew(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("could not renew the certificate; retrying", "certificate", r.name, "err", err, "retryIn", retry, "notAfter", leaf.NotAfter)
			select {
			case <-ctx.Done():
				return
			case <-r.clock.After(retry):
			}
			retry = min(2*retry, maxRetry)
			continue
		}
		retry = minRetry
		r.cur.Store(&tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert})
		if r.rotated != nil {
			r.rotated()
		}
		r.log.Info("certificate renewed", "certificate", r.name, "notAfter", cert.NotAfter)
	}
}
