package patch

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
)

// The directives of strategic merge patch: keys and values that steer the merge and
// never appear in its result.
const (
	// directiveKey in an object is "replace" (the object replaces the original
	// instead of merging into it) or "delete" (the object is removed). As an item of a
	// merged list it is "replace" (the list replaces the original) or "delete" with
	// the merge key (that item is removed).
	directiveKey = "$patch"

	// retainKeysKey lists the only keys an object keeps after the merge.
	retainKeysKey = "$retainKeys"

	// setElementOrder, as "$setElementOrder/<list>", gives the order of a merged list.
	setElementOrder = "$setElementOrder"

	// deleteFromPrimitiveList, as "$deleteFromPrimitiveList/<list>", lists values to
	// remove from a list of primitives.
	deleteFromPrimitiveList = "$deleteFromPrimitiveList"
)

// ApplyStrategicMergePatch applies a Kubernetes strategic merge patch to original, an
// object. It is a JSON Merge Patch whose lists follow schema: a list with patchStrategy
// "merge" merges item by item instead of being replaced, and the directives kubectl
// sends ($patch, $retainKeys, $setElementOrder, $deleteFromPrimitiveList) are obeyed.
// A nil schema knows no lists, so all lists are replaced.
func ApplyStrategicMergePatch(original, patch []byte, schema Schema) ([]byte, error) {
	doc, err := decodeDocument(original)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("patch: strategic merge patch needs a JSON object as the original document")
	}
	p, err := decodePatch(patch)
	if err != nil {
		return nil, err
	}
	pobj, ok := p.(map[string]any)
	if !ok {
		return nil, invalidf("strategic merge patch must be a JSON object")
	}
	merged, keep, err := mergeObject(obj, pobj, schema)
	if err != nil {
		return nil, err
	}
	if !keep {
		merged = map[string]any{} // "$patch": "delete" at the top empties the document
	}
	return json.Marshal(merged)
}

// fieldSchema is what a Schema says about one member of an object.
type fieldSchema struct {
	sub      Schema
	strategy string
	mergeKey string
}

// lookup asks s about member name. A nil Schema knows nothing.
func lookup(s Schema, name string) fieldSchema {
	if s == nil {
		return fieldSchema{}
	}
	sub, strategy, mergeKey := s.Field(name)
	return fieldSchema{sub: sub, strategy: strategy, mergeKey: mergeKey}
}

// has reports whether the member's patch strategy includes want.
func (f fieldSchema) has(want string) bool {
	for s := range strings.SplitSeq(f.strategy, ",") {
		if strings.TrimSpace(s) == want {
			return true
		}
	}
	return false
}

// elem returns the schema of the member's list items.
func (f fieldSchema) elem() Schema {
	if f.sub == nil {
		return nil
	}
	return f.sub.Elem()
}

// fieldPatch is everything an object patch says about one member: its new value and
// the list directives that name it.
type fieldPatch struct {
	name     string
	value    any
	hasValue bool
	order    []any // from $setElementOrder/<name>
	hasOrder bool
	remove   []any // from $deleteFromPrimitiveList/<name>
}

// mergeObject merges patch into orig, changing orig, and returns the result. orig may
// be nil for an object that does not exist yet. keep is false when the patch says
// "$patch": "delete".
func mergeObject(orig, patch map[string]any, schema Schema) (merged map[string]any, keep bool, err error) {
	if d, ok := patch[directiveKey]; ok {
		switch d {
		case "delete":
			return nil, false, nil
		case "replace":
			rest := maps.Clone(patch)
			delete(rest, directiveKey)
			return mergeObject(nil, rest, schema)
		default:
			return nil, false, invalidf(`"$patch" in an object must be "replace" or "delete"`)
		}
	}
	if orig == nil {
		orig = map[string]any{}
	}
	if keys, ok := patch[retainKeysKey]; ok {
		if err := retainKeys(orig, patch, keys); err != nil {
			return nil, false, err
		}
	}
	fields, err := groupFields(patch)
	if err != nil {
		return nil, false, err
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if err := mergeField(orig, fields[name], lookup(schema, name)); err != nil {
			return nil, false, err
		}
	}
	return orig, true, nil
}

