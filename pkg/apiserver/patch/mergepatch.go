package patch

import "encoding/json"

// ApplyMergePatch applies an RFC 7386 JSON Merge Patch to original: objects merge
// recursively, a null member deletes, and anything else, arrays included, replaces. A
// patch that is not an object replaces the whole document.
func ApplyMergePatch(original, patch []byte) ([]byte, error) {
	doc, err := decodeDocument(original)
	if err != nil {
		return nil, err
	}
	p, err := decodePatch(patch)
	if err != nil {
		return nil, err
	}
	return json.Marshal(mergePatch(doc, p))
}

// mergePatch is the MergePatch function of RFC 7386 section 2. It may change target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
