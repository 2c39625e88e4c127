package keylock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestKeyedLock(t *testing.T) {
	var k Set
	ctx := context.Background()

	// Holders of one key exclude each other.
	var mu sync.Mutex
	inside, maxInside := 0, 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := k.Lock(ctx, "a")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			maxInside = max(maxInside, inside)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if maxInside != 1 {
		t.Errorf("%d holders at once, want 1", maxInside)
	}

	// Another key is independent; a waiter gives up with its context.
	unlockA, _ := k.Lock(ctx, "a")
	unlockB, err := k.Lock(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := k.Lock(cctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on a held key: err = %v, want DeadlineExceeded", err)
	}
	unlockA()
	if n := len(k.locks); n != 0 {
		t.Errorf("%d lock entries left, want 0", n)
	}
}
