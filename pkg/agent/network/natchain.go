package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// Skiff keeps its own nat rules in chains of its own, each entered from
// POSTROUTING by one jump for the node's pod CIDR, so they can be rebuilt
// and removed without touching anyone else's rules.

// iptablesNAT runs iptables on the nat table and returns its stderr.
func iptablesNAT(ctx context.Context, args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "iptables", append([]string{"-w", "-t", "nat"}, args...)...)
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		return stderr.String(), fmt.Errorf("iptables -t nat %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stderr.String(), nil
}

// syncNATChain makes chain hold exactly rules, entered from POSTROUTING for
// traffic from podCIDR (first in POSTROUTING when first, else last). A jump
// for another pod CIDR (the node's old one) is removed.
func syncNATChain(ctx context.Context, chain string, first bool, podCIDR netip.Prefix, comment string, rules [][]string) error {
	if msg, err := iptablesNAT(ctx, "-N", chain); err != nil && !strings.Contains(msg, "exists") {
		return err
	}
	jump := []string{"POSTROUTING", "-s", podCIDR.String(), "-j", chain, "-m", "comment", "--comment", comment}
	if _, err := iptablesNAT(ctx, append([]string{"-C"}, jump...)...); err != nil {
		if err := removeJumps(ctx, chain); err != nil {
			return err
		}
		op := "-A"
		if first {
			op = "-I"
		}
		if _, err := iptablesNAT(ctx, append([]string{op}, jump...)...); err != nil {
			return err
		}
	}
	if _, err := iptablesNAT(ctx, "-F", chain); err != nil {
		return err
	}
	for _, r := range rules {
		if _, err := iptablesNAT(ctx, append([]string{"-A", chain}, r...)...); err != nil {
			return err
		}
	}
	return nil
}

// removeJumps deletes the POSTROUTING rules that jump to chain.
func removeJumps(ctx context.Context, chain string) error {
	_, err := removePostrouting(ctx, func(target, _ string) bool { return target == chain })
	return err
}

// removePostrouting deletes the nat POSTROUTING rules that match (given each
// rule's target and its line in `iptables -L`), by number, last first, so the
// numbers stay valid; it returns the targets of the rules it deleted.
func removePostrouting(ctx context.Context, match func(target, line string) bool) ([]string, error) {
	out, err := exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-L", "POSTROUTING", "-n", "--line-numbers").Output()
	if err != nil {
		return nil, fmt.Errorf("iptables -t nat -L POSTROUTING: %w", err)
	}
	var nums, targets []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && match(f[1], line) {
			nums, targets = append(nums, f[0]), append(targets, f[1])
		}
	}
	var errs []error
	for i := len(nums) - 1; i >= 0; i-- {
		if _, err := iptablesNAT(ctx, "-D", "POSTROUTING", nums[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return targets, errors.Join(errs...)
}

// removeNATChain deletes chain and the jumps to it, if they exist.
func removeNATChain(ctx context.Context, chain string) error {
	if err := removeJumps(ctx, chain); err != nil {
		return err
	}
	iptablesNAT(ctx, "-F", chain)
	if msg, err := iptablesNAT(ctx, "-X", chain); err != nil && !strings.Contains(msg, "No chain") && !strings.Contains(msg, "does not exist") {
		return err
	}
	return nil
}

// nodeMasqChain is where the node masquerades its pods' traffic that leaves the
// node for anything outside the pod CIDR (and not multicast); pod-to-pod
// traffic between nodes is accepted earlier, in SKIFF-HOSTGW.
const nodeMasqChain = "SKIFF-MASQ"

// EnsureMasquerade installs the node's masquerade rules for its pod CIDR:
// one chain for all pods, instead of the bridge plugin's chain per pod (which
// costs several iptables runs per pod start and stop). Call it in the node's
// network namespace after New and after SetPodCIDR.
func (c *CNI) EnsureMasquerade(ctx context.Context) error {
	cidr := netip.MustParsePrefix(c.PodCIDR())
	return syncNATChain(ctx, nodeMasqChain, false, cidr, "skiff: masquerade pod traffic leaving the node", [][]string{
		{"-d", cidr.String(), "-j", "RETURN"},
		{"-d", "224.0.0.0/4", "-j", "RETURN"},
		{"-j", "MASQUERADE"},
	})
}

// RemoveMasquerade removes what EnsureMasquerade installed (nodeagent reset).
func RemoveMasquerade(ctx context.Context) error {
	return removeNATChain(ctx, nodeMasqChain)
}
