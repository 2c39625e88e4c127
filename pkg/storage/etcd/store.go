package etcd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"skiff/pkg/api"
	"skiff/pkg/storage"
)

// LatencyObserver records how long etcd calls take, for the apiserver's metrics.
type LatencyObserver interface {
	ObserveEtcd(operation, resource string, d time.Duration)
}

// Store keeps the objects of one resource under /registry/{resource}/.
type Store struct {
	client   *clientv3.Client
	resource string
	prefix   string
	newObj   func() api.Object
	latency  LatencyObserver
}

var _ storage.Interface = (*Store)(nil)

// NewStore returns the store of one resource. newObj returns an empty object of the
// resource's kind to decode into; latency may be nil.
func NewStore(c *clientv3.Client, resource string, newObj func() api.Object, latency LatencyObserver) *Store {
	return &Store{client: c, resource: resource, prefix: "/registry/" + resource + "/", newObj: newObj, latency: latency}
}

func (s *Store) observe(op string, start time.Time) {
	if s.latency != nil {
		s.latency.ObserveEtcd(op, s.resource, time.Since(start))
	}
}

// encode writes obj as JSON without its resourceVersion, which etcd keeps for us.
func (s *Store) encode(obj api.Object) ([]byte, error) {
	m := obj.GetObjectMeta()
	rv := m.ResourceVersion
	m.ResourceVersion = ""
	data, err := json.Marshal(obj)
	m.ResourceVersion = rv
	if err != nil {
		return nil, fmt.Errorf("storage: encode %s %q: %w", s.resource, m.Name, err)
	}
	return data, nil
}

// decode reads a stored object and sets its resourceVersion to the revision that wrote it.
func (s *Store) decode(data []byte, rev int64) (api.Object, error) {
	obj := s.newObj()
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("storage: decode %s: %w", s.resource, err)
	}
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(rev, 10)
	return obj, nil
}

// Create implements storage.Interface.
func (s *Store) Create(ctx context.Context, key string, obj api.Object) error {
	data, err := s.encode(obj)
	if err != nil {
		return err
	}
	k := s.prefix + key
	defer s.observe("create", time.Now())
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(data))).
		Commit()
	if err != nil {
		return translate(err)
	}
	if !resp.Succeeded {
		return storage.ErrAlreadyExists
	}
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(resp.Header.Revision, 10)
	return nil
}

// Get implements storage.Interface.
func (s *Store) Get(ctx context.Context, key string) (api.Object, error) {
	obj, _, _, err := s.get(ctx, s.prefix+key)
	return obj, err
}

// get returns the decoded object, its revision and its stored bytes.
func (s *Store) get(ctx context.Context, k string) (api.Object, int64, []byte, error) {
	start := time.Now()
	resp, err := s.client.Get(ctx, k)
	s.observe("get", start)
	if err != nil {
		return nil, 0, nil, translate(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, nil, storage.ErrNotFound
	}
	kv := resp.Kvs[0]
	obj, err := s.decode(kv.Value, kv.ModRevision)
	return obj, kv.ModRevision, kv.Value, err
}

// GuaranteedUpdate implements storage.Interface with optimistic concurrency: the
// write succeeds only if the object's revision is still the one tryUpdate saw.
func (s *Store) GuaranteedUpdate(ctx context.Context, key string, pre *storage.Preconditions, tryUpdate storage.UpdateFunc) (api.Object, error) {
	k := s.prefix + key
	for {
		cur, rev, data, err := s.get(ctx, k)
		if err != nil {
			return nil, err
		}
		if err := storage.CheckPreconditions(pre, cur); err != nil {
			return nil, err
		}
		updated, err := tryUpdate(cur)
		if err != nil {
			return nil, err
		}
		newData, err := s.encode(updated)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(newData, data) {
			updated.GetObjectMeta().ResourceVersion = strconv.FormatInt(rev, 10)
			return updated, nil
		}
		start := time.Now()
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
			Then(clientv3.OpPut(k, string(newData))).
			Commit()
		s.observe("update", start)
		if err != nil {
			return nil, translate(err)
		}
		if resp.Succeeded {
			updated.GetObjectMeta().ResourceVersion = strconv.FormatInt(resp.Header.Revision, 10)
			return updated, nil
		}
		// Someone else wrote first: read again and retry.
	}
}

// Delete implements storage.Interface.
func (s *Store) Delete(ctx context.Context, key string, pre *storage.Preconditions, validate func(api.Object) error) (api.Object, error) {
	k := s.prefix + key
	for {
		cur, rev, _, err := s.get(ctx, k)
		if err != nil {
			return nil, err
		}
		if err := storage.CheckPreconditions(pre, cur); err != nil {
			return nil, err
		}
		if validate != nil {
			if err := validate(cur); err != nil {
				return nil, err
			}
		}
		start := time.Now()
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
			Then(clientv3.OpDelete(k)).
			Commit()
		s.observe("delete", start)
		if err != nil {
			return nil, translate(err)
		}
		if resp.Succeeded {
			return cur, nil
		}
	}
}

// translate maps etcd errors to storage errors; others pass through wrapped.
func translate(err error) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		return storage.ErrCompacted
	case errors.Is(err, rpctypes.ErrFutureRev):
		return storage.ErrTooLargeResourceVersion
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("storage: etcd: %w", err)
}

// parseRV parses a resourceVersion; "" and "0" mean "latest" and give 0.
func parseRV(rv string) (int64, error) {
	if rv == "" || rv == "0" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w %q", storage.ErrInvalidResourceVersion, rv)
	}
	return n, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func rvOf(obj api.Object) uint64 {
	n, _ := strconv.ParseUint(obj.GetObjectMeta().ResourceVersion, 10, 64)
	return n
}
