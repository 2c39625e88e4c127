package nodeipam_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	"skiff/pkg/client"
	"skiff/pkg/controller/controllertest"
	"skiff/pkg/controller/nodeipam"
)

// startAllocator runs the allocator on the controller-manager's credentials
// until the test ends.
func startAllocator(t *testing.T, s *apiservertest.Server, opts nodeipam.Options) {
	t.Helper()
	cc := controllertest.NewContext(t, s)
	ctl, err := nodeipam.New(cc, opts)
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Start(t, cc, ctl)
}

func createNode(t *testing.T, c *client.Client, name, podCIDR string) {
	t.Helper()
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name}, Spec: api.NodeSpec{PodCIDR: podCIDR}}
	if podCIDR != "" {
		n.Spec.PodCIDRs = []string{podCIDR}
	}
	if _, err := client.Nodes(c).Create(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

// waitCIDR waits until the node has a pod CIDR and returns it.
func waitCIDR(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	var n *api.Node
	controllertest.WaitForWithin(t, 10*time.Second, "a pod CIDR for node "+name, func() (bool, error) {
		var err error
		n, err = client.Nodes(c).Get(context.Background(), name)
		return err == nil && n.Spec.PodCIDR != "", err
	})
	if len(n.Spec.PodCIDRs) != 1 || n.Spec.PodCIDRs[0] != n.Spec.PodCIDR {
		t.Errorf("node %s: podCIDR %s, podCIDRs %v; want the same single CIDR", name, n.Spec.PodCIDR, n.Spec.PodCIDRs)
	}
	return n.Spec.PodCIDR
}

func TestNodesGetDistinctCIDRsAndReuseReleasedOnes(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	// A node that already holds a CIDR from before the (re)start.
	createNode(t, s.Client, "old", "10.250.1.0/24")
	startAllocator(t, s, nodeipam.Options{ClusterCIDR: "10.250.0.0/22", NodeCIDRMaskSize: 24}) // four /24s

	seen := map[string]string{"10.250.1.0/24": "old"}
	for _, name := range []string{"n1", "n2", "n3"} {
		createNode(t, s.Client, name, "")
	}
	for _, name := range []string{"n1", "n2", "n3"} {
		cidr := waitCIDR(t, s.Client, name)
		if other, dup := seen[cidr]; dup {
			t.Fatalf("node %s got %s, already %s's", name, cidr, other)
		}
		if !strings.HasPrefix(cidr, "10.250.") || !strings.HasSuffix(cidr, "/24") {
			t.Errorf("node %s got %s, want a /24 of 10.250.0.0/22", name, cidr)
		}
		seen[cidr] = name
	}
	if n, _ := client.Nodes(s.Client).Get(ctx, "old"); n.Spec.PodCIDR != "10.250.1.0/24" {
		t.Errorf("node old: podCIDR changed to %s", n.Spec.PodCIDR)
	}

	// The range is full: n4 waits, and is told why.
	createNode(t, s.Client, "n4", "")
	var events []*api.Event
	controllertest.WaitForWithin(t, 10*time.Second, "a CIDRNotAvailable event for n4", func() (bool, error) {
		var err error
		events, err = controllertest.EventsAbout(ctx, s.Client, "default", "n4", nodeipam.ReasonCIDRNotAvailable)
		return len(events) > 0, err
	})
	if events[0].Type != "Warning" {
		t.Errorf("CIDRNotAvailable event of type %s, want Warning", events[0].Type)
	}
	if n, _ := client.Nodes(s.Client).Get(ctx, "n4"); n.Spec.PodCIDR != "" {
		t.Fatalf("n4 got %s from a full range", n.Spec.PodCIDR)
	}

	// n2 goes; its CIDR is reused for n4.
	var n2CIDR string
	for cidr, name := range seen {
		if name == "n2" {
			n2CIDR = cidr
		}
	}
	if err := client.Nodes(s.Client).Delete(ctx, "n2", nil); err != nil {
		t.Fatal(err)
	}
	if got := waitCIDR(t, s.Client, "n4"); got != n2CIDR {
		t.Errorf("n4 got %s, want the deleted n2's %s", got, n2CIDR)
	}
}

func TestRestartDoesNotReassign(t *testing.T) {
	s := apiservertest.Start(t)
	opts := nodeipam.Options{ClusterCIDR: "10.251.0.0/16"}
	held := map[string]string{}
	t.Run("first allocator", func(t *testing.T) { // stops when the subtest ends
		startAllocator(t, s, opts)
		for _, name := range []string{"a", "b", "c"} {
			createNode(t, s.Client, name, "")
			held[waitCIDR(t, s.Client, name)] = name
		}
	})
	// A second one, started afresh, must count them before assigning.
	startAllocator(t, s, opts)
	createNode(t, s.Client, "d", "")
	if d := waitCIDR(t, s.Client, "d"); held[d] != "" {
		t.Fatalf("node d got %s, already node %s's", d, held[d])
	}
}
