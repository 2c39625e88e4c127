package patch

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

type jsonPatchTest struct {
	name  string
	doc   string
	patch string
	want  string // "" when the patch must fail with ErrInvalidPatch
}

// rfc6902Examples are the examples of RFC 6902 Appendix A.
var rfc6902Examples = []jsonPatchTest{
	{"A.1 adding an object member",
		`{"foo":"bar"}`,
		`[{"op":"add","path":"/baz","value":"qux"}]`,
		`{"baz":"qux","foo":"bar"}`},
	{"A.2 adding an array element",
		`{"foo":["bar","baz"]}`,
		`[{"op":"add","path":"/foo/1","value":"qux"}]`,
		`{"foo":["bar","qux","baz"]}`},
	{"A.3 removing an object member",
		`{"baz":"qux","foo":"bar"}`,
		`[{"op":"remove","path":"/baz"}]`,
		`{"foo":"bar"}`},
	{"A.4 removing an array element",
		`{"foo":["bar","qux","baz"]}`,
		`[{"op":"remove","path":"/foo/1"}]`,
		`{"foo":["bar","baz"]}`},
	{"A.5 replacing a value",
		`{"baz":"qux","foo":"bar"}`,
		`[{"op":"replace","path":"/baz","value":"boo"}]`,
		`{"baz":"boo","foo":"bar"}`},
	{"A.6 moving a value",
		`{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`,
		`[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`,
		`{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`},
	{"A.7 moving an array element",
		`{"foo":["all","grass","cows","eat"]}`,
		`[{"op":"move","from":"/foo/1","path":"/foo/3"}]`,
		`{"foo":["all","cows","eat","grass"]}`},
	{"A.8 testing a value: success",
		`{"baz":"qux","foo":["a",2,"c"]}`,
		`[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]`,
		`{"baz":"qux","foo":["a",2,"c"]}`},
	{"A.9 testing a value: error",
		`{"baz":"qux"}`,
		`[{"op":"test","path":"/baz","value":"bar"}]`,
		""},
	{"A.10 adding a nested member object",
		`{"foo":"bar"}`,
		`[{"op":"add","path":"/child","value":{"grandchild":{}}}]`,
		`{"foo":"bar","child":{"grandchild":{}}}`},
	{"A.11 ignoring unrecognized elements",
		`{"foo":"bar"}`,
		`[{"op":"add","path":"/baz","value":"qux","xyz":123}]`,
		`{"foo":"bar","baz":"qux"}`},
	{"A.12 adding to a nonexistent target",
		`{"foo":"bar"}`,
		`[{"op":"add","path":"/baz/bat","value":"qux"}]`,
		""},
	// The duplicate "op" makes A.13 invalid. Go's decoder keeps the last one, so here it
	// fails as the removal of a missing member; either way the patch is rejected.
	{"A.13 invalid JSON patch document",
		`{"foo":"bar"}`,
		`[{"op":"add","path":"/baz","value":"qux","op":"remove"}]`,
		""},
	{"A.14 ~ escape ordering",
		`{"/":9,"~1":10}`,
		`[{"op":"test","path":"/~01","value":10}]`,
		`{"/":9,"~1":10}`},
	{"A.15 comparing strings and numbers",
		`{"/":9,"~1":10}`,
		`[{"op":"test","path":"/~01","value":"10"}]`,
		""},
	{"A.16 adding an array value",
		`{"foo":["bar"]}`,
		`[{"op":"add","path":"/foo/-","value":["abc","def"]}]`,
		`{"foo":["bar",["abc","def"]]}`},
}

