package nodeipam

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAllocator(t *testing.T) {
	a := newAllocator(newSet(t, "10.0.0.0/22", 24))

	// Restart: nodes that already hold CIDRs are counted first.
	if err := a.occupy("old1", []string{"10.0.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	if err := a.occupy("old2", []string{"10.0.2.0/24"}); err != nil {
		t.Fatal(err)
	}
	if err := a.occupy("old2", []string{"10.0.2.0/24"}); err != nil {
		t.Fatalf("occupying again: %v", err)
	}

	n1, err := a.allocate("n1")
	if err != nil || n1 != "10.0.1.0/24" {
		t.Fatalf("allocate n1: %q, %v; want 10.0.1.0/24 (the ones held are skipped)", n1, err)
	}
	if again, _ := a.allocate("n1"); again != n1 {
		t.Errorf("allocate n1 again (update not seen yet): %q, want the same %q", again, n1)
	}
	n2, err := a.allocate("n2")
	if err != nil || n2 != "10.0.3.0/24" {
		t.Fatalf("allocate n2: %q, %v; want 10.0.3.0/24", n2, err)
	}

	// Exhausted.
	if c, err := a.allocate("n3"); !errors.Is(err, errRangeFull) {
		t.Fatalf("allocate n3: %q, %v; want errRangeFull", c, err)
	}

	// A deleted node's CIDR goes back and is reused.
	if diff := cmp.Diff([]string{"10.0.2.0/24"}, a.release("old2")); diff != "" {
		t.Errorf("release old2 (-want +got):\n%s", diff)
	}
	if got := a.release("old2"); got != nil {
		t.Errorf("releasing twice: %v, want nothing", got)
	}
	if c, err := a.allocate("n3"); err != nil || c != "10.0.2.0/24" {
		t.Fatalf("allocate n3 after release: %q, %v; want 10.0.2.0/24", c, err)
	}
	if got := a.release("never-seen"); got != nil {
		t.Errorf("release unknown node: %v", got)
	}
}

func TestAllocatorOccupyReplaces(t *testing.T) {
	a := newAllocator(newSet(t, "10.0.0.0/23", 24))
	c, _ := a.allocate("n1") // 10.0.0.0/24, but someone set another CIDR by hand
	if err := a.occupy("n1", []string{"10.0.1.0/24"}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.allocate("n2"); err != nil || got != c {
		t.Fatalf("allocate n2: %q, %v; want the CIDR n1 no longer holds, %s", got, err, c)
	}
}

func TestAllocatorForeignCIDR(t *testing.T) {
	a := newAllocator(newSet(t, "10.0.0.0/23", 24))
	err := a.occupy("n1", []string{"192.168.5.0/24"})
	if !errors.Is(err, errOutOfRange) {
		t.Fatalf("occupy outside: %v, want errOutOfRange", err)
	}
	if err := a.occupy("n1", []string{"192.168.5.0/24"}); err != nil {
		t.Errorf("occupying the same foreign CIDR again: %v, want nothing (no repeated warnings)", err)
	}
	if err := a.occupy("n2", []string{"not-a-cidr"}); !errors.Is(err, errOutOfRange) {
		t.Errorf("occupy garbage: %v, want errOutOfRange", err)
	}
	a.release("n1")
	a.release("n2")
	for _, want := range []string{"10.0.0.0/24", "10.0.1.0/24"} {
		if got, err := a.allocate("x" + want); err != nil || got != want {
			t.Fatalf("allocate: %q, %v; want %s (foreign CIDRs use nothing)", got, err, want)
		}
	}
}
