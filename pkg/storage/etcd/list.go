package etcd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"skiff/pkg/api"
	"skiff/pkg/storage"
)

// continueToken is what a continue string encodes, as in Kubernetes: the revision
// the first page was read at, and the key to resume from. Later pages read at the
// same revision, so a paginated list is one consistent snapshot.
type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

func encodeContinue(rev int64, nextKey, keyPrefix string) string {
	b, _ := json.Marshal(continueToken{APIVersion: "meta.k8s.io/v1", ResourceVersion: rev, StartKey: strings.TrimPrefix(nextKey, keyPrefix)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(token, keyPrefix string) (startKey string, rev int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, fmt.Errorf("%w: not base64", storage.ErrInvalidContinue)
	}
	var t continueToken
	if err := json.Unmarshal(b, &t); err != nil {
		return "", 0, fmt.Errorf("%w: %v", storage.ErrInvalidContinue, err)
	}
	if t.APIVersion != "meta.k8s.io/v1" || t.ResourceVersion <= 0 || strings.Contains(t.StartKey, "..") {
		return "", 0, fmt.Errorf("%w: unknown version or bad key", storage.ErrInvalidContinue)
	}
	return keyPrefix + t.StartKey, t.ResourceVersion, nil
}

// List implements storage.Interface. With a predicate, it reads etcd in pages until
// it has Limit matching items or runs out.
func (s *Store) List(ctx context.Context, prefix string, opts storage.ListOptions) (*storage.ListResult, error) {
	res := &storage.ListResult{}
	p, err := s.scan(ctx, prefix, opts, opts.Predicate != nil, func(kv *mvccpb.KeyValue) (bool, error) {
		obj, err := s.decode(kv.Value, kv.ModRevision)
		if err != nil || !opts.Predicate.Matches(obj) {
			return false, err
		}
		res.Items = append(res.Items, obj)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	res.ResourceVersion, res.Continue, res.RemainingItemCount = uint64(p.rev), p.cont, p.remaining
	return res, nil
}

// ListRaw implements storage.RawLister: like List, but each item is the stored
// JSON with its resourceVersion spliced in, so nothing is decoded or re-encoded.
// match (nil for all) chooses items by their JSON; opts.Predicate is not used.
func (s *Store) ListRaw(ctx context.Context, prefix string, opts storage.ListOptions, match func([]byte) bool) (*storage.RawListResult, error) {
	res := &storage.RawListResult{}
	p, err := s.scan(ctx, prefix, opts, match != nil, func(kv *mvccpb.KeyValue) (bool, error) {
		if match != nil && !match(kv.Value) {
			return false, nil
		}
		data, err := s.withResourceVersion(kv.Value, kv.ModRevision)
		if err != nil {
			return false, err
		}
		res.Items = append(res.Items, data)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	res.ResourceVersion, res.Continue, res.RemainingItemCount = uint64(p.rev), p.cont, p.remaining
	return res, nil
}

// metadataOpen is how every object this store writes begins its metadata, right
// after kind and apiVersion (encoding/json writes fields in struct order).
var metadataOpen = []byte(`"metadata":{`)

// withResourceVersion returns stored JSON with metadata.resourceVersion set. Objects
// written by this store take a fast path that inserts the field; anything else is
// decoded and re-encoded.
func (s *Store) withResourceVersion(data []byte, rev int64) ([]byte, error) {
	head := data[:min(len(data), 96)]
	if i := bytes.Index(head, metadataOpen); i >= 0 && i+len(metadataOpen) < len(data) {
		at := i + len(metadataOpen)
		out := make([]byte, 0, len(data)+32)
		out = append(out, data[:at]...)
		out = append(out, `"resourceVersion":"`...)
		out = strconv.AppendInt(out, rev, 10)
		out = append(out, '"')
		if data[at] != '}' {
			out = append(out, ',')
		}
		return append(out, data[at:]...), nil
	}
	obj, err := s.decode(data, rev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

// page is where a scan stopped: the revision it read at and, if the limit cut it
// short, where the next page starts.
type page struct {
	rev       int64
	cont      string
	remaining *int64
}

// scan reads the keys under prefix at one revision, in pages of etcd reads, and
// hands each to take, which reports whether it kept the item. It stops once
// opts.Limit items are kept. filtered says take may drop items, so the remaining
// count is unknown and larger reads pay off.
func (s *Store) scan(ctx context.Context, prefix string, opts storage.ListOptions, filtered bool, take func(*mvccpb.KeyValue) (bool, error)) (page, error) {
	keyPrefix := s.prefix + prefix
	rangeEnd := clientv3.GetPrefixRangeEnd(keyPrefix)
	start := keyPrefix
	var rev int64
	var err error
	switch {
	case opts.Continue != "":
		if start, rev, err = decodeContinue(opts.Continue, keyPrefix); err != nil {
			return page{}, err
		}
	case opts.ExactRV:
		if rev, err = parseRV(opts.ResourceVersion); err != nil {
			return page{}, err
		}
	default:
		if _, err := parseRV(opts.ResourceVersion); err != nil {
			return page{}, err
		}
	}

	limit, kept := opts.Limit, int64(0)
	pageSize := limit
	if filtered && pageSize > 0 && pageSize < 100 {
		// Filtering may drop most keys: read a little more per round trip.
		pageSize = 100
	}
	for {
		getOpts := []clientv3.OpOption{clientv3.WithRange(rangeEnd)}
		if rev > 0 {
			getOpts = append(getOpts, clientv3.WithRev(rev))
		}
		if pageSize > 0 {
			getOpts = append(getOpts, clientv3.WithLimit(pageSize))
		}
		t := time.Now()
		resp, err := s.client.Get(ctx, start, getOpts...)
		s.observe("list", t)
		if err != nil {
			return page{}, translate(err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for i, kv := range resp.Kvs {
			if limit > 0 && kept == limit {
				// Page full, and this key is next.
				p := page{rev: rev, cont: encodeContinue(rev, string(kv.Key), keyPrefix)}
				if !filtered {
					remaining := resp.Count - int64(i)
					p.remaining = &remaining
				}
				return p, nil
			}
			ok, err := take(kv)
			if err != nil {
				return page{}, err
			}
			if ok {
				kept++
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return page{rev: rev}, nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		if limit > 0 && kept == limit {
			// Full, and etcd says more keys follow.
			p := page{rev: rev, cont: encodeContinue(rev, start, keyPrefix)}
			if !filtered {
				remaining := resp.Count - int64(len(resp.Kvs))
				p.remaining = &remaining
			}
			return p, nil
		}
	}
}

// objectForKey makes an object that names what key holds, for a deletion whose last
// state etcd no longer has.
func (s *Store) objectForKey(key string) api.Object {
	obj := s.newObj()
	rel := strings.TrimPrefix(key, s.prefix)
	m := obj.GetObjectMeta()
	if ns, name, ok := strings.Cut(rel, "/"); ok {
		m.Namespace, m.Name = ns, name
	} else {
		m.Name = rel
	}
	return obj
}
