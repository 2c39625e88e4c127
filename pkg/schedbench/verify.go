package schedbench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"skiff/pkg/client"
)

// ErrVerify is returned, wrapped with the details, when the scheduler bound
// pods wrongly: twice, to a node that is not one of the run's, or beyond a
// node's pod capacity; or when a pod went missing.
var ErrVerify = errors.New("schedbench: bindings are wrong")

// verify checks, once every pod has been seen bound, what the watch saw and
// what a fresh list says: each pod bound exactly once, where the watch saw it,
// to one of the run's nodes, and no node holding more pods than it has room for.
func (r *run) verify(ctx context.Context, c *client.Client, tr *tracker) error {
	problems, n := tr.trouble()
	problemf := func(format string, args ...any) {
		n++
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	list, err := client.Pods(c, r.id).List(ctx, client.ListOptions{})
	if err != nil {
		return fmt.Errorf("list pods to verify: %w", err)
	}
	seen := make([]bool, r.cfg.Pods)
	perNode := map[string]int{}
	for _, p := range list.Items {
		node := p.Spec.NodeName
		if node != "" {
			perNode[node]++
		}
		if p.Name == tr.probe {
			continue
		}
		i, ok := tr.index[p.Name]
		if !ok {
			problemf("pod %s is not one of the run's", p.Name)
			continue
		}
		seen[i] = true
		switch watched := tr.boundTo(i); {
		case node == "":
			problemf("pod %s is not bound, though a watch saw it bound to %s", p.Name, watched)
		case node != watched:
			problemf("pod %s is bound to %s, though a watch saw it bound to %s", p.Name, node, watched)
		} // where the watch saw it bound, the tracker has checked already
	}
	for i, ok := range seen {
		if !ok {
			problemf("pod %s is missing", r.podName(i))
		}
	}
	var full []string
	for node, count := range perNode {
		if count > podsPerNode {
			full = append(full, fmt.Sprintf("node %s holds %d pods, room for %d", node, count, podsPerNode))
		}
	}
	sort.Strings(full)
	for _, f := range full {
		problemf("%s", f)
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d problem(s): %s", ErrVerify, n, strings.Join(problems, "; "))
}
