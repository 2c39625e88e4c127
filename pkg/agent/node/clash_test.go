package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"skiff/pkg/apiserver/apiservertest"
)

// TestNameClash: a second machine may not take a node name whose machine is
// alive (its lease fresh), and is told what to do; the same machine coming
// back may, and so may anyone once the old lease has lapsed.
func TestNameClash(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	first := newTestManager(t, s, "lab-1", &fakeRuntime{version: "containerd://1.6.20"}, nil)
	if err := first.Register(ctx); err != nil { // as the agent does before Run
		t.Fatal(err)
	}
	run(t, first) // renews the lease
	waitFor(t, "the first machine's lease", func() (bool, error) {
		_, err := first.leases.Get(ctx, "lab-1")
		return err == nil, nil
	})

	other := newTestManager(t, s, "lab-1", &fakeRuntime{version: "containerd://1.6.20"}, func(o *Options) { o.InternalIP = "192.0.2.11" })
	err := other.Register(ctx)
	if !errors.Is(err, ErrNameInUse) {
		t.Fatalf("another machine registering lab-1: err = %v, want ErrNameInUse", err)
	}
	for _, want := range []string{"192.0.2.10", "another --node-name", "kubectl delete node lab-1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	same := newTestManager(t, s, "lab-1", &fakeRuntime{version: "containerd://1.6.20"}, nil)
	if err := same.Register(ctx); err != nil {
		t.Errorf("the same machine registering again: %v", err)
	}

	later := newTestManager(t, s, "lab-1", &fakeRuntime{version: "containerd://1.6.20"}, func(o *Options) {
		o.InternalIP = "192.0.2.11"
		o.Now = func() time.Time { return time.Now().Add(time.Hour) } // the old lease has lapsed
	})
	if err := later.Register(ctx); err != nil {
		t.Errorf("a new machine after the old lease lapsed: %v", err)
	}
}
