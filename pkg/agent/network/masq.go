package network

import (
	"bytes"
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// removeMasq removes the bridge plugin's masquerade rules for a pod whose
// network namespace is gone. The bridge plugin (1.1.1) finds the addresses to
// unmasquerade on the pod's interface, so without the namespace it releases
// the IP but leaves its rules in the nat table. The chain name and comment
// follow the plugins' pkg/utils FormatChainName and FormatComment. Best
// effort: failures are logged.
func (c *CNI) removeMasq(ctx context.Context, containerID string, ips []netip.Prefix) {
	chain := masqChain(NetworkName, containerID)
	comment := fmt.Sprintf("name: %q id: %q", NetworkName, containerID)
	tables := map[string]bool{}
	for _, ip := range ips {
		ipt := "iptables"
		if ip.Addr().Is6() {
			ipt = "ip6tables"
		}
		tables[ipt] = true
		// The plugin has written the source both as an address and as a prefix.
		for _, src := range []string{ip.Addr().String(), ip.String()} {
			c.iptables(ctx, ipt, "-D", "POSTROUTING", "-s", src, "-j", chain, "-m", "comment", "--comment", comment)
		}
	}
	for ipt := range tables {
		c.iptables(ctx, ipt, "-F", chain)
		c.iptables(ctx, ipt, "-X", chain)
	}
}

// iptables runs one command on the nat table, ignoring "not there" errors.
func (c *CNI) iptables(ctx context.Context, ipt string, args ...string) {
	args = append([]string{"-w", "-t", "nat"}, args...)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, ipt, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "No chain/target/match") || strings.Contains(msg, "Bad rule") {
			return
		}
		c.log.Warn("removing masquerade rule", "command", ipt+" "+strings.Join(args, " "), "err", err, "stderr", strings.TrimSpace(msg))
	}
}

// masqChain is the bridge plugin's per-pod masquerade chain:
// "CNI-" and the hex SHA-512 of network name and container ID, 28 characters.
func masqChain(network, containerID string) string {
	sum := sha512.Sum512([]byte(network + containerID))
	return fmt.Sprintf("CNI-%x", sum)[:28]
}

// RemoveAllMasq removes the bridge plugin's masquerade rules and chains of
// every pod of Skiff's network (nodeagent reset, when the pods are gone
// without a CNI DEL; agents before the node-wide chain set ipMasq). Rules are
// found by the plugin's comment.
func RemoveAllMasq(ctx context.Context) error {
	marker := fmt.Sprintf("/* name: %q id:", NetworkName)
	chains, err := removePostrouting(ctx, func(target, line string) bool {
		return strings.HasPrefix(target, "CNI-") && strings.Contains(line, marker)
	})
	errs := []error{err}
	for _, chain := range chains {
		iptablesNAT(ctx, "-F", chain)
		if _, err := iptablesNAT(ctx, "-X", chain); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing masquerade rules: %w", err)
	}
	return nil
}
