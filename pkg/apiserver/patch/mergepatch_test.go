package patch

import "testing"

func TestApplyMergePatch(t *testing.T) {
	tests := []struct {
		name             string
		doc, patch, want string
	}{
		// RFC 7386 Appendix A.
		{"A replace a member", `{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{"A add a member", `{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{"A delete a member", `{"a":"b"}`, `{"a":null}`, `{}`},
		{"A delete one of two", `{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{"A array replaced by a string", `{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{"A string replaced by an array", `{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{"A nested merge", `{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{"A arrays are replaced", `{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{"A array document", `["a","b"]`, `["c","d"]`, `["c","d"]`},
		{"A object replaced by an array", `{"a":"b"}`, `["c"]`, `["c"]`},
		{"A null patch", `{"a":"foo"}`, `null`, `null`},
		{"A string patch", `{"a":"foo"}`, `"bar"`, `"bar"`},
		{"A null in the original stays", `{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{"A array original replaced by an object", `[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{"A nulls in a new object are dropped", `{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},

		{"empty patch", `{"a":1}`, `{}`, `{"a":1}`},
		{"deleting a missing member", `{"a":1}`, `{"b":null}`, `{"a":1}`},
		{"nulls inside arrays are kept", `{}`, `{"a":[null,{"b":null}]}`, `{"a":[null,{"b":null}]}`},
		{"a scalar becomes an object", `{"a":1}`, `{"a":{"b":2}}`, `{"a":{"b":2}}`},
		{"large integers survive", `{"a":12345678901234567890}`, `{"b":1.50}`, `{"a":12345678901234567890,"b":1.50}`},
		{"directives mean nothing here", `{"a":[1]}`, `{"$patch":"replace","a":[2]}`, `{"$patch":"replace","a":[2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyMergePatch([]byte(tt.doc), []byte(tt.patch))
			checkResult(t, got, err, tt.want, nil)
		})
	}
}
