package schedbench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestParallel(t *testing.T) {
	t.Run("runs every op once", func(t *testing.T) {
		counts := make([]atomic.Int32, 1000)
		if err := parallel(context.Background(), len(counts), 7, func(_ context.Context, i int) error {
			counts[i].Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := range counts {
			if n := counts[i].Load(); n != 1 {
				t.Fatalf("op %d ran %d times", i, n)
			}
		}
	})
	t.Run("stops at the first error", func(t *testing.T) {
		boom := errors.New("boom")
		var ran atomic.Int32
		err := parallel(context.Background(), 1000, 1, func(_ context.Context, i int) error {
			ran.Add(1)
			if i == 10 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
		if n := ran.Load(); n != 11 {
			t.Errorf("%d ops ran with one worker, want 11 (none after the error)", n)
		}
	})
	t.Run("ended context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := parallel(ctx, 10, 2, func(context.Context, int) error { t.Error("op ran"); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
