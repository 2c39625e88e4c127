package nodeipam

import (
	"errors"
	"fmt"
	"net"
)

// Defaults of Options (kube-controller-manager's --cluster-cidr is unset by
// default; 10.244.0.0/16 is the range flannel and kubeadm guides use).
const (
	DefaultClusterCIDR      = "10.244.0.0/16"
	DefaultNodeCIDRMaskSize = 24
)

// maxSubnetBits caps how many node CIDRs a cluster CIDR may be cut into (2^16),
// as Kubernetes' cidrset does.
const maxSubnetBits = 16

// Options configure the pod CIDR allocator. Zero values take the defaults.
type Options struct {
	// ClusterCIDR is the IPv4 range pod CIDRs are cut from (--cluster-cidr).
	// Only IPv4 is supported.
	ClusterCIDR string
	// NodeCIDRMaskSize is the prefix length of each node's pod CIDR
	// (--node-cidr-mask-size).
	NodeCIDRMaskSize int
}

func (o Options) withDefaults() Options {
	if o.ClusterCIDR == "" {
		o.ClusterCIDR = DefaultClusterCIDR
	}
	if o.NodeCIDRMaskSize == 0 {
		o.NodeCIDRMaskSize = DefaultNodeCIDRMaskSize
	}
	return o
}

// Validate reports options that cannot work, saying what to fix. Zero values
// are valid (defaults).
func (o Options) Validate() error {
	o = o.withDefaults()
	ip, cidr, err := net.ParseCIDR(o.ClusterCIDR)
	if err != nil {
		return fmt.Errorf("nodeipam: cluster CIDR %q is not a CIDR (like %s)", o.ClusterCIDR, DefaultClusterCIDR)
	}
	var errs []error
	if ip.To4() == nil {
		return fmt.Errorf("nodeipam: cluster CIDR %q is not IPv4: only IPv4 pod networks are supported", o.ClusterCIDR)
	}
	if !ip.Equal(cidr.IP) {
		errs = append(errs, fmt.Errorf("nodeipam: cluster CIDR %q has host bits set: did you mean %s?", o.ClusterCIDR, cidr))
	}
	ones, _ := cidr.Mask.Size()
	switch {
	case o.NodeCIDRMaskSize < ones || o.NodeCIDRMaskSize > 32:
		errs = append(errs, fmt.Errorf("nodeipam: node CIDR mask size %d must be between the cluster CIDR's (%d) and 32", o.NodeCIDRMaskSize, ones))
	case o.NodeCIDRMaskSize-ones > maxSubnetBits:
		errs = append(errs, fmt.Errorf("nodeipam: node CIDR mask size %d cuts %s into more than 2^%d node CIDRs: use a mask size of at most %d",
			o.NodeCIDRMaskSize, cidr, maxSubnetBits, ones+maxSubnetBits))
	}
	return errors.Join(errs...)
}
