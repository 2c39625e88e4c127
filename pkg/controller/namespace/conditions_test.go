package namespace

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestConditions(t *testing.T) {
	type cond struct{ Type, Status, Reason, Message string }
	brief := func(cs []api.NamespaceCondition) []cond {
		var out []cond
		for _, c := range cs {
			out = append(out, cond{c.Type, c.Status, c.Reason, c.Message})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		content content
		want    []cond
	}{{
		name:    "all gone",
		content: content{remaining: map[string]int{}, finalizers: map[string]int{}},
		want: []cond{
			{ConditionDiscoveryFailure, "False", "ResourcesDiscovered", "All resources successfully discovered"},
			{ConditionContentFailure, "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"},
			{ConditionContentRemaining, "False", "ContentRemoved", "All content successfully removed"},
			{ConditionFinalizersRemaining, "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished"},
		},
	}, {
		name: "some remain, some failed",
		content: content{
			discoveryErr: errors.New("metadata: discovery of /apis/x/v1: boom"),
			deleteErrs:   []error{errors.New("secrets: forbidden")},
			remaining:    map[string]int{"pods": 2, "configmaps": 1},
			finalizers:   map[string]int{"example.com/hold": 1},
		},
		want: []cond{
			{ConditionDiscoveryFailure, "True", "DiscoveryFailed", "Discovery failed for some groups: metadata: discovery of /apis/x/v1: boom"},
			{ConditionContentFailure, "True", "ContentDeletionFailed", "Failed to delete all resource types, 1 remaining: secrets: forbidden"},
			{ConditionContentRemaining, "True", "SomeResourcesRemain", "Some resources are remaining: configmaps has 1 resource instances, pods has 2 resource instances"},
			{ConditionFinalizersRemaining, "True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, brief(conditions(tc.content))); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeConditions(t *testing.T) {
	t0 := api.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := api.NewTime(t0.Add(time.Minute))
	have := []api.NamespaceCondition{
		{Type: "Other", Status: "True", LastTransitionTime: t0},
		{Type: ConditionContentRemaining, Status: "True", Reason: "SomeResourcesRemain", Message: "pods has 2", LastTransitionTime: t0},
		{Type: ConditionFinalizersRemaining, Status: "True", Reason: "SomeFinalizersRemain", Message: "x", LastTransitionTime: t0},
	}
	// Same: nothing changes.
	if _, changed := mergeConditions(have, have[1:], t1); changed {
		t.Errorf("merging the same conditions reported a change")
	}
	got, changed := mergeConditions(have, []api.NamespaceCondition{
		{Type: ConditionContentRemaining, Status: "True", Reason: "SomeResourcesRemain", Message: "pods has 1"},
		{Type: ConditionFinalizersRemaining, Status: "False", Reason: "ContentHasNoFinalizers"},
		{Type: ConditionDiscoveryFailure, Status: "False", Reason: "ResourcesDiscovered"},
	}, t1)
	want := []api.NamespaceCondition{
		{Type: "Other", Status: "True", LastTransitionTime: t0},
		{Type: ConditionContentRemaining, Status: "True", Reason: "SomeResourcesRemain", Message: "pods has 1", LastTransitionTime: t0},
		{Type: ConditionFinalizersRemaining, Status: "False", Reason: "ContentHasNoFinalizers", LastTransitionTime: t1},
		{Type: ConditionDiscoveryFailure, Status: "False", Reason: "ResourcesDiscovered", LastTransitionTime: t1},
	}
	if !changed {
		t.Errorf("no change reported")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if have[1].Message != "pods has 2" {
		t.Errorf("mergeConditions changed its argument")
	}
}
