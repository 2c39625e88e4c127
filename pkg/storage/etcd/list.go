package etcd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
	keyPrefix := s.prefix + prefix
	rangeEnd := clientv3.GetPrefixRangeEnd(keyPrefix)
	start := keyPrefix
	var rev int64
	switch {
	case opts.Continue != "":
		var err error
		if start, rev, err = decodeContinue(opts.Continue, keyPrefix); err != nil {
			return nil, err
		}
	case opts.ExactRV:
		var err error
		if rev, err = parseRV(opts.ResourceVersion); err != nil {
			return nil, err
		}
	default:
		if _, err := parseRV(opts.ResourceVersion); err != nil {
			return nil, err
		}
	}

	limit := opts.Limit
	pageSize := limit
	if opts.Predicate != nil && pageSize > 0 && pageSize < 100 {
		// Filtering may drop most keys: read a little more per round trip.
		pageSize = 100
	}
	res := &storage.ListResult{}
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
			return nil, translate(err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for i, kv := range resp.Kvs {
			if limit > 0 && int64(len(res.Items)) == limit {
				// Page full, and this key is next.
				res.Continue = encodeContinue(rev, string(kv.Key), keyPrefix)
				if opts.Predicate == nil {
					remaining := resp.Count - int64(i)
					res.RemainingItemCount = &remaining
				}
				res.ResourceVersion = uint64(rev)
				return res, nil
			}
			obj, err := s.decode(kv.Value, kv.ModRevision)
			if err != nil {
				return nil, err
			}
			if opts.Predicate.Matches(obj) {
				res.Items = append(res.Items, obj)
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		if limit > 0 && int64(len(res.Items)) == limit {
			// Full, and etcd says more keys follow.
			res.Continue = encodeContinue(rev, start, keyPrefix)
			if opts.Predicate == nil {
				remaining := resp.Count - int64(len(resp.Kvs))
				res.RemainingItemCount = &remaining
			}
			break
		}
	}
	res.ResourceVersion = uint64(rev)
	return res, nil
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
