package patch

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustDecode decodes a JSON test fixture.
func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// checkResult compares a patch result with the expected outcome: want is a JSON
// document, or "" when the patch must fail with an error wrapping wantErr.
func checkResult(t *testing.T, got []byte, err error, want string, wantErr error) {
	t.Helper()
	if want == "" {
		if !errors.Is(err, wantErr) {
			t.Fatalf("got error %v, result %s; want an error wrapping %v", err, got, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if diff := cmp.Diff(mustDecode(t, want), mustDecode(t, string(got))); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
}

func TestApply(t *testing.T) {
	const doc = `{"a":1,"list":[1,2]}`
	tests := []struct {
		name        string
		contentType string
		patch       string
		want        string
		wantErr     error
	}{
		{"json patch", JSONPatch, `[{"op":"replace","path":"/a","value":2}]`, `{"a":2,"list":[1,2]}`, nil},
		{"merge patch", MergePatch, `{"list":[3]}`, `{"a":1,"list":[3]}`, nil},
		{"strategic merge patch", StrategicMerge, `{"a":null}`, `{"list":[1,2]}`, nil},
		{"parameters are ignored", "Application/Merge-Patch+JSON; charset=utf-8", `{"a":3}`, `{"a":3,"list":[1,2]}`, nil},
		{"server-side apply is not supported", "application/apply-patch+yaml", `{}`, "", ErrUnsupportedType},
		{"plain json is not a patch type", "application/json", `{}`, "", ErrUnsupportedType},
		{"malformed patch", MergePatch, `{"a":`, "", ErrInvalidPatch},
		{"trailing data after the patch", MergePatch, `{} {}`, "", ErrInvalidPatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(tt.contentType, []byte(doc), []byte(tt.patch), nil)
			checkResult(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestBadOriginalIsNotTheClientsFault(t *testing.T) {
	for _, ct := range []string{JSONPatch, MergePatch, StrategicMerge} {
		t.Run(ct, func(t *testing.T) {
			patch := `{}`
			if ct == JSONPatch {
				patch = `[]`
			}
			_, err := Apply(ct, []byte(`{"a":`), []byte(patch), nil)
			if err == nil || errors.Is(err, ErrInvalidPatch) {
				t.Fatalf("got %v, want an error that does not wrap ErrInvalidPatch", err)
			}
		})
	}
}

func TestDepthLimit(t *testing.T) {
	nested := func(levels int) string {
		return strings.Repeat(`{"a":`, levels) + "1" + strings.Repeat("}", levels)
	}
	tests := []struct {
		name     string
		original string
		patch    string
		wantErr  error // nil: must succeed
	}{
		{"patch at the limit", `{}`, nested(maxDepth), nil},
		{"patch over the limit", `{}`, nested(maxDepth + 1), ErrInvalidPatch},
		{"arrays count too", `{}`, `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}", ErrInvalidPatch},
		{"brackets in strings do not count", `{}`, `{"a":"` + strings.Repeat("[", 2*maxDepth) + `"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, ct := range []string{MergePatch, StrategicMerge} {
				_, err := Apply(ct, []byte(tt.original), []byte(tt.patch), nil)
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("%s: got error %v, want %v", ct, err, tt.wantErr)
				}
			}
		})
	}
	t.Run("original over the limit", func(t *testing.T) {
		_, err := ApplyMergePatch([]byte(nested(maxDepth+1)), []byte(`{}`))
		if err == nil || errors.Is(err, ErrInvalidPatch) {
			t.Fatalf("got %v, want a document error", err)
		}
	})
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`1`, `1.0`, true},
		{`100`, `1e2`, true},
		{`0.5`, `5E-1`, true},
		{`-0`, `0`, true},
		{`12345678901234567890`, `12345678901234567891`, false}, // beyond float64 precision
		{`1e400`, `2e400`, false},                               // beyond float64 range
		{`1`, `"1"`, false},
		{`{"a":1,"b":[1,{}]}`, `{"b":[1.0,{}],"a":1}`, true},
		{`[1,2]`, `[2,1]`, false},
		{`{"a":null}`, `{}`, false},
		{`null`, `false`, false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			a, b := mustDecode(t, tt.a), mustDecode(t, tt.b)
			if got := equal(a, b); got != tt.want {
				t.Errorf("equal = %v, want %v", got, tt.want)
			}
			if got := canonical(a) == canonical(b); got != tt.want {
				t.Errorf("canonical forms equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func ExampleApply() {
	original := []byte(`{"metadata":{"name":"web","labels":{"app":"web","stale":"yes"}}}`)
	patch := []byte(`{"metadata":{"labels":{"stale":null,"tier":"frontend"}}}`)
	out, err := Apply(MergePatch, original, patch, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))

	_, err = Apply(JSONPatch, original, []byte(`[{"op":"remove","path":"/metadata/labels/x"}]`), nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, ErrInvalidPatch))
	// Output:
	// {"metadata":{"labels":{"app":"web","tier":"frontend"},"name":"web"}}
	// jsonpatch remove operation does not apply: doc is missing path: "/metadata/labels/x"
	// true
}