var jsonPatchTests = []jsonPatchTest{
	{"empty patch", `{"a":1}`, `[]`, `{"a":1}`},
	{"add replaces an existing member", `{"a":{"b":1}}`, `[{"op":"add","path":"/a","value":2}]`, `{"a":2}`},
	{"add null", `{}`, `[{"op":"add","path":"/a","value":null}]`, `{"a":null}`},
	{"add at the end by index", `[1,2]`, `[{"op":"add","path":"/2","value":3}]`, `[1,2,3]`},
	{"add at the front", `[1,2]`, `[{"op":"add","path":"/0","value":0}]`, `[0,1,2]`},
	{"add replaces the document", `{"a":1}`, `[{"op":"add","path":"","value":[1]}]`, `[1]`},
	{"add past the end", `[1,2]`, `[{"op":"add","path":"/3","value":3}]`, ""},
	{"add with a leading zero", `[1,2]`, `[{"op":"add","path":"/01","value":3}]`, ""},
	{"add with a negative index", `[1,2]`, `[{"op":"add","path":"/-1","value":3}]`, ""},
	{"add under a scalar", `{"a":1}`, `[{"op":"add","path":"/a/b","value":3}]`, ""},
	{"add with a slash in the key", `{}`, `[{"op":"add","path":"/a~1b","value":1}]`, `{"a/b":1}`},
	{"add with the empty key", `{}`, `[{"op":"add","path":"/","value":1}]`, `{"":1}`},
	{"remove the last array element", `{"a":[1,2]}`, `[{"op":"remove","path":"/a/1"}]`, `{"a":[1]}`},
	{"remove a missing member", `{"a":1}`, `[{"op":"remove","path":"/b"}]`, ""},
	{"remove with -", `{"a":[1]}`, `[{"op":"remove","path":"/a/-"}]`, ""},
	{"remove the document", `{"a":1}`, `[{"op":"remove","path":""}]`, ""},
	{"replace an array element", `[1,2,3]`, `[{"op":"replace","path":"/1","value":9}]`, `[1,9,3]`},
	{"replace the document", `{"a":1}`, `[{"op":"replace","path":"","value":{"b":2}}]`, `{"b":2}`},
	{"replace a missing member", `{"a":1}`, `[{"op":"replace","path":"/b","value":2}]`, ""},
	{"move onto itself", `{"a":1}`, `[{"op":"move","from":"/a","path":"/a"}]`, `{"a":1}`},
	{"move into its own child", `{"a":{"b":1}}`, `[{"op":"move","from":"/a","path":"/a/b/c"}]`, ""},
	{"move to a sibling with a longer name", `{"a":{"b":1}}`, `[{"op":"move","from":"/a","path":"/ab"}]`, `{"ab":{"b":1}}`},
	{"move from a missing path", `{"a":1}`, `[{"op":"move","from":"/b","path":"/c"}]`, ""},
	{"move up a level", `{"a":{"b":{"c":1}}}`, `[{"op":"move","from":"/a/b","path":"/b"}]`, `{"a":{},"b":{"c":1}}`},
	{"move to the front of an array", `[1,2,3]`, `[{"op":"move","from":"/2","path":"/0"}]`, `[3,1,2]`},
	{"copy is deep",
		`{"a":{"b":1}}`,
		`[{"op":"copy","from":"/a","path":"/c"},{"op":"add","path":"/c/d","value":2}]`,
		`{"a":{"b":1},"c":{"b":1,"d":2}}`},
	{"copy the document into itself", `{"a":1}`, `[{"op":"copy","from":"","path":"/b"}]`, `{"a":1,"b":{"a":1}}`},
	{"copy from a missing path", `{"a":1}`, `[{"op":"copy","from":"/b","path":"/c"}]`, ""},
	{"test numbers by value", `{"a":1}`, `[{"op":"test","path":"/a","value":1.0}]`, `{"a":1}`},
	{"test objects regardless of key order", `{"a":{"x":1,"y":[true,null]}}`, `[{"op":"test","path":"/a","value":{"y":[true,null],"x":1}}]`, `{"a":{"x":1,"y":[true,null]}}`},
	{"test the whole document", `[1]`, `[{"op":"test","path":"","value":[1]}]`, `[1]`},
	{"test null against a missing member", `{}`, `[{"op":"test","path":"/a","value":null}]`, ""},
	{"large integers survive", `{"a":12345678901234567890}`, `[{"op":"add","path":"/b","value":98765432109876543210}]`, `{"a":12345678901234567890,"b":98765432109876543210}`},
	{"a failing operation undoes the earlier ones", `{"a":1}`, `[{"op":"add","path":"/b","value":2},{"op":"remove","path":"/c"}]`, ""},

	{"patch is not an array", `{}`, `{"op":"add","path":"/a","value":1}`, ""},
	{"operation is not an object", `{}`, `["add"]`, ""},
	{"unknown op", `{}`, `[{"op":"merge","path":"/a","value":1}]`, ""},
	{"missing op", `{}`, `[{"path":"/a","value":1}]`, ""},
	{"missing path", `{}`, `[{"op":"add","value":1}]`, ""},
	{"missing value", `{}`, `[{"op":"add","path":"/a"}]`, ""},
	{"missing from", `{"a":1}`, `[{"op":"copy","path":"/b"}]`, ""},
	{"path without a leading slash", `{"a":1}`, `[{"op":"remove","path":"a"}]`, ""},
	{"bad ~ escape", `{"a~2":1}`, `[{"op":"remove","path":"/a~2"}]`, ""},
	{"~ at the end", `{"a~":1}`, `[{"op":"remove","path":"/a~"}]`, ""},
}

