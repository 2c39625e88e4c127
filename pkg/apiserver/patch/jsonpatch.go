package patch

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

const (
	// maxOperations caps the operations in one JSON Patch, as Kubernetes does.
	maxOperations = 10000

	// maxCopiedValues caps how many values (objects, arrays and scalars) the "copy"
	// operations of one patch may duplicate in total, so that a few operations copying
	// the document into itself cannot double its size again and again.
	maxCopiedValues = 1 << 20
)

// operation is one parsed JSON Patch operation.
type operation struct {
	op      string // add, remove, replace, move, copy or test
	path    pointer
	from    pointer // move and copy
	rawPath string  // path and from as written, for error messages
	rawFrom string
	value   any // add, replace and test
}

// ApplyJSONPatch applies an RFC 6902 JSON Patch to original. The operations run in
// order against a private copy of the document, so a failing operation leaves nothing
// half-applied: the error is returned and no document.
func ApplyJSONPatch(original, patch []byte) ([]byte, error) {
	doc, err := decodeDocument(original)
	if err != nil {
		return nil, err
	}
	ops, err := parseOperations(patch)
	if err != nil {
		return nil, err
	}
	a := &jsonPatcher{doc: doc, depth: depth(doc), copyBudget: maxCopiedValues}
	for _, op := range ops {
		if err := a.apply(op); err != nil {
			return nil, err
		}
	}
	return json.Marshal(a.doc)
}

// parseOperations decodes and checks every operation before any is applied.
func parseOperations(data []byte) ([]operation, error) {
	v, err := decodePatch(data)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, invalidf("JSON patch must be an array of operations")
	}
	if len(list) > maxOperations {
		return nil, invalidf("JSON patch has %d operations, more than the limit of %d", len(list), maxOperations)
	}
	ops := make([]operation, len(list))
	for i, item := range list {
		if ops[i], err = parseOperation(item); err != nil {
			return nil, invalidf("invalid JSON patch operation %d: %v", i, err)
		}
	}
	return ops, nil
}

func parseOperation(item any) (operation, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return operation{}, errors.New("not an object")
	}
	var op operation
	if op.op, ok = m["op"].(string); !ok {
		return op, errors.New(`"op" must be a string`)
	}
	if op.rawPath, ok = m["path"].(string); !ok {
		return op, errors.New(`"path" must be a string`)
	}
	var err error
	if op.path, err = parsePointer(op.rawPath); err != nil {
		return op, err
	}
	switch op.op {
	case "remove":
	case "add", "replace", "test":
		if op.value, ok = m["value"]; !ok { // "value": null is present, and valid
			return op, fmt.Errorf(`%s needs a "value"`, op.op)
		}
	case "move", "copy":
		if op.rawFrom, ok = m["from"].(string); !ok {
			return op, fmt.Errorf(`%s needs a string "from"`, op.op)
		}
		if op.from, err = parsePointer(op.rawFrom); err != nil {
			return op, err
		}
	default:
		return op, fmt.Errorf("unknown op %q", op.op)
	}
	return op, nil
}

// jsonPatcher holds a document while operations are applied to it.
type jsonPatcher struct {
	doc        any
	depth      int // an upper bound on how deeply doc nests, kept at most maxDepth
	copyBudget int // how many more values copy may duplicate
}

func (a *jsonPatcher) apply(op operation) error {
	switch op.op {
	case "add":
		return a.add(op, op.path, op.value, depth(op.value))
	case "remove":
		if len(op.path) == 0 {
			return failed(op, "cannot remove the whole document")
		}
		if _, ok := op.path.get(a.doc); !ok {
			return missing(op, op.rawPath)
		}
		a.remove(op.path)
		return nil
	case "replace":
		if _, ok := op.path.get(a.doc); !ok {
			return missing(op, op.rawPath)
		}
		if err := a.deepen(op, op.path, depth(op.value)); err != nil {
			return err
		}
		a.doc = op.path.set(a.doc, op.value)
		return nil
	case "move":
		if _, ok := op.from.get(a.doc); !ok {
			return missingFrom(op)
		}
		if op.path.hasPrefix(op.from) {
			if len(op.path) == len(op.from) {
				return nil // moving a value onto itself changes nothing
			}
			return failed(op, "cannot move %q into its own child %q", op.rawFrom, op.rawPath)
		}
		v := a.remove(op.from)
		return a.add(op, op.path, v, a.depth-len(op.from))
	case "copy":
		v, ok := op.from.get(a.doc)
		if !ok {
			return missingFrom(op)
		}
		n := size(v, a.copyBudget)
		if n > a.copyBudget {
			return failed(op, "the patch copies more than %d values", maxCopiedValues)
		}
		a.copyBudget -= n
		return a.add(op, op.path, deepCopy(v), a.depth-len(op.from))
	case "test":
		v, ok := op.path.get(a.doc)
		if !ok {
			return missing(op, op.rawPath)
		}
		if !equal(v, op.value) {
			return failed(op, "value at %q is not the expected value", op.rawPath)
		}
		return nil
	}
	return failed(op, "unknown op") // parseOperation lets no other op through
}

// deepen records that a value nesting at most vDepth levels is about to be put at p,
// refusing if the document could then nest deeper than maxDepth.
func (a *jsonPatcher) deepen(op operation, p pointer, vDepth int) error {
	d := max(a.depth, len(p)+vDepth)
	if d > maxDepth {
		return failed(op, "the document would nest deeper than %d levels", maxDepth)
	}
	a.depth = d
	return nil
}

// add puts v at p: it replaces the document or an object member, or is inserted into
// an array. vDepth is an upper bound on how deeply v nests.
func (a *jsonPatcher) add(op operation, p pointer, v any, vDepth int) error {
	if err := a.deepen(op, p, vDepth); err != nil {
		return err
	}
	if len(p) == 0 {
		a.doc = v
		return nil
	}
	switch parent, _ := p.parent().get(a.doc); c := parent.(type) {
	case map[string]any:
		c[p.last()] = v
	case []any:
		i, ok := arrayIndex(p.last(), len(c), true)
		if !ok {
			return failed(op, "array index %q is out of bounds in path %q", p.last(), op.rawPath)
		}
		a.doc = p.parent().set(a.doc, slices.Insert(c, i, v))
	default:
		return missing(op, op.rawPath)
	}
	return nil
}

// remove takes the value at p, which must exist and not be the whole document, out of
// the document and returns it.
func (a *jsonPatcher) remove(p pointer) any {
	switch parent, _ := p.parent().get(a.doc); c := parent.(type) {
	case map[string]any:
		v := c[p.last()]
		delete(c, p.last())
		return v
	case []any:
		i, _ := arrayIndex(p.last(), len(c), false)
		v := c[i]
		a.doc = p.parent().set(a.doc, slices.Delete(c, i, i+1))
		return v
	}
	return nil
}

// missing is the error for a path that names nothing in the document.
func missing(op operation, path string) error {
	return invalidf("jsonpatch %s operation does not apply: doc is missing path: %q", op.op, path)
}

// missingFrom is the error for a move or copy whose "from" names nothing.
func missingFrom(op operation) error {
	return invalidf("jsonpatch %s operation does not apply: doc is missing from path: %q", op.op, op.rawFrom)
}

// failed is the error for any other operation that cannot be applied.
func failed(op operation, format string, args ...any) error {
	return invalidf("jsonpatch %s operation does not apply: %s", op.op, fmt.Sprintf(format, args...))
}
