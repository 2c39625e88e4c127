// Package protobuf decodes Kubernetes protobuf request bodies, which client-go's typed
// clients (and so kubectl's create, run and expose) send, into Skiff's API structs.
// A body is the magic "k8s\x00" followed by a runtime.Unknown message that carries the
// apiVersion and kind, and the object itself as a nested message whose numbered fields
// follow the Go structs of k8s.io/api field by field; zz_generated_numbers.go records
// those numbers, and reflection over pkg/api does the rest.
package protobuf

//go:generate go -C ../../../hack/protonumbers run . -out ../../pkg/apiserver/protobuf

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"skiff/pkg/api"
)

// ContentType is the media type of Kubernetes protobuf.
const ContentType = "application/vnd.kubernetes.protobuf"

// ErrInvalid is wrapped by every error Decode returns for bad input.
var ErrInvalid = errors.New("protobuf: invalid data")

// magic starts every Kubernetes protobuf body.
var magic = []byte("k8s\x00")

// maxDepth bounds how deeply messages may nest. The deepest Kubernetes objects nest
// about a dozen levels; the bound keeps hostile input from exhausting the stack.
const maxDepth = 64

// field is one entry of k8sFields: the Go field a protobuf field number is stored in,
// and the wire type of one value of it.
type field struct {
	name string
	wire protowire.Type
}

// Decode reads a Kubernetes protobuf body ("k8s\x00" magic + runtime.Unknown envelope)
// into obj, a pointer to a Skiff API struct (e.g. *api.Namespace). It returns the
// apiVersion and kind from the envelope, and also sets them in obj's TypeMeta if it
// has one. Fields that Skiff does not have are skipped. Errors about the data wrap
// ErrInvalid; obj may be partly filled in when an error is returned. Decode is safe
// for concurrent use.
func Decode(data []byte, obj any) (apiVersion, kind string, err error) {
	rv := reflect.ValueOf(obj)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return "", "", fmt.Errorf("protobuf: Decode needs a non-nil pointer to a struct, not %T", obj)
	}
	if apiVersion, kind, err = decode(data, rv.Elem()); err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if o, ok := obj.(interface{ GetTypeMeta() *api.TypeMeta }); ok {
		tm := o.GetTypeMeta()
		tm.APIVersion, tm.Kind = apiVersion, kind
	}
	return apiVersion, kind, nil
}

// decode is Decode without the checks of obj and the wrapping of errors.
func decode(data []byte, v reflect.Value) (apiVersion, kind string, err error) {
	body, ok := bytes.CutPrefix(data, magic)
	if !ok {
		return "", "", errors.New("the body does not start with the Kubernetes protobuf prefix")
	}
	var raw []byte
	err = scan(body, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1: // typeMeta
			msg, n, err := consumeBytes(typ, b)
			if err != nil {
				return 0, err
			}
			return n, scan(msg, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				switch num {
				case 1:
					return consumeString(typ, b, &apiVersion)
				case 2:
					return consumeString(typ, b, &kind)
				}
				return -1, nil
			})
		case 2: // raw
			msg, n, err := consumeBytes(typ, b)
			raw = msg
			return n, err
		}
		return -1, nil // contentEncoding and contentType are unused, as in Kubernetes
	})
	if err != nil {
		return "", "", err
	}
	return apiVersion, kind, decodeMessage(v, raw, 1)
}

// decodeMessage merges the protobuf message b into the struct v, as protobuf merges a
// message that appears twice.
func decodeMessage(v reflect.Value, b []byte, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	t := v.Type()
	fields, ok := k8sFields[k8sTypeName(t)]
	if !ok {
		return fmt.Errorf("no protobuf field numbers for Go type %s", t)
	}
	return scan(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		f, ok := fields[num]
		if !ok {
			return -1, nil
		}
		sf, ok := t.FieldByName(skiffFieldName(t, f.name))
		if !ok || len(sf.Index) != 1 {
			return -1, nil // a Kubernetes field Skiff does not have
		}
		n, err := decodeValue(v.Field(sf.Index[0]), typ, b, depth)
		if err != nil {
			return 0, inField(sf, err)
		}
		return n, nil
	})
}

