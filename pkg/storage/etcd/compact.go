package etcd

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// compactRevKey coordinates compaction between apiservers sharing one etcd, as
// Kubernetes does: its version is a logical clock, and only the apiserver that
// advances it compacts.
const compactRevKey = "compact_rev_key"

// RunCompactor compacts etcd's history every interval, to the revision that was
// current one interval earlier, so watches and paginated lists have at least one
// interval to finish while history does not grow forever. It returns when ctx ends.
func RunCompactor(ctx context.Context, c *clientv3.Client, interval time.Duration, log *slog.Logger) {
	var clock, rev int64
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		var err error
		clock, rev, err = compactOnce(ctx, c, clock, rev)
		if err != nil && ctx.Err() == nil {
			log.Warn("etcd compaction failed", "err", err)
		}
	}
}

// compactOnce compacts to rev if this caller holds the logical clock at t, and
// returns the new clock and the current revision for the next round.
func compactOnce(ctx context.Context, c *clientv3.Client, t, rev int64) (int64, int64, error) {
	resp, err := c.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(compactRevKey), "=", t)).
		Then(clientv3.OpPut(compactRevKey, strconv.FormatInt(rev, 10))).
		Else(clientv3.OpGet(compactRevKey)).
		Commit()
	if err != nil {
		return t, rev, err
	}
	cur := resp.Header.Revision
	if !resp.Succeeded {
		// Another apiserver compacted: follow its clock.
		return resp.Responses[0].GetResponseRange().Kvs[0].Version, cur, nil
	}
	if rev > 0 {
		if _, err := c.Compact(ctx, rev); err != nil {
			return t + 1, cur, err
		}
	}
	return t + 1, cur, nil
}

// Compact discards history before rev now. Tests use it to make old
// resourceVersions expire.
func Compact(ctx context.Context, c *clientv3.Client, rev int64) error {
	_, err := c.Compact(ctx, rev, clientv3.WithCompactPhysical())
	return err
}
