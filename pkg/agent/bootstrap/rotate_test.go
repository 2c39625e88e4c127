package bootstrap

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"skiff/pkg/pki"
)

// fakeClock reports each wait on waits and fires when the test sends on fire.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan time.Duration
	fire  chan time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits <- d
	return c.fire
}

func certValid(t *testing.T, ca *pki.CA, from, to time.Time) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, _ := pki.NewKey()
	der, err := x509.CreateCertificate(nil, &x509.Certificate{SerialNumber: big.NewInt(from.Unix()), Subject: pkix.Name{CommonName: "system:node:n1"},
		NotBefore: from, NotAfter: to}, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func TestRenewAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{NotBefore: t0, NotAfter: t0.Add(100 * time.Hour)}
	if got := RenewAt(cert); !got.Equal(t0.Add(80 * time.Hour)) {
		t.Errorf("RenewAt = %v, want 80h after NotBefore", got)
	}
}

func TestRotatorRenewsAt80PercentAndRetries(t *testing.T) {
	ca, _ := pki.NewCA("test")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first, firstKey := certValid(t, ca, t0, t0.Add(10*time.Hour))
	second, secondKey := certValid(t, ca, t0.Add(8*time.Hour), t0.Add(18*time.Hour))
	clock := &fakeClock{now: t0.Add(time.Hour), waits: make(chan time.Duration, 1), fire: make(chan time.Time)}
	var calls, rotated atomic.Int32
	renew := func(context.Context) (*x509.Certificate, crypto.Signer, error) {
		if calls.Add(1) == 1 {
			return nil, nil, errors.New("apiserver unreachable")
		}
		return second, secondKey, nil
	}
	r := NewRotator("client", &tls.Certificate{Certificate: [][]byte{first.Raw}, PrivateKey: firstKey, Leaf: first}, renew,
		func() { rotated.Add(1) }, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	if d := <-clock.waits; d != 7*time.Hour {
		t.Fatalf("first wait %v, want 7h (80%% of 10h is 8h after NotBefore; it is 1h now)", d)
	}
	clock.set(t0.Add(8 * time.Hour))
	clock.fire <- clock.Now()
	if d := <-clock.waits; d != minRetry {
		t.Fatalf("after a failed renewal it waits %v, want %v", d, minRetry)
	}
	if got, _ := r.GetClientCertificate(nil); got.Leaf != first {
		t.Fatal("the certificate changed after a failed renewal")
	}
	clock.fire <- clock.Now()
	if d := <-clock.waits; d != 8*time.Hour {
		t.Fatalf("after renewal it waits %v, want 8h (until 80%% of the new certificate)", d)
	}
	if got, _ := r.GetCertificate(nil); got.Leaf != second {
		t.Error("the new certificate is not served")
	}
	if rotated.Load() != 1 || calls.Load() != 2 {
		t.Errorf("rotated %d times with %d renewals, want 1 and 2", rotated.Load(), calls.Load())
	}
}
