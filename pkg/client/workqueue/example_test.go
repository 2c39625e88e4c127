package workqueue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"skiff/pkg/client/workqueue"
)

// runWorker is the loop each controller worker runs: take a key, reconcile it, and
// either forget its failures or schedule a retry with back-off.
func runWorker(ctx context.Context, q *workqueue.Queue[string], reconcile func(key string) error) {
	for {
		key, ok := q.Get(ctx)
		if !ok {
			return // shut down, or ctx ended
		}
		if err := reconcile(key); err != nil {
			fmt.Printf("%s: %v, retry %d\n", key, err, q.NumRequeues(key)+1)
			q.AddRateLimited(key)
		} else {
			fmt.Printf("%s: synced\n", key)
			q.Forget(key)
		}
		q.Done(key)
	}
}

func Example() {
	q := workqueue.New[string](workqueue.Options{Name: "example"})

	// Watch handlers only enqueue keys; the duplicate is dropped.
	q.Add("default/web")
	q.Add("default/db")
	q.Add("default/web")

	// reconcile fails once for default/db, then succeeds.
	dbFailed := false
	allSynced := make(chan struct{})
	synced := 0
	reconcile := func(key string) error {
		if key == "default/db" && !dbFailed {
			dbFailed = true
			return errors.New("database not ready")
		}
		if synced++; synced == 2 {
			close(allSynced)
		}
		return nil
	}

	var wg sync.WaitGroup
	wg.Go(func() { runWorker(context.Background(), q, reconcile) })
	<-allSynced
	q.ShutDownWithDrain()
	wg.Wait()

	// Output:
	// default/web: synced
	// default/db: database not ready, retry 1
	// default/db: synced
}
