package patch

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// describe follows path from s, a field name per step or "[]" for Elem, and reports
// what the schema says about the last step.
type description struct {
	Known    bool // the schema of the value is not nil
	Strategy string
	MergeKey string
}

func describe(s Schema, path ...string) description {
	var d description
	for _, step := range path {
		if s == nil {
			return description{}
		}
		if step == "[]" {
			s, d = s.Elem(), description{}
		} else {
			s, d.Strategy, d.MergeKey = s.Field(step)
		}
	}
	d.Known = s != nil
	return d
}

func TestSchemaFor(t *testing.T) {
	type recursive struct {
		Children []recursive `json:"children" patchStrategy:"merge" patchMergeKey:"id"`
		*recursive
	}
	type shadowing struct {
		testTypeMeta `json:",inline"`
		Kind         []string `json:"kind" patchStrategy:"merge"`
		Hidden       []string `json:"-" patchStrategy:"merge"`
		Untagged     []string `patchStrategy:"merge"`
	}
	tests := []struct {
		name   string
		schema Schema
		path   []string
		want   description
	}{
		{"merge list of objects", podSchema, []string{"spec", "containers"}, description{true, "merge", "name"}},
		{"list items", podSchema, []string{"spec", "containers", "[]", "env"}, description{true, "merge", "name"}},
		{"numeric merge key", podSchema, []string{"spec", "containers", "[]", "ports"}, description{true, "merge", "containerPort"}},
		{"strategy combination", podSchema, []string{"spec", "volumes"}, description{true, "merge,retainKeys", "name"}},
		{"inline struct fields are promoted", podSchema, []string{"spec", "volumes", "[]", "hostPath"}, description{Known: true}},
		{"embedded struct with a json name is a member", podSchema, []string{"metadata", "finalizers"}, description{true, "merge", ""}},
		{"... and is not promoted", podSchema, []string{"finalizers"}, description{}},
		{"replaced list", podSchema, []string{"spec", "tolerations"}, description{Known: true}},
		{"pointer field", podSchema, []string{"spec", "affinity"}, description{true, "replace", ""}},
		{"map values", podSchema, []string{"metadata", "labels", "app"}, description{}},
		{"map of anything", podSchema, []string{"spec", "containers", "[]", "limits", "cpu"}, description{}},
		{"scalar", podSchema, []string{"spec", "containers", "[]", "image"}, description{}},
		{"type with MarshalJSON is opaque", podSchema, []string{"metadata", "creationTimestamp"}, description{}},
		{"unexported field", podSchema, []string{"spec", "containers", "[]", "private"}, description{}},
		{"unknown field", podSchema, []string{"spec", "nope"}, description{}},
		{"pointer to the top type", deploymentSchema, []string{"spec", "template", "spec", "containers"}, description{true, "merge", "name"}},
		{"recursive type", SchemaFor(reflect.TypeFor[recursive]()), []string{"children", "[]", "children", "[]", "children"}, description{true, "merge", "id"}},
		{"own field wins over a promoted one", SchemaFor(reflect.TypeFor[shadowing]()), []string{"kind"}, description{true, "merge", ""}},
		{"json:\"-\" is skipped", SchemaFor(reflect.TypeFor[shadowing]()), []string{"Hidden"}, description{}},
		{"untagged field uses its Go name", SchemaFor(reflect.TypeFor[shadowing]()), []string{"Untagged"}, description{true, "merge", ""}},
		{"map type", SchemaFor(reflect.TypeFor[map[string]testContainer]()), []string{"web", "env"}, description{true, "merge", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, describe(tt.schema, tt.path...)); diff != "" {
				t.Errorf("path %v (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestSchemaForOpaqueTypes(t *testing.T) {
	for _, typ := range []reflect.Type{
		nil,
		reflect.TypeFor[string](),
		reflect.TypeFor[*int](),
		reflect.TypeFor[[]byte](),
		reflect.TypeFor[json.RawMessage](),
		reflect.TypeFor[any](),
	} {
		if s := SchemaFor(typ); s != nil {
			t.Errorf("SchemaFor(%v) = %v, want nil", typ, s)
		}
	}
}

func TestSchemaForIsCachedAndSafeForConcurrentUse(t *testing.T) {
	type fresh struct {
		List []testContainer `json:"list" patchStrategy:"merge" patchMergeKey:"name"`
	}
	typ := reflect.TypeFor[fresh]()
	var wg sync.WaitGroup
	got := make([]Schema, 8)
	for i := range got {
		wg.Go(func() {
			got[i] = SchemaFor(typ)
			if d := describe(got[i], "list", "[]", "env"); d.MergeKey != "name" {
				t.Errorf("env merge key = %q, want name", d.MergeKey)
			}
		})
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatal("SchemaFor returned different schemas for one type")
		}
	}
}
