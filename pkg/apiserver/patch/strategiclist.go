package patch

import (
	"cmp"
	"slices"
)

// mergeList merges the patch list for a member into cur, the member's current list
// (nil if there is none). patch is nil when only list directives name the member.
func mergeList(cur, patch []any, f *fieldPatch, fs fieldSchema) ([]any, error) {
	out := cur
	switch {
	case fs.has("merge"):
		var err error
		if out, err = mergeItems(cur, patch, f, fs); err != nil {
			return nil, err
		}
	case f.hasValue:
		v, _, err := fresh(patch, fs.sub) // the default: the patch list replaces cur
		if err != nil {
			return nil, err
		}
		out = v.([]any)
	}
	return removeValues(out, f.remove), nil
}

// mergeItems merges a list whose patchStrategy is "merge". With a merge key its items
// are objects matched by that key: a patch item updates its match or is appended. With
// none they are primitives and the lists are joined as sets. The original order is
// kept, new items follow in patch order, and "$setElementOrder" then reorders.
func mergeItems(cur, patch []any, f *fieldPatch, fs fieldSchema) ([]any, error) {
	key := func(item any) (string, bool) { return itemKey(item, fs.mergeKey) }

	// Carry out the directive items: {"$patch": "replace"} drops the original list,
	// {"$patch": "delete", <merge key>: v} the original item with key v.
	var items []any
	deleted := map[string]bool{}
	for _, item := range patch {
		m, _ := item.(map[string]any)
		d, ok := m[directiveKey]
		switch {
		case !ok:
			items = append(items, item)
		case d == "replace":
			cur = nil
		case d == "delete" && fs.mergeKey != "":
			k, ok := key(m)
			if !ok {
				return nil, invalidf("%q: a {\"$patch\": \"delete\"} item needs the merge key %q", f.name, fs.mergeKey)
			}
			deleted[k] = true
		default:
			return nil, invalidf(`%q: "$patch" in a list item must be "replace", or "delete" with a merge key`, f.name)
		}
	}

	// Keep the original items that were not deleted (and, in a set, no duplicates).
	// at maps an item's key to its position in out.
	out := make([]any, 0, len(cur)+len(items))
	at := map[string]int{}
	for _, item := range cur {
		if k, ok := key(item); ok {
			_, seen := at[k]
			if deleted[k] || seen && fs.mergeKey == "" {
				continue
			}
			if !seen {
				at[k] = len(out)
			}
		}
		out = append(out, item)
	}
	originals := len(out)

	// Merge each patch item into its match, or append it.
	for _, item := range items {
		k, ok := key(item)
		if !ok {
			return nil, invalidf("%q: list item has no merge key %q", f.name, fs.mergeKey)
		}
		i, found := at[k]
		switch {
		case found && fs.mergeKey == "":
			// Already in the set.
		case found:
			orig, _ := out[i].(map[string]any) // key only succeeds on objects
			merged, _, err := mergeObject(orig, item.(map[string]any), fs.elem())
			if err != nil {
				return nil, err
			}
			out[i] = merged
		default:
			v, _, err := fresh(item, fs.elem()) // directive items were taken out above
			if err != nil {
				return nil, err
			}
			at[k] = len(out)
			out = append(out, v)
		}
	}

	if !f.hasOrder {
		return out, nil
	}
	return reorder(out, originals, f.order, key)
}

// reorder sorts a merged list as "$setElementOrder" asks, the way Kubernetes does:
//
//   - Items the order names come in the order's order.
//   - Items it does not name (typically added by the server, so the client never saw
//     them) keep their place relative to the original list: each goes just before
//     the first named item, in the new order, that came after it in the original.
//     New items the order does not name go last.
//
// For example, with original [web proxy log] and order [log web], proxy preceded
// log, so the result is [proxy log web]. The first originals items of list are the
// original ones, in original order.
func reorder(list []any, originals int, order []any, key func(any) (string, bool)) ([]any, error) {
	rank := map[string]int{}
	for i, o := range order {
		k, ok := key(o)
		if !ok {
			return nil, invalidf(`"$setElementOrder" item has no merge key`)
		}
		if _, dup := rank[k]; !dup {
			rank[k] = i
		}
	}

	type entry struct {
		item any
		rank int // position in order, or -1
		pos  int // position in the original list, or -1 for a new item
	}
	var named, unnamed []entry
	for i, item := range list {
		e := entry{item: item, rank: -1, pos: -1}
		if i < originals {
			e.pos = i
		}
		if k, ok := key(item); ok {
			if r, ok := rank[k]; ok {
				e.rank = r
			}
		}
		if e.rank >= 0 {
			named = append(named, e)
		} else {
			unnamed = append(unnamed, e)
		}
	}
	slices.SortStableFunc(named, func(a, b entry) int { return cmp.Compare(a.rank, b.rank) })

	out := make([]any, 0, len(list))
	for len(named) > 0 || len(unnamed) > 0 {
		takeUnnamed := len(named) == 0 ||
			len(unnamed) > 0 && unnamed[0].pos >= 0 && named[0].pos >= 0 && unnamed[0].pos < named[0].pos
		if takeUnnamed {
			out = append(out, unnamed[0].item)
			unnamed = unnamed[1:]
		} else {
			out = append(out, named[0].item)
			named = named[1:]
		}
	}
	return out, nil
}

// itemKey identifies an item of a merged list: by the value of its merge key if it is
// an object, by its own value if mergeKey is empty (a list of primitives).
func itemKey(item any, mergeKey string) (string, bool) {
	if mergeKey == "" {
		return canonical(item), true
	}
	m, ok := item.(map[string]any)
	if !ok {
		return "", false
	}
	v, ok := m[mergeKey]
	if !ok {
		return "", false
	}
	return canonical(v), true
}

// removeValues returns list without the items equal to one of remove
// ("$deleteFromPrimitiveList").
func removeValues(list, remove []any) []any {
	if len(remove) == 0 {
		return list
	}
	drop := make(map[string]bool, len(remove))
	for _, v := range remove {
		drop[canonical(v)] = true
	}
	out := make([]any, 0, len(list))
	for _, v := range list {
		if !drop[canonical(v)] {
			out = append(out, v)
		}
	}
	return out
}
