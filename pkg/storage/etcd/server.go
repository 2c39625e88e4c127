// Package etcd implements storage.Interface on etcd's clientv3, and starts an
// embedded single-member etcd for the apiserver when no external cluster is given.
// Objects are stored as JSON under /registry/{resource}/{namespace}/{name}, and an
// object's resourceVersion is the etcd revision that last wrote it.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// EmbeddedConfig is how to run the embedded etcd member.
type EmbeddedConfig struct {
	// Dir holds etcd's data (member/wal and member/snap).
	Dir string
	// ClientURL and PeerURL are where etcd listens, e.g. http://127.0.0.1:2379.
	ClientURL string
	PeerURL   string
	// UnsafeNoFsync skips fsync: for tests only, a crash can lose writes.
	UnsafeNoFsync bool
	// ReadyTimeout bounds the wait for the member to become ready.
	ReadyTimeout time.Duration
	// ProgressNotifyInterval is how often idle watches learn the latest revision
	// (they turn it into BOOKMARK events).
	ProgressNotifyInterval time.Duration
}

// Embedded is a running embedded etcd member and an in-process client to it.
type Embedded struct {
	etcd   *embed.Etcd
	Client *clientv3.Client
}

// StartEmbedded validates cfg, starts etcd and waits until it serves. The caller
// must Close it.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	ec := embed.NewConfig()
	ec.Name = "skiff"
	ec.Dir = cfg.Dir
	// A single member needs no long election timeout: this takes start-up from about
	// a second to about 100 ms.
	ec.TickMs, ec.ElectionMs = 10, 100
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	ec.WatchProgressNotifyInterval = cfg.ProgressNotifyInterval
	ec.MaxRequestBytes = 4 * 1024 * 1024
	clientURL, err := url.Parse(cfg.ClientURL)
	if err != nil {
		return nil, fmt.Errorf("etcd client URL %q: %w", cfg.ClientURL, err)
	}
	peerURL, err := url.Parse(cfg.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("etcd peer URL %q: %w", cfg.PeerURL, err)
	}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*clientURL}, []url.URL{*clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*peerURL}, []url.URL{*peerURL}
	ec.InitialCluster = ec.Name + "=" + peerURL.String()
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(quietLogger())
	if err := ec.Validate(); err != nil {
		return nil, fmt.Errorf("etcd config: %w", err)
	}

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	timeout := cfg.ReadyTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd failed while starting: %w", err)
	case <-time.After(timeout):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("etcd was not ready within %s", timeout)
	}
	return &Embedded{etcd: e, Client: v3client.New(e.Server)}, nil
}

// Err reports a fatal etcd error after start.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops etcd cleanly: pending writes are flushed.
func (e *Embedded) Close() {
	e.Client.Close()
	e.etcd.Close()
}

// quietLogger logs etcd's errors only, without the ones a single embedded member
// logs in normal operation.
func quietLogger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.Lock(os.Stderr), zapcore.ErrorLevel)
	return zap.New(&dropBenign{core})
}

// benignErrors are messages etcd logs at error level although nothing is wrong:
// on every clean shutdown, and on the first start of a new member.
var benignErrors = []string{
	"serving from embedded etcd failed",
	"failed to update storage version",
}

type dropBenign struct{ zapcore.Core }

func (d *dropBenign) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	for _, msg := range benignErrors {
		if strings.Contains(e.Message, msg) {
			return ce
		}
	}
	return d.Core.Check(e, ce)
}

func (d *dropBenign) With(f []zapcore.Field) zapcore.Core {
	return &dropBenign{d.Core.With(f)}
}

// NewClient connects to an external etcd cluster.
func NewClient(ctx context.Context, endpoints []string) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("no etcd endpoints")
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		Logger:      quietLogger(),
		Context:     ctx,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	return c, nil
}
