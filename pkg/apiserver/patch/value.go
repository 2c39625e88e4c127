package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// maxDepth is how deeply a document or patch may nest objects and arrays, the limit
// encoding/json and Kubernetes' JSON decoding also use. Every recursive function in this package walks a
// value that was checked against it, so hostile input cannot exhaust the stack.
const maxDepth = 10000

// decodeDocument decodes the document being patched. Its errors do not wrap
// ErrInvalidPatch: a broken stored object is the server's problem, not the client's.
func decodeDocument(data []byte) (any, error) {
	v, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("patch: decode original document: %w", err)
	}
	return v, nil
}

// decodePatch decodes a patch; its errors wrap ErrInvalidPatch.
func decodePatch(data []byte) (any, error) {
	v, err := decode(data)
	if err != nil {
		return nil, invalidf("patch is not valid JSON: %v", err)
	}
	return v, nil
}

// decode reads exactly one JSON value into the generic form: map[string]any, []any,
// string, bool, nil and json.Number, which keeps large integers exact.
func decode(data []byte) (any, error) {
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// checkDepth rejects data nesting deeper than maxDepth. It scans bytes without
// recursion, before anything else looks at the input.
func checkDepth(data []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("nesting deeper than %d levels", maxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// children yields the members of an object or the items of an array.
func children(v any) iter.Seq[any] {
	return func(yield func(any) bool) {
		switch v := v.(type) {
		case map[string]any:
			for _, c := range v {
				if !yield(c) {
					return
				}
			}
		case []any:
			for _, c := range v {
				if !yield(c) {
					return
				}
			}
		}
	}
}

// depth returns how many objects and arrays nest in v: 0 for a scalar, 1 for {} or [].
func depth(v any) int {
	switch v.(type) {
	case map[string]any, []any:
	default:
		return 0
	}
	d := 0
	for c := range children(v) {
		d = max(d, depth(c))
	}
	return d + 1
}

// size counts the values in v (each object, array and scalar is one), giving up once
// the count passes limit.
func size(v any, limit int) int {
	n := 1
	for c := range children(v) {
		if n > limit {
			break
		}
		n += size(c, limit-n)
	}
	return n
}

// deepCopy returns a copy of v that shares no map or slice with it.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, c := range v {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, c := range v {
			l[i] = deepCopy(c)
		}
		return l
	default:
		return v
	}
}

// equal reports whether two JSON values are equal: objects regardless of key order,
// numbers by value (1, 1.0 and 10e-1 are equal).
func equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			if bv, ok := b[k]; !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		return ok && (a == b || normalizeNumber(string(a)) == normalizeNumber(string(b)))
	default: // nil, bool or string
		return a == b
	}
}

// canonical returns a string that is the same for two JSON values exactly when they are
// equal, for use as a map key (merge-key lookups, set union of primitive lists).
func canonical(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		b.WriteString(strconv.Quote(v))
	case json.Number:
		b.WriteString(normalizeNumber(string(v)))
	case []any:
		b.WriteByte('[')
		for i, c := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, c)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			writeCanonical(b, v[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%#v", v)
	}
}

// normalizeNumber rewrites a JSON number as digits×10^exponent with no leading or
// trailing zeros ("1.50e2" and "150" both become "15e1"), so equal numbers compare equal
// without floating-point rounding. The string is worked on as text: no exponent,
// however large, is ever evaluated.
func normalizeNumber(s string) string {
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	mantissa, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mantissa, ".")
	exp := int64(0)
	if hasExp {
		e, err := strconv.ParseInt(expText, 10, 64)
		if err != nil || e > 1<<40 || e < -1<<40 {
			return "raw:" + sign + s // absurd exponent: compare as written
		}
		exp = e
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	exp -= int64(len(frac))
	if digits == "" {
		return "0"
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += int64(len(digits) - len(trimmed))
	return sign + trimmed + "e" + strconv.FormatInt(exp, 10)
}
