package nodelifecycle

import (
	"time"

	"skiff/pkg/api"
)

// t0 is the fake clock's start.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// nodeBuilder builds a Node: makeNode("n1").cond("Ready", "True").obj().
type nodeBuilder struct{ api.Node }

func makeNode(name string) *nodeBuilder {
	return &nodeBuilder{api.Node{TypeMeta: api.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name}}}
}

func (b *nodeBuilder) obj() *api.Node { return &b.Node }

func (b *nodeBuilder) cond(typ, status string) *nodeBuilder {
	b.Status.Conditions = append(b.Status.Conditions, api.NodeCondition{Type: typ, Status: status})
	return b
}

func (b *nodeBuilder) taint(key, effect string, added time.Time) *nodeBuilder {
	t := api.Taint{Key: key, Effect: effect}
	if !added.IsZero() {
		a := api.NewTime(added)
		t.TimeAdded = &a
	}
	b.Spec.Taints = append(b.Spec.Taints, t)
	return b
}

func (b *nodeBuilder) unschedulable() *nodeBuilder { b.Spec.Unschedulable = true; return b }

// podBuilder builds a Pod bound to a node.
type podBuilder struct{ api.Pod }

func makePod(name, node string) *podBuilder {
	return &podBuilder{api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name},
		Spec: api.PodSpec{NodeName: node}}}
}

func (b *podBuilder) obj() *api.Pod { return &b.Pod }

// tolerate adds an Exists toleration for key and effect: for the seconds given,
// or forever without them.
func (b *podBuilder) tolerate(key, effect string, seconds ...int64) *podBuilder {
	t := api.Toleration{Key: key, Operator: api.TolerationOpExists, Effect: effect}
	if len(seconds) > 0 {
		t.TolerationSeconds = &seconds[0]
	}
	b.Spec.Tolerations = append(b.Spec.Tolerations, t)
	return b
}
