// Package controller is what every controller in the controller-manager shares:
// informers (one per resource, shared by all controllers), an event recorder,
// metrics, and the worker loop around a rate-limited queue of keys. The
// controllers themselves live in sub-packages, one each; each follows the
// Kubernetes sample-controller: event handlers only enqueue keys, and a reconcile
// function brings one object to its desired state from the current state,
// idempotently.
package controller

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/client/record"
	"skiff/pkg/client/workqueue"
)

// Context is what a controller is built from.
type Context struct {
	Client    *client.Client
	Informers *Informers
	Events    *record.Recorder
	Metrics   *Metrics
	Log       *slog.Logger
}

// Controller is one control loop.
type Controller interface {
	// Name is the controller's name in --controllers.
	Name() string
	// Run works until ctx ends; it is called after the informers have synced.
	Run(ctx context.Context) error
}

// Informers hands out one shared informer per resource; the first caller
// creates it, Start runs all of them.
type Informers struct {
	c   *client.Client
	log *slog.Logger

	mu      sync.Mutex
	started bool
	runs    []func(context.Context)
	synced  []func(context.Context) bool

	pods        *client.Informer[*api.Pod]
	replicaSets *client.Informer[*api.ReplicaSet]
	deployments *client.Informer[*api.Deployment]
	nodes       *client.Informer[*api.Node]
	namespaces  *client.Informer[*api.Namespace]
	leases      *client.Informer[*api.Lease]
	csrs        *client.Informer[*api.CertificateSigningRequest]
	tokens      *client.Informer[*api.Secret]
	publicCMs   *client.Informer[*api.ConfigMap]
}

// NewInformers returns an empty set.
func NewInformers(c *client.Client, log *slog.Logger) *Informers {
	return &Informers{c: c, log: log}
}

func shared[T api.Object](f *Informers, slot **client.Informer[T], lw client.ListWatcher[T]) *client.Informer[T] {
	return sharedWith(f, slot, lw, client.ListOptions{})
}

func sharedWith[T api.Object](f *Informers, slot **client.Informer[T], lw client.ListWatcher[T], opts client.ListOptions) *client.Informer[T] {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *slot == nil {
		if f.started {
			panic("controller: an informer was asked for after Start")
		}
		inf := client.NewInformer(lw, opts, f.log)
		*slot = inf
		f.runs = append(f.runs, inf.Run)
		f.synced = append(f.synced, inf.WaitForSync)
	}
	return *slot
}

// Pods is the shared pod informer.
func (f *Informers) Pods() *client.Informer[*api.Pod] {
	return shared(f, &f.pods, client.Pods(f.c, ""))
}

// ReplicaSets is the shared ReplicaSet informer.
func (f *Informers) ReplicaSets() *client.Informer[*api.ReplicaSet] {
	return shared(f, &f.replicaSets, client.ReplicaSets(f.c, ""))
}

// Deployments is the shared Deployment informer.
func (f *Informers) Deployments() *client.Informer[*api.Deployment] {
	return shared(f, &f.deployments, client.Deployments(f.c, ""))
}

// Nodes is the shared Node informer.
func (f *Informers) Nodes() *client.Informer[*api.Node] {
	return shared(f, &f.nodes, client.Nodes(f.c))
}

// Namespaces is the shared Namespace informer.
func (f *Informers) Namespaces() *client.Informer[*api.Namespace] {
	return shared(f, &f.namespaces, client.Namespaces(f.c))
}

// Leases is the shared Lease informer (all namespaces).
func (f *Informers) Leases() *client.Informer[*api.Lease] {
	return shared(f, &f.leases, client.Leases(f.c, ""))
}

// CertificateSigningRequests is the shared CSR informer.
func (f *Informers) CertificateSigningRequests() *client.Informer[*api.CertificateSigningRequest] {
	return shared(f, &f.csrs, client.CertificateSigningRequests(f.c))
}

// BootstrapTokens is the shared informer on the bootstrap-token Secrets (type
// bootstrap.kubernetes.io/token in kube-system), and no other Secrets.
func (f *Informers) BootstrapTokens() *client.Informer[*api.Secret] {
	return sharedWith(f, &f.tokens, client.Secrets(f.c, api.NamespaceSystem),
		client.ListOptions{FieldSelector: "type=" + api.SecretTypeBootstrapToken})
}

// PublicConfigMaps is the shared informer on the ConfigMaps of kube-public
// (cluster-info lives there).
func (f *Informers) PublicConfigMaps() *client.Informer[*api.ConfigMap] {
	return shared(f, &f.publicCMs, client.ConfigMaps(f.c, api.NamespacePublic))
}

// Start runs every informer handed out so far until ctx ends, and waits until
// they have all listed once. It returns false if ctx ended first.
func (f *Informers) Start(ctx context.Context) bool {
	f.mu.Lock()
	f.started = true
	runs, synced := f.runs, f.synced
	f.mu.Unlock()
	for _, run := range runs {
		go run(ctx)
	}
	for _, wait := range synced {
		if !wait(ctx) {
			return false
		}
	}
	return true
}

// Worker runs reconcile for keys from q on n goroutines until ctx ends. A key
// whose reconcile fails is retried with back-off; one that succeeds is
// forgotten. Latency is recorded under the controller's name.
func Worker(ctx context.Context, name string, q *workqueue.Queue[string], n int, m *Metrics, log *slog.Logger, reconcile func(ctx context.Context, key string) error) {
	go func() { <-ctx.Done(); q.ShutDown() }()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				key, ok := q.Get(ctx)
				if !ok {
					return
				}
				start := time.Now()
				err := reconcile(ctx, key)
				m.observe(name, time.Since(start), q.Len(), err)
				if err != nil && ctx.Err() == nil {
					log.Debug("reconcile failed; retrying", "controller", name, "key", key, "err", err)
					q.AddRateLimited(key)
				} else {
					q.Forget(key)
				}
				q.Done(key)
			}
		}()
	}
	wg.Wait()
}

// NewQueue is a rate-limited queue of keys with the controller-manager's
// defaults (5 ms doubling to 1000 s per key; 10 qps, burst 100 overall), as
// client-go's default controller rate limiter.
func NewQueue(name string) *workqueue.Queue[string] {
	return workqueue.New[string](workqueue.Options{Name: name, BaseDelay: 5 * time.Millisecond, MaxDelay: 1000 * time.Second, QPS: 10, Burst: 100})
}

// KeyFunc returns the queue key (namespace/name) of an object.
func KeyFunc(obj api.Object) string { return client.KeyOf(obj) }

// SplitKey splits a namespace/name key; a cluster-scoped key has no namespace.
func SplitKey(key string) (namespace, name string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
