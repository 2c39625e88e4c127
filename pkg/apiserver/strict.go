package apiserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// checkFields walks a JSON document alongside the Go type it was decoded into
// and returns its unknown and duplicate fields, with paths as Kubernetes prints
// them: `unknown field "spec.containers[0].imagee"`.
func checkFields(data []byte, target any) ([]string, error) {
	c := &fieldChecker{dec: json.NewDecoder(strings.NewReader(string(data)))}
	c.dec.UseNumber()
	if err := c.value(reflect.TypeOf(target), ""); err != nil {
		return nil, err
	}
	return append(c.unknown, c.duplicate...), nil
}

type fieldChecker struct {
	dec                *json.Decoder
	unknown, duplicate []string
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// value reads one JSON value; t is the Go type it decodes into, or nil when any
// content is acceptable.
func (c *fieldChecker) value(t reflect.Type, path string) error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = opaqueOrElem(t)
	switch delim {
	case '{':
		return c.object(t, path)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; c.dec.More(); i++ {
			if err := c.value(elem, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := c.dec.Token()
		return err
	}
	return nil
}

func (c *fieldChecker) object(t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		p := key
		if path != "" {
			p = path + "." + key
		}
		if seen[key] {
			c.duplicate = append(c.duplicate, fmt.Sprintf("duplicate field %q", p))
		}
		seen[key] = true
		var sub reflect.Type
		switch {
		case fields != nil:
			f, known := fields[key]
			if !known {
				c.unknown = append(c.unknown, fmt.Sprintf("unknown field %q", p))
			}
			sub = f
		case t != nil && t.Kind() == reflect.Map:
			sub = t.Elem()
		}
		if err := c.value(sub, p); err != nil {
			return err
		}
	}
	_, err := c.dec.Token()
	return err
}

// opaqueOrElem dereferences pointers, and returns nil for types that decode
// themselves (quantities, times, int-or-strings) or hold arbitrary JSON.
func opaqueOrElem(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON names of a struct's fields to their types, including
// the fields of embedded structs, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					m[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = ft
	}
	fieldCache.Store(t, m)
	return m
}
