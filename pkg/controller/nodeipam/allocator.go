package nodeipam

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
)

// allocator is the cluster's pod-CIDR book: which CIDRs each node holds, on top
// of a cidrSet. It is safe for concurrent use.
type allocator struct {
	mu    sync.Mutex
	set   *cidrSet
	owned map[string][]string // node → the CIDRs counted as its (held or being assigned)
}

func newAllocator(set *cidrSet) *allocator {
	return &allocator{set: set, owned: map[string][]string{}}
}

// occupy records that node holds cidrs (its spec.podCIDRs), releasing whatever
// it was recorded with before. Recording the same CIDRs again does nothing.
// CIDRs outside the cluster CIDR are recorded but use nothing; the error names
// them.
func (a *allocator) occupy(node string, cidrs []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Equal(a.owned[node], cidrs) {
		return nil
	}
	a.releaseLocked(node)
	a.owned[node] = slices.Clone(cidrs)
	var errs []error
	for _, c := range cidrs {
		_, ipnet, err := net.ParseCIDR(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %q is not a CIDR", errOutOfRange, c))
			continue
		}
		if err := a.set.occupy(ipnet); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// allocate returns a CIDR for node: the one it was already given (an
// assignment not yet seen back from the apiserver), or a new one; errRangeFull
// when none is free.
func (a *allocator) allocate(node string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cidrs := a.owned[node]; len(cidrs) > 0 {
		return cidrs[0], nil
	}
	ipnet, err := a.set.allocate()
	if err != nil {
		return "", err
	}
	c := ipnet.String()
	a.owned[node] = []string{c}
	return c, nil
}

// release frees the node's CIDRs (a deleted node) and returns them.
func (a *allocator) release(node string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.releaseLocked(node)
}

func (a *allocator) releaseLocked(node string) []string {
	cidrs := a.owned[node]
	delete(a.owned, node)
	for _, c := range cidrs {
		if _, ipnet, err := net.ParseCIDR(c); err == nil {
			_ = a.set.release(ipnet) // out of range: it was never counted
		}
	}
	return cidrs
}
