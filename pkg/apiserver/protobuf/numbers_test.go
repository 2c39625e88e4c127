package protobuf

import (
	"reflect"
	"slices"
	"sort"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"skiff/pkg/api"
)

// kinds are the Skiff types a protobuf body may be decoded into.
var kinds = []any{
	api.Namespace{}, api.Node{}, api.Pod{}, api.Binding{}, api.Event{},
	api.ConfigMap{}, api.Secret{}, api.ServiceAccount{}, api.Service{},
	api.Endpoints{}, api.Lease{}, api.ReplicaSet{}, api.Deployment{},
	api.Scale{}, api.DeleteOptions{},
	api.LimitRange{}, api.ResourceQuota{},
	api.Role{}, api.ClusterRole{}, api.RoleBinding{}, api.ClusterRoleBinding{},
	api.TokenRequest{}, api.TokenReview{}, api.SelfSubjectReview{},
	api.SelfSubjectAccessReview{}, api.SubjectAccessReview{},
	api.SelfSubjectRulesReview{}, // LocalSubjectAccessReview decodes into SubjectAccessReview
	api.PriorityClass{},
	api.CertificateSigningRequest{},
}

// skiffStructs returns the struct types reachable from kinds, leaving out the special
// types, by name.
func skiffStructs() map[string]reflect.Type {
	seen := map[string]reflect.Type{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for _, ok := specials[t]; !ok && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map); _, ok = specials[t] {
			t = t.Elem()
		}
		if _, ok := specials[t]; ok || t.Kind() != reflect.Struct || t == reflect.TypeFor[api.TypeMeta]() || seen[t.Name()] != nil {
			return
		}
		seen[t.Name()] = t
		for i := range t.NumField() {
			visit(t.Field(i).Type)
		}
	}
	for _, k := range kinds {
		visit(reflect.TypeOf(k))
	}
	return seen
}

// wireOf is the wire type a value of Go type t is read from, or -1 when Decode
// cannot read it.
func wireOf(t reflect.Type) protowire.Type {
	if _, ok := specials[t]; ok {
		return protowire.BytesType
	}
	switch t.Kind() {
	case reflect.Pointer:
		return wireOf(t.Elem())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return protowire.BytesType
		}
		return wireOf(t.Elem())
	case reflect.Struct, reflect.Map, reflect.String:
		return protowire.BytesType
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return protowire.VarintType
	}
	return -1
}

// TestEverySkiffFieldHasANumber checks that Decode can fill in every field of every
// Skiff type it may be asked for: each has a Kubernetes field number with a wire type
// that fits its Go type. A failure means pkg/api gained a field or type that needs an
// entry in names.go, or a regenerated table.
func TestEverySkiffFieldHasANumber(t *testing.T) {
	for name, st := range skiffStructs() {
		t.Run(name, func(t *testing.T) {
			fields, ok := k8sFields[k8sTypeName(st)]
			if !ok {
				t.Fatalf("no Kubernetes type %q in k8sFields; add it to typeRenames or the generator's roots", k8sTypeName(st))
			}
			byName := map[string]field{}
			for _, f := range fields {
				byName[skiffFieldName(st, f.name)] = f
			}
			for i := range st.NumField() {
				sf := st.Field(i)
				if sf.Type == reflect.TypeFor[api.TypeMeta]() {
					continue // carried by the envelope
				}
				f, ok := byName[sf.Name]
				if !ok {
					t.Errorf("field %s has no protobuf number; add it to fieldRenames", sf.Name)
					continue
				}
				if got := wireOf(sf.Type); got != f.wire {
					t.Errorf("field %s: Go type %s reads wire type %d, Kubernetes writes %d", sf.Name, sf.Type, got, f.wire)
				}
			}
		})
	}
}

// TestKubernetesFieldsSkiffLacks lists, with -v, the fields of Kubernetes types that
// Skiff's types leave out; Decode skips them.
func TestKubernetesFieldsSkiffLacks(t *testing.T) {
	structs := skiffStructs()
	names := make([]string, 0, len(structs))
	for n := range structs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := structs[n]
		var missing []string
		for _, f := range k8sFields[k8sTypeName(st)] {
			if sf, ok := st.FieldByName(skiffFieldName(st, f.name)); !ok || len(sf.Index) != 1 {
				missing = append(missing, f.name)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Logf("%s lacks %v", n, missing)
		}
	}
}
