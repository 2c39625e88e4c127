package garbagecollector

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestPlanDependent(t *testing.T) {
	v := func(uid string, st ownerState) verdict { return verdict{ref: api.OwnerReference{UID: uid}, state: st} }
	del := func(policy string) plan { return plan{op: opDelete, policy: policy} }
	for _, tc := range []struct {
		name          string
		verdicts      []verdict
		hasDependents bool
		finalizers    []string
		want          plan
	}{
		{name: "no owners", want: plan{}},
		{name: "owner present", verdicts: []verdict{v("a", ownerPresent)}, want: plan{}},
		{name: "owner gone", verdicts: []verdict{v("a", ownerAbsent)}, want: del(api.DeletePropagationBackground)},
		{name: "owner gone, dependent has dependents of its own", verdicts: []verdict{v("a", ownerAbsent)}, hasDependents: true,
			want: del(api.DeletePropagationBackground)},
		{name: "owner gone, an earlier delete asked to orphan", verdicts: []verdict{v("a", ownerAbsent)},
			finalizers: []string{"example.com/x", api.FinalizerOrphanDependents}, want: del(api.DeletePropagationOrphan)},
		{name: "owner gone, an earlier delete asked for foreground", verdicts: []verdict{v("a", ownerAbsent)},
			finalizers: []string{api.FinalizerDeleteDependents}, want: del(api.DeletePropagationForeground)},
		{name: "all owners gone", verdicts: []verdict{v("a", ownerAbsent), v("b", ownerAbsent)}, want: del(api.DeletePropagationBackground)},
		{name: "one of two owners gone", verdicts: []verdict{v("a", ownerAbsent), v("b", ownerPresent)},
			want: plan{op: opRemoveOwnerRefs, owners: []string{"a"}}},
		{name: "one owner present, one deleting its dependents", verdicts: []verdict{v("a", ownerPresent), v("b", ownerDeletingDependents), v("c", ownerAbsent)},
			want: plan{op: opRemoveOwnerRefs, owners: []string{"b", "c"}}},
		{name: "owner deleting its dependents", verdicts: []verdict{v("a", ownerDeletingDependents)}, want: del(api.DeletePropagationBackground)},
		{name: "owner deleting its dependents, dependent has its own", verdicts: []verdict{v("a", ownerDeletingDependents)}, hasDependents: true,
			want: del(api.DeletePropagationForeground)},
		{name: "owners gone and deleting dependents, dependent has its own", verdicts: []verdict{v("a", ownerAbsent), v("b", ownerDeletingDependents)},
			hasDependents: true, finalizers: []string{api.FinalizerOrphanDependents}, want: del(api.DeletePropagationForeground)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := planDependent(tc.verdicts, tc.hasDependents, tc.finalizers)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(plan{})); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBlockingDependents(t *testing.T) {
	n := nodeView{dependents: []dependentView{
		{ref: objectRef{UID: "a"}, blocking: true},
		{ref: objectRef{UID: "b"}},
		{ref: objectRef{UID: "c"}, blocking: true, deletingDependents: true},
	}}
	var got []string
	for _, d := range blockingDependents(n) {
		got = append(got, d.ref.UID)
	}
	if diff := cmp.Diff([]string{"a", "c"}, got); diff != "" {
		t.Errorf("blocking dependents (-want +got):\n%s", diff)
	}
}

func TestWithoutOwners(t *testing.T) {
	refs := []api.OwnerReference{{UID: "a", Name: "x"}, {UID: "b", Name: "y"}}
	got, changed := withoutOwners(refs, "a")
	if !changed || !cmp.Equal(got, []api.OwnerReference{{UID: "b", Name: "y"}}) {
		t.Errorf("withoutOwners(a) = %v, %v", got, changed)
	}
	if _, changed := withoutOwners(refs, "z"); changed {
		t.Errorf("withoutOwners(z) changed the list")
	}
	if len(refs) != 2 || refs[0].UID != "a" {
		t.Errorf("withoutOwners changed its argument: %v", refs)
	}
	if got, had := without([]string{"x", "orphan"}, "orphan"); !had || !cmp.Equal(got, []string{"x"}) {
		t.Errorf("without = %v, %v", got, had)
	}
}
