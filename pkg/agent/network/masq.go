package network

import (
	"bytes"
	"context"
	"crypto/sha512"
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
// without a CNI DEL). Rules are found by the plugin's comment and deleted by
// number, last first, so the numbers stay valid.
func RemoveAllMasq(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-L", "POSTROUTING", "-n", "--line-numbers").Output()
	if err != nil {
		return fmt.Errorf("iptables -t nat -L POSTROUTING: %w", err)
	}
	marker := fmt.Sprintf("/* name: %q id:", NetworkName)
	var nums, chains []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && strings.Contains(line, marker) && strings.HasPrefix(f[1], "CNI-") {
			nums, chains = append(nums, f[0]), append(chains, f[1])
		}
	}
	var errs []string
	for i := len(nums) - 1; i >= 0; i-- {
		if out, err := exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-D", "POSTROUTING", nums[i]).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Sprintf("iptables -t nat -D POSTROUTING %s: %v: %s", nums[i], err, out))
		}
	}
	for _, chain := range chains {
		exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-F", chain).Run()
		if out, err := exec.CommandContext(ctx, "iptables", "-w", "-t", "nat", "-X", chain).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Sprintf("iptables -t nat -X %s: %v: %s", chain, err, out))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing masquerade rules: %s", strings.Join(errs, "; "))
	}
	return nil
}
