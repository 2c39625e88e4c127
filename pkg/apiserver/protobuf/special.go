package protobuf

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// specials decode the types whose protobuf form apimachinery writes by hand, or whose
// Skiff form differs from the Kubernetes struct. Each gets the bytes of one message.
var specials = map[reflect.Type]func(v reflect.Value, msg []byte) error{
	reflect.TypeFor[api.Time]():          decodeTime,
	reflect.TypeFor[api.MicroTime]():     decodeMicroTime,
	reflect.TypeFor[resource.Quantity](): decodeQuantity,
	reflect.TypeFor[api.IntOrString]():   decodeIntOrString,
	reflect.TypeFor[map[string]any]():    decodeFieldsV1,
}

// timestamp reads metav1.Timestamp {1: int64 seconds, 2: int32 nanos}. ok is false
// for an empty message, which is how a zero time is written.
func timestamp(msg []byte) (sec, nsec int64, ok bool, err error) {
	err = scan(msg, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		var dst *int64
		switch num {
		case 1:
			dst = &sec
		case 2:
			dst = &nsec
		default:
			return -1, nil
		}
		x, n, err := consumeVarint(typ, b)
		*dst = int64(x)
		return n, err
	})
	nsec = int64(int32(nsec))
	return sec, nsec, len(msg) > 0, err
}

// decodeTime reads metav1.Time. Like Kubernetes, it drops the nanoseconds, which JSON
// does not carry either.
func decodeTime(v reflect.Value, msg []byte) error {
	sec, _, ok, err := timestamp(msg)
	t := api.Time{}
	if ok {
		t.Time = time.Unix(sec, 0).Local()
	}
	v.Set(reflect.ValueOf(t))
	return err
}

// decodeMicroTime reads metav1.MicroTime, keeping microseconds.
func decodeMicroTime(v reflect.Value, msg []byte) error {
	sec, nsec, ok, err := timestamp(msg)
	t := api.MicroTime{}
	if ok {
		nsec -= nsec % int64(time.Microsecond)
		t.Time = time.Unix(sec, nsec).Local()
	}
	v.Set(reflect.ValueOf(t))
	return err
}

// decodeQuantity reads resource.Quantity {1: string}.
func decodeQuantity(v reflect.Value, msg []byte) error {
	var s string
	err := scan(msg, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 1 {
			return -1, nil
		}
		n, err := consumeString(typ, b, &s)
		if err != nil {
			return 0, err
		}
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return 0, fmt.Errorf("quantity %q: %w", s, err)
		}
		v.Set(reflect.ValueOf(q))
		return n, nil
	})
	return err
}

// decodeIntOrString reads intstr.IntOrString {1: type (0 int, 1 string), 2: intVal,
// 3: strVal}.
func decodeIntOrString(v reflect.Value, msg []byte) error {
	var typ uint64
	var out api.IntOrString
	err := scan(msg, func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			x, n, err := consumeVarint(wt, b)
			typ = x
			return n, err
		case 2:
			x, n, err := consumeVarint(wt, b)
			out.IntVal = int32(x)
			return n, err
		case 3:
			return consumeString(wt, b, &out.StrVal)
		}
		return -1, nil
	})
	if err != nil {
		return err
	}
	if typ > 1 {
		return fmt.Errorf("IntOrString type %d is neither 0 (int) nor 1 (string)", typ)
	}
	out.IsString = typ == 1
	if out.IsString {
		out.IntVal = 0
	} else {
		out.StrVal = ""
	}
	v.Set(reflect.ValueOf(out))
	return nil
}

// decodeFieldsV1 reads metav1.FieldsV1 {1: raw JSON} into the map Skiff keeps it as
// (ManagedFieldsEntry.FieldsV1).
func decodeFieldsV1(v reflect.Value, msg []byte) error {
	var m map[string]any
	err := scan(msg, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 1 {
			return -1, nil
		}
		raw, n, err := consumeBytes(typ, b)
		if err != nil {
			return 0, err
		}
		m = nil
		if err := json.Unmarshal(raw, &m); err != nil {
			return 0, errors.New("fieldsV1 is not a JSON object")
		}
		return n, nil
	})
	v.Set(reflect.ValueOf(m))
	return err
}