// decodeValue decodes one value of wire type typ from the front of b into v and
// returns how many bytes it used. A repeated field gets one element appended, or
// several when they are packed.
func decodeValue(v reflect.Value, typ protowire.Type, b []byte, depth int) (int, error) {
	if dec, ok := specials[v.Type()]; ok {
		msg, n, err := consumeBytes(typ, b)
		if err != nil {
			return 0, err
		}
		return n, dec(v, msg)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeValue(v.Elem(), typ, b, depth)
	case reflect.Struct:
		msg, n, err := consumeBytes(typ, b)
		if err != nil {
			return 0, err
		}
		return n, decodeMessage(v, msg, depth+1)
	case reflect.Map:
		msg, n, err := consumeBytes(typ, b)
		if err != nil {
			return 0, err
		}
		return n, decodeEntry(v, msg, depth+1)
	case reflect.Slice:
		return decodeRepeated(v, typ, b, depth)
	case reflect.String:
		msg, n, err := consumeBytes(typ, b)
		v.SetString(string(msg))
		return n, err
	case reflect.Bool:
		x, n, err := consumeVarint(typ, b)
		v.SetBool(x != 0)
		return n, err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n, err := consumeVarint(typ, b)
		v.SetInt(int64(x)) // narrower kinds keep the low bits, as Go conversions do
		return n, err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x, n, err := consumeVarint(typ, b)
		v.SetUint(x)
		return n, err
	}
	return 0, fmt.Errorf("cannot decode into Go type %s", v.Type())
}

// decodeRepeated appends to the slice v: []byte is one bytes value, a packed list of
// scalars is several, anything else is one element.
func decodeRepeated(v reflect.Value, typ protowire.Type, b []byte, depth int) (int, error) {
	et := v.Type().Elem()
	if et.Kind() == reflect.Uint8 {
		msg, n, err := consumeBytes(typ, b)
		v.SetBytes(bytes.Clone(msg))
		return n, err
	}
	if typ == protowire.BytesType && packable(et.Kind()) {
		msg, n, err := consumeBytes(typ, b)
		for err == nil && len(msg) > 0 {
			elem := reflect.New(et).Elem()
			var m int
			m, err = decodeValue(elem, protowire.VarintType, msg, depth)
			msg = msg[m:]
			v.Set(reflect.Append(v, elem))
		}
		return n, err
	}
	elem := reflect.New(et).Elem()
	n, err := decodeValue(elem, typ, b, depth)
	if err != nil {
		return 0, err
	}
	v.Set(reflect.Append(v, elem))
	return n, nil
}

func packable(k reflect.Kind) bool {
	return k == reflect.Bool || reflect.Int <= k && k <= reflect.Uint64
}

// decodeEntry adds one map entry, a message {1: key, 2: value}, to the map v.
func decodeEntry(v reflect.Value, b []byte, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	if v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("cannot decode into Go type %s", v.Type())
	}
	var key string
	val := reflect.New(v.Type().Elem()).Elem()
	err := scan(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return consumeString(typ, b, &key)
		case 2:
			val.SetZero() // the last value wins
			return decodeValue(val, typ, b, depth)
		}
		return -1, nil
	})
	if err != nil {
		return err
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), val)
	return nil
}

// scan calls fn for each field of the message b, with the bytes from the field's
// value on. fn returns how many bytes the value took, or -1 to skip the field.
func scan(b []byte, fn func(num protowire.Number, typ protowire.Type, b []byte) (int, error)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireError(n)
		}
		b = b[n:]
		n, err := fn(num, typ, b)
		if err != nil {
			return err
		}
		if n < 0 {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return wireError(n)
			}
		}
		b = b[n:]
	}
	return nil
}

func consumeBytes(typ protowire.Type, b []byte) ([]byte, int, error) {
	if typ != protowire.BytesType {
		return nil, 0, fmt.Errorf("wire type %d where a length-delimited value belongs", typ)
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, wireError(n)
	}
	return v, n, nil
}

func consumeString(typ protowire.Type, b []byte, s *string) (int, error) {
	v, n, err := consumeBytes(typ, b)
	*s = string(v)
	return n, err
}

func consumeVarint(typ protowire.Type, b []byte) (uint64, int, error) {
	if typ != protowire.VarintType {
		return 0, 0, fmt.Errorf("wire type %d where a varint belongs", typ)
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, wireError(n)
	}
	return v, n, nil
}

func wireError(n int) error { return protowire.ParseError(n) }

var errTooDeep = fmt.Errorf("messages are nested more than %d deep", maxDepth)

// pathError says in which field, by its JSON path, decoding failed.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }

// inField prefixes err's path with the JSON name of sf, or its Go name when inlined.
func inField(sf reflect.StructField, err error) error {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	if name == "" {
		name = sf.Name
	}
	if pe, ok := err.(*pathError); ok {
		pe.path = name + "." + pe.path
		return pe
	}
	return &pathError{path: name, err: err}
}
