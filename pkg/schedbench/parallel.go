package schedbench

import (
	"context"
	"sync"
	"sync/atomic"
)

// parallel runs op(ctx, 0) … op(ctx, n-1) on at most workers goroutines. After the
// first error, or once ctx ends, no further op starts; it returns that error (or
// the context's cause).
func parallel(ctx context.Context, n, workers int, op func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := op(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}
