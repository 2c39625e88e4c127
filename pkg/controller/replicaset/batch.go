package replicaset

import "sync"

// slowStartInitialBatch is the size of the first batch of creates
// (Kubernetes' SlowStartInitialBatchSize).
const slowStartInitialBatch = 1

// burstReplicas caps the pods one reconcile creates or deletes (Kubernetes'
// BurstReplicas); the rest follow in the next reconciles.
const burstReplicas = 500

// batchSizes returns the sizes of the batches slowStartBatch runs for count
// calls: initial, then doubling (1, 2, 4, ...), the last one whatever remains.
func batchSizes(count, initial int) []int {
	var sizes []int
	remaining := count
	for size := min(remaining, initial); size > 0; size = min(2*size, remaining) {
		sizes = append(sizes, size)
		remaining -= size
	}
	return sizes
}

// slowStartBatch calls fn count times, in batches of growing size (see
// batchSizes) whose calls run in parallel. It stops after the first batch in
// which a call failed, so a ReplicaSet whose pods are all refused (a quota, an
// admission webhook) sends a handful of doomed requests, not hundreds. It
// returns how many calls succeeded and the first error.
func slowStartBatch(count, initial int, fn func() error) (int, error) {
	successes := 0
	for _, size := range batchSizes(count, initial) {
		errs := make(chan error, size)
		var wg sync.WaitGroup
		for range size {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		successes += size - len(errs)
		if len(errs) > 0 {
			return successes, <-errs
		}
	}
	return successes, nil
}