func TestApplyJSONPatch(t *testing.T) {
	for _, tt := range append(rfc6902Examples, jsonPatchTests...) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyJSONPatch([]byte(tt.doc), []byte(tt.patch))
			checkResult(t, got, err, tt.want, ErrInvalidPatch)
		})
	}
}

func TestJSONPatchErrorMessages(t *testing.T) {
	const doc = `{"metadata":{"labels":{"app":"web"}},"list":[1]}`
	tests := []struct {
		patch string
		want  string
	}{
		{`[{"op":"remove","path":"/metadata/labels/x"}]`,
			`jsonpatch remove operation does not apply: doc is missing path: "/metadata/labels/x"`},
		{`[{"op":"replace","path":"/spec/replicas","value":3}]`,
			`jsonpatch replace operation does not apply: doc is missing path: "/spec/replicas"`},
		{`[{"op":"add","path":"/spec/replicas","value":3}]`,
			`jsonpatch add operation does not apply: doc is missing path: "/spec/replicas"`},
		{`[{"op":"move","from":"/x","path":"/y"}]`,
			`jsonpatch move operation does not apply: doc is missing from path: "/x"`},
		{`[{"op":"test","path":"/metadata/labels/app","value":"db"}]`,
			`jsonpatch test operation does not apply: value at "/metadata/labels/app" is not the expected value`},
		{`[{"op":"add","path":"/list/5","value":3}]`,
			`jsonpatch add operation does not apply: array index "5" is out of bounds in path "/list/5"`},
		{`[{"op":"test","path":"/a"},{"op":"nope","path":"/a"}]`,
			`invalid JSON patch operation 0: test needs a "value"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := ApplyJSONPatch([]byte(doc), []byte(tt.patch))
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %v, want a *patch.Error", err)
			}
			if perr.Error() != tt.want {
				t.Errorf("got message\n%s\nwant\n%s", perr.Error(), tt.want)
			}
		})
	}
}

func TestJSONPatchLimits(t *testing.T) {
	// Each copy doubles the document: 30 of them would make a billion values.
	var doubling []string
	for i := range 30 {
		doubling = append(doubling, fmt.Sprintf(`{"op":"copy","from":"","path":"/k%d"}`, i))
	}
	deep := strings.Repeat(`{"a":`, maxDepth-2) + "{}" + strings.Repeat("}", maxDepth-2)
	tests := []struct {
		name, doc, patch string
	}{
		{"too many operations", `{}`, "[" + strings.TrimSuffix(strings.Repeat(`{"op":"test","path":""},`, maxOperations+1), ",") + "]"},
		{"copying too much", `{"a":[1,2,3,4,5,6,7,8]}`, "[" + strings.Join(doubling, ",") + "]"},
		{"adding too deep", deep, `[{"op":"add","path":"` + strings.Repeat("/a", maxDepth-2) + `/b","value":[[]]}]`},
		{"copying too deep", deep, `[{"op":"copy","from":"","path":"` + strings.Repeat("/a", maxDepth-2) + `/b"}]`},
		{"moving too deep", `{"x":` + deep + `,"y":{}}`, `[{"op":"move","from":"/x","path":"/y/z"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ApplyJSONPatch([]byte(tt.doc), []byte(tt.patch))
			if !errors.Is(err, ErrInvalidPatch) {
				t.Fatalf("got %v, want an error wrapping ErrInvalidPatch", err)
			}
		})
	}
	t.Run("within the limits", func(t *testing.T) {
		ops := make([]string, 10)
		for i := range ops {
			ops[i] = fmt.Sprintf(`{"op":"copy","from":"/a","path":"/b%d"}`, i)
		}
		if _, err := ApplyJSONPatch([]byte(`{"a":[1,2,3]}`), []byte("["+strings.Join(ops, ",")+"]")); err != nil {
			t.Fatal(err)
		}
	})
}
