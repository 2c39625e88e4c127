package patch

import (
	"bytes"
	"encoding/json"
	"testing"
)

// fuzzApply runs apply on copies of the inputs and checks what must hold for any
// input: no panic (the fuzzer catches those), valid JSON out on success, and the
// inputs left as they were.
func fuzzApply(t *testing.T, doc, patch []byte, apply func(doc, patch []byte) ([]byte, error)) {
	docCopy, patchCopy := bytes.Clone(doc), bytes.Clone(patch)
	out, err := apply(doc, patch)
	if err == nil && !json.Valid(out) {
		t.Fatalf("invalid JSON result: %q", out)
	}
	if !bytes.Equal(doc, docCopy) || !bytes.Equal(patch, patchCopy) {
		t.Fatal("the inputs were modified")
	}
}

func FuzzJSONPatch(f *testing.F) {
	for _, tt := range append(rfc6902Examples, jsonPatchTests...) {
		f.Add([]byte(tt.doc), []byte(tt.patch))
	}
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		fuzzApply(t, doc, patch, ApplyJSONPatch)
	})
}

func FuzzMergePatch(f *testing.F) {
	f.Add([]byte(`{"a":"b","c":{"d":[1]}}`), []byte(`{"a":null,"c":{"e":{"f":null}}}`))
	f.Add([]byte(`[1,2]`), []byte(`{"a":"b","c":null}`))
	f.Add([]byte(`{}`), []byte(`"bar"`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		fuzzApply(t, doc, patch, ApplyMergePatch)
	})
}

func FuzzStrategicMergePatch(f *testing.F) {
	for _, patch := range []string{
		`{"spec":{"containers":[{"name":"web","image":"nginx:1.27","env":[{"name":"A","value":"1"}]}]}}`,
		`{"spec":{"containers":[{"$patch":"delete","name":"log"},{"$patch":"replace"}]}}`,
		`{"spec":{"$setElementOrder/containers":[{"name":"log"},{"name":"web"}],"containers":[{"name":"new"}]}}`,
		`{"spec":{"volumes":[{"$retainKeys":["hostPath","name"],"emptyDir":null,"hostPath":{"path":"/x"},"name":"data"}]}}`,
		`{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"],"$setElementOrder/finalizers":["example.com/c"],"finalizers":["example.com/c"],"labels":{"tier":null}}}`,
		`{"spec":{"nodeSelector":{"$patch":"replace","a":"b"},"affinity":{"$patch":"delete"},"tolerations":[{"key":"x"}]}}`,
	} {
		f.Add([]byte(testPodJSON), []byte(patch))
	}
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		fuzzApply(t, doc, patch, func(doc, patch []byte) ([]byte, error) {
			return ApplyStrategicMergePatch(doc, patch, podSchema)
		})
	})
}
