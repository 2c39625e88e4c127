package scheduler

import (
	"testing"

	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := newCache()
	c.AddNode(st.MakeNode().Name("n1").Capacity(map[string]string{"cpu": "2"}).Obj())
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	if snap.NumNodes() != 1 || len(snap.Get("n1").Pods) != 0 {
		t.Fatalf("snapshot: %d nodes", snap.NumNodes())
	}
	before := snap.Get("n1")

	pod := st.MakePod().Name("a").Req(map[string]string{"cpu": "1"}).Node("n1").Obj()
	c.AssumePod(pod)
	c.UpdateSnapshot(snap)
	if got := snap.Get("n1").Requested.MilliCPU; got != 1000 {
		t.Errorf("assumed pod: requested %dm, want 1000m", got)
	}
	if len(before.Pods) != 0 {
		t.Error("the previous snapshot's NodeInfo was changed in place")
	}
	if !c.IsAssumedOrBound(pod) {
		t.Error("assumed pod not known")
	}

	// The informer confirms the binding: still counted once.
	bound := st.MakePod().Name("a").Req(map[string]string{"cpu": "1"}).Node("n1").Obj()
	bound.ResourceVersion = "5"
	c.SetPod(bound)
	c.UpdateSnapshot(snap)
	if got := snap.Get("n1").Requested.MilliCPU; got != 1000 || len(snap.Get("n1").Pods) != 1 {
		t.Errorf("confirmed pod: requested %dm on %d pods", got, len(snap.Get("n1").Pods))
	}
	// ForgetPod only undoes assumptions, never confirmed pods.
	c.ForgetPod(bound)
	c.UpdateSnapshot(snap)
	if len(snap.Get("n1").Pods) != 1 {
		t.Error("ForgetPod removed a bound pod")
	}

	other := st.MakePod().Name("b").Req(map[string]string{"cpu": "1"}).Node("n1").Obj()
	c.AssumePod(other)
	c.ForgetPod(other)
	c.UpdateSnapshot(snap)
	if got := snap.Get("n1").Requested.MilliCPU; got != 1000 {
		t.Errorf("after forgetting: requested %dm, want 1000m", got)
	}
}

func TestCacheNodesAndFinishedPods(t *testing.T) {
	c := newCache()
	// A pod may arrive before its node.
	c.SetPod(st.MakePod().Name("early").Node("n2").Obj())
	c.AddNode(st.MakeNode().Name("n1").Obj())
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	if snap.NumNodes() != 1 || snap.Get("n2") != nil {
		t.Fatalf("a node without its Node object is in the snapshot")
	}
	c.AddNode(st.MakeNode().Name("n2").Obj())
	c.UpdateSnapshot(snap)
	if ni := snap.Get("n2"); ni == nil || len(ni.Pods) != 1 {
		t.Fatalf("n2 should have the early pod: %+v", ni)
	}
	done := st.MakePod().Name("early").Node("n2").Obj()
	done.Status.Phase = "Succeeded"
	c.SetPod(done)
	c.RemoveNode(st.MakeNode().Name("n1").Obj())
	c.UpdateSnapshot(snap)
	if snap.NumNodes() != 1 || len(snap.Get("n2").Pods) != 0 {
		t.Errorf("after finishing a pod and removing n1: %d nodes, n2 has %d pods", snap.NumNodes(), len(snap.Get("n2").Pods))
	}
}
