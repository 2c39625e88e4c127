package nodeipam

import (
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, c, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSet(t *testing.T, cluster string, mask int) *cidrSet {
	t.Helper()
	s, err := newCIDRSet(mustCIDR(t, cluster), mask)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// allocateAll allocates until the set is full and returns what it handed out.
func allocateAll(t *testing.T, s *cidrSet) []string {
	t.Helper()
	var out []string
	for {
		c, err := s.allocate()
		if errors.Is(err, errRangeFull) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c.String())
	}
}

func TestCIDRSetAllocate(t *testing.T) {
	s := newSet(t, "10.244.0.0/16", 24)
	if s.size() != 256 {
		t.Fatalf("size %d, want 256", s.size())
	}
	got := allocateAll(t, s)
	if len(got) != 256 || got[0] != "10.244.0.0/24" || got[1] != "10.244.1.0/24" || got[255] != "10.244.255.0/24" {
		t.Fatalf("allocated %d: first %v, last %v", len(got), got[:2], got[len(got)-1])
	}
	seen := map[string]bool{}
	for _, c := range got {
		if seen[c] {
			t.Fatalf("%s allocated twice", c)
		}
		seen[c] = true
	}
}

func TestCIDRSetRoundRobinAndReuse(t *testing.T) {
	s := newSet(t, "10.0.0.0/22", 24)
	a, _ := s.allocate() // 10.0.0.0/24
	_, _ = s.allocate()  // 10.0.1.0/24
	if err := s.release(a); err != nil {
		t.Fatal(err)
	}
	// Round-robin: the released CIDR comes last, after the never-used ones.
	want := []string{"10.0.2.0/24", "10.0.3.0/24", "10.0.0.0/24"}
	if diff := cmp.Diff(want, allocateAll(t, s)); diff != "" {
		t.Errorf("allocations after a release (-want +got):\n%s", diff)
	}
}

func TestCIDRSetOccupy(t *testing.T) {
	tests := []struct {
		name    string
		occupy  []string
		wantErr bool
		want    []string // what is left to allocate
	}{
		{name: "one node CIDR", occupy: []string{"10.0.1.0/24"}, want: []string{"10.0.0.0/24", "10.0.2.0/24", "10.0.3.0/24"}},
		{name: "a larger CIDR covers two", occupy: []string{"10.0.2.0/23"}, want: []string{"10.0.0.0/24", "10.0.1.0/24"}},
		{name: "a smaller CIDR takes its node CIDR", occupy: []string{"10.0.3.128/25"}, want: []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"}},
		{name: "a CIDR around the cluster CIDR takes all", occupy: []string{"10.0.0.0/8"}, want: nil},
		{name: "the same CIDR twice", occupy: []string{"10.0.0.0/24", "10.0.0.0/24"}, want: []string{"10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}},
		{name: "outside", occupy: []string{"192.168.0.0/24"}, wantErr: true, want: []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}},
		{name: "IPv6", occupy: []string{"fd00::/64"}, wantErr: true, want: []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSet(t, "10.0.0.0/22", 24)
			var err error
			for _, c := range tt.occupy {
				err = errors.Join(err, s.occupy(mustCIDR(t, c)))
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("occupy: err %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, errOutOfRange) {
				t.Errorf("err %v, want errOutOfRange", err)
			}
			if diff := cmp.Diff(tt.want, allocateAll(t, s)); diff != "" {
				t.Errorf("left to allocate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCIDRSetReleaseCountsUsers(t *testing.T) {
	s := newSet(t, "10.0.0.0/23", 24)
	c := mustCIDR(t, "10.0.0.0/24")
	_ = s.occupy(c)
	_ = s.occupy(c) // claimed twice (two nodes given the same CIDR by hand)
	_ = s.release(c)
	if got := allocateAll(t, s); len(got) != 1 || got[0] != "10.0.1.0/24" {
		t.Fatalf("after one of two claims is released: allocated %v, want only 10.0.1.0/24", got)
	}
	_ = s.release(c)
	if got := allocateAll(t, s); len(got) != 1 || got[0] != "10.0.0.0/24" {
		t.Fatalf("after both claims are released: allocated %v, want 10.0.0.0/24", got)
	}
	// Releasing what is free changes nothing.
	_ = s.release(mustCIDR(t, "10.0.1.0/24"))
	_ = s.release(mustCIDR(t, "10.0.1.0/24"))
	_ = s.release(mustCIDR(t, "10.0.1.0/24"))
	if got := allocateAll(t, s); len(got) != 1 {
		t.Fatalf("allocated %v, want one CIDR (the free count must not overflow)", got)
	}
}

func TestCIDRSetSmallMasks(t *testing.T) {
	s := newSet(t, "10.0.0.0/30", 32)
	want := []string{"10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"}
	if diff := cmp.Diff(want, allocateAll(t, s)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	one := newSet(t, "10.1.0.0/24", 24)
	if diff := cmp.Diff([]string{"10.1.0.0/24"}, allocateAll(t, one)); diff != "" {
		t.Errorf("node mask = cluster mask (-want +got):\n%s", diff)
	}
}
