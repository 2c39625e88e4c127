package nodeipam

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
)

var (
	// errRangeFull: every node CIDR of the cluster CIDR is in use.
	errRangeFull = errors.New("nodeipam: no pod CIDR left in the cluster CIDR")
	// errOutOfRange: a CIDR does not overlap the cluster CIDR (or is not IPv4).
	errOutOfRange = errors.New("nodeipam: CIDR is outside the cluster CIDR")
)

// cidrSet cuts an IPv4 cluster CIDR into node CIDRs of one size and counts the
// users of each, so a CIDR claimed twice (by hand, say) is free only when both
// claims are gone. It allocates round-robin from after the last allocation, as
// Kubernetes' cidrset does, so a just-released CIDR is not handed out again
// until the others have been. Not safe for concurrent use.
type cidrSet struct {
	cluster  *net.IPNet
	base     uint32 // the cluster CIDR's first address
	maskSize int    // prefix length of a node CIDR
	users    []uint32
	free     int // node CIDRs with no user
	next     int // where the next allocation starts looking
}

// newCIDRSet cuts cluster (IPv4) into node CIDRs with maskSize; the caller has
// validated both.
func newCIDRSet(cluster *net.IPNet, maskSize int) (*cidrSet, error) {
	ip := cluster.IP.To4()
	ones, bits := cluster.Mask.Size()
	if ip == nil || bits != 32 || maskSize < ones || maskSize > 32 || maskSize-ones > maxSubnetBits {
		return nil, fmt.Errorf("nodeipam: cannot cut %s into /%d CIDRs", cluster, maskSize)
	}
	n := 1 << (maskSize - ones)
	return &cidrSet{cluster: cluster, base: binary.BigEndian.Uint32(ip), maskSize: maskSize, users: make([]uint32, n), free: n}, nil
}

// size is the number of node CIDRs.
func (s *cidrSet) size() int { return len(s.users) }

// cidr returns the node CIDR with index i.
func (s *cidrSet) cidr(i int) *net.IPNet {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, s.base+uint32(i)<<(32-s.maskSize))
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(s.maskSize, 32)}
}

// allocate takes the next free node CIDR, or returns errRangeFull.
func (s *cidrSet) allocate() (*net.IPNet, error) {
	if s.free == 0 {
		return nil, errRangeFull
	}
	for k := range s.users {
		i := (s.next + k) % len(s.users)
		if s.users[i] == 0 {
			s.users[i] = 1
			s.free--
			s.next = (i + 1) % len(s.users)
			return s.cidr(i), nil
		}
	}
	return nil, errRangeFull // unreachable while free is right
}

// occupy counts a user of every node CIDR that c overlaps: c may be larger or
// smaller than a node CIDR.
func (s *cidrSet) occupy(c *net.IPNet) error {
	begin, end, err := s.indexRange(c)
	if err != nil {
		return err
	}
	for i := begin; i <= end; i++ {
		if s.users[i] == 0 {
			s.free--
		}
		s.users[i]++
	}
	return nil
}

// release drops one user of every node CIDR that c overlaps.
func (s *cidrSet) release(c *net.IPNet) error {
	begin, end, err := s.indexRange(c)
	if err != nil {
		return err
	}
	for i := begin; i <= end; i++ {
		if s.users[i] == 0 {
			continue
		}
		s.users[i]--
		if s.users[i] == 0 {
			s.free++
		}
	}
	return nil
}

// indexRange returns the first and last index of the node CIDRs c overlaps.
func (s *cidrSet) indexRange(c *net.IPNet) (begin, end int, err error) {
	ip := c.IP.To4()
	ones, bits := c.Mask.Size()
	if ip == nil || bits != 32 {
		return 0, 0, fmt.Errorf("%w: %s is not IPv4", errOutOfRange, c)
	}
	clusterOnes, _ := s.cluster.Mask.Size()
	if !s.cluster.Contains(ip) && !c.Contains(s.cluster.IP) {
		return 0, 0, fmt.Errorf("%w: %s does not overlap %s", errOutOfRange, c, s.cluster)
	}
	if ones <= clusterOnes { // c covers the whole cluster CIDR
		return 0, len(s.users) - 1, nil
	}
	first := binary.BigEndian.Uint32(ip.Mask(c.Mask))
	last := first | ^binary.BigEndian.Uint32(net.IP(c.Mask).To4())
	shift := 32 - s.maskSize
	return int((first - s.base) >> shift), int((last - s.base) >> shift), nil
}
