package patch

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Schema describes one level of a document for strategic merge patch: how the lists in
// it merge. A nil Schema means no knowledge: lists are replaced, objects merged.
// Implementations must be safe for concurrent use.
type Schema interface {
	// Field describes the member called name (its JSON name) of an object at this
	// level. sub is the schema of the member's value, nil if unknown. strategy is the
	// member's patchStrategy as Kubernetes writes it in struct tags: "merge", "replace",
	// "retainKeys" or a comma-separated mix such as "merge,retainKeys"; empty means
	// the default (lists are replaced, objects merged). mergeKey is the patchMergeKey:
	// the member that identifies the objects of a merged list; it is empty for a
	// merged list of primitives.
	Field(name string) (sub Schema, strategy, mergeKey string)

	// Elem returns the schema of the items of a list, or of the values of an object
	// with arbitrary keys (a Go map); nil if unknown.
	Elem() Schema
}

// typeSchema is the Schema of a Go type, read from the json, patchStrategy and
// patchMergeKey struct tags that Kubernetes API types carry.
type typeSchema struct {
	t      reflect.Type // a struct, slice, array or map type; never a pointer
	once   sync.Once
	fields map[string]structField // for a struct, built on first use
}

var _ Schema = (*typeSchema)(nil)

// structField is one JSON member of a struct.
type structField struct {
	typ      reflect.Type
	strategy string
	mergeKey string
}

// typeSchemas caches a *typeSchema per Go type, since SchemaFor runs on every PATCH.
// Entries never change once stored.
var typeSchemas sync.Map // reflect.Type → *typeSchema

// SchemaFor returns the Schema of Go type t, as in SchemaFor(reflect.TypeFor[api.Pod]()).
// Pointers are followed. It returns nil for types whose JSON form is a scalar, including
// types with their own MarshalJSON or MarshalText (times, quantities, int-or-strings),
// and for interface types, whose content is unknown.
func SchemaFor(t reflect.Type) Schema {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || opaque(t) {
		return nil
	}
	if s, ok := typeSchemas.Load(t); ok {
		return s.(*typeSchema)
	}
	s, _ := typeSchemas.LoadOrStore(t, &typeSchema{t: t})
	return s.(*typeSchema)
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// opaque reports whether a strategic merge patch cannot see inside values of type t.
func opaque(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Array:
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return true // []byte is a base64 string
		}
	default:
		return true
	}
	for _, m := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// Field implements Schema.
func (s *typeSchema) Field(name string) (Schema, string, string) {
	switch s.t.Kind() {
	case reflect.Map:
		return SchemaFor(s.t.Elem()), "", ""
	case reflect.Struct:
		s.once.Do(func() { s.fields = structFields(s.t, map[reflect.Type]bool{}) })
		f, ok := s.fields[name]
		if !ok {
			return nil, "", ""
		}
		return SchemaFor(f.typ), f.strategy, f.mergeKey
	}
	return nil, "", ""
}

// Elem implements Schema.
func (s *typeSchema) Elem() Schema {
	switch s.t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return SchemaFor(s.t.Elem())
	}
	return nil
}

// structFields lists the JSON members of struct type t as encoding/json names them.
// The fields of an embedded struct without a JSON name, or of one tagged
// `json:",inline"`, are promoted into t; t's own fields win over promoted ones of the
// same name. seen guards against a struct that embeds a pointer to itself.
func structFields(t reflect.Type, seen map[reflect.Type]bool) map[string]structField {
	seen[t] = true
	fields := map[string]structField{}
	var promoted []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, options, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		inline := f.Anonymous || hasOption(options, "inline")
		if name == "" && inline && ft.Kind() == reflect.Struct {
			if !seen[ft] {
				promoted = append(promoted, ft)
			}
			continue
		}
		if !f.IsExported() && !(f.Anonymous && ft.Kind() == reflect.Struct) {
			continue // encoding/json does see embedded structs of unexported types
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = structField{
			typ:      f.Type,
			strategy: f.Tag.Get("patchStrategy"),
			mergeKey: f.Tag.Get("patchMergeKey"),
		}
	}
	for _, pt := range promoted {
		for name, f := range structFields(pt, seen) {
			if _, taken := fields[name]; !taken {
				fields[name] = f
			}
		}
	}
	return fields
}

// hasOption reports whether a comma-separated tag option list contains option.
func hasOption(options, option string) bool {
	for o := range strings.SplitSeq(options, ",") {
		if o == option {
			return true
		}
	}
	return false
}