// retainKeys carries out "$retainKeys": every key of orig that the list leaves out is
// dropped. Like Kubernetes, it rejects a patch that sets a key the list leaves out.
func retainKeys(orig, patch map[string]any, list any) error {
	keys, ok := list.([]any)
	if !ok {
		return invalidf(`"$retainKeys" must be a list of strings`)
	}
	retain := make(map[string]bool, len(keys))
	for _, k := range keys {
		s, ok := k.(string)
		if !ok {
			return invalidf(`"$retainKeys" must be a list of strings`)
		}
		retain[s] = true
	}
	for k, v := range patch {
		if v != nil && !isDirective(k) && !retain[k] {
			return invalidf(`"$retainKeys" does not list %q, which the patch sets`, k)
		}
	}
	for k := range orig {
		if !retain[k] {
			delete(orig, k)
		}
	}
	return nil
}

// isDirective reports whether an object key is a directive rather than a member.
func isDirective(key string) bool {
	prefix, _, _ := strings.Cut(key, "/")
	return key == directiveKey || key == retainKeysKey ||
		prefix == setElementOrder || prefix == deleteFromPrimitiveList
}

// groupFields sorts the keys of an object patch by the member they are about.
func groupFields(patch map[string]any) (map[string]*fieldPatch, error) {
	fields := map[string]*fieldPatch{}
	field := func(name string) *fieldPatch {
		if fields[name] == nil {
			fields[name] = &fieldPatch{name: name}
		}
		return fields[name]
	}
	for k, v := range patch {
		prefix, name, _ := strings.Cut(k, "/")
		switch {
		case k == directiveKey || k == retainKeysKey:
			// Already handled by mergeObject.
		case prefix == setElementOrder || prefix == deleteFromPrimitiveList:
			list, ok := v.([]any)
			if !ok || name == "" {
				return nil, invalidf("%q: must be %s/<list> and hold a list", k, prefix)
			}
			f := field(name)
			if prefix == setElementOrder {
				f.order, f.hasOrder = list, true
			} else {
				f.remove = list
			}
		default:
			f := field(k)
			f.value, f.hasValue = v, true
		}
	}
	return fields, nil
}

// mergeField applies what the patch says about one member of obj.
func mergeField(obj map[string]any, f *fieldPatch, fs fieldSchema) error {
	switch v := f.value.(type) {
	case nil:
		if f.hasValue {
			delete(obj, f.name) // null deletes
			return nil
		}
		cur, ok := obj[f.name].([]any)
		if !ok {
			return nil // list directives for a list that is not there
		}
		merged, err := mergeList(cur, nil, f, fs)
		if err != nil {
			return err
		}
		obj[f.name] = merged
	case []any:
		cur, _ := obj[f.name].([]any) // a member that is not a list is replaced
		merged, err := mergeList(cur, v, f, fs)
		if err != nil {
			return err
		}
		obj[f.name] = merged
	case map[string]any:
		cur, _ := obj[f.name].(map[string]any) // a member that is not an object is replaced
		if fs.has("replace") {
			cur = nil
		}
		merged, keep, err := mergeObject(cur, v, fs.sub)
		if err != nil {
			return err
		}
		if keep {
			obj[f.name] = merged
		} else {
			delete(obj, f.name)
		}
	default:
		obj[f.name] = v
	}
	return nil
}

// fresh builds a value that has nothing to merge with: a new member or list item, or a
// list replacing another. Its objects are merged into nothing, which drops their null
// members and carries out their directives, so that no directive reaches the result.
// keep is false for an object that says "$patch": "delete".
func fresh(v any, s Schema) (value any, keep bool, err error) {
	switch v := v.(type) {
	case map[string]any:
		m, keep, err := mergeObject(nil, v, s)
		return m, keep, err
	case []any:
		var elem Schema
		if s != nil {
			elem = s.Elem()
		}
		out := make([]any, 0, len(v))
		for _, item := range v {
			x, keep, err := fresh(item, elem)
			if err != nil {
				return nil, false, err
			}
			if keep {
				out = append(out, x)
			}
		}
		return out, true, nil
	default:
		return v, true, nil
	}
}
