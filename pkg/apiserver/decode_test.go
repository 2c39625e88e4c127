package apiserver

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/registry"
)

func TestCheckFields(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"clean", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"y"}},"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1"}},"ports":[{"containerPort":80}]}]}}`, nil},
		{"unknown nested in a list", `{"spec":{"containers":[{"name":"c"},{"name":"d","imagee":"x"}]}}`, []string{`unknown field "spec.containers[1].imagee"`}},
		{"unknown top level", `{"metadata":{},"extra":true}`, []string{`unknown field "extra"`}},
		{"map keys are free", `{"metadata":{"annotations":{"anything/at.all":"x"}}}`, nil},
		{"inline volume source", `{"spec":{"volumes":[{"name":"v","emptyDir":{},"hostPathh":{}}]}}`, []string{`unknown field "spec.volumes[0].hostPathh"`}},
		{"quantity and int-or-string are opaque", `{"spec":{"containers":[{"livenessProbe":{"httpGet":{"port":"http"}}}]}}`, nil},
		{"duplicates", `{"metadata":{"name":"a","name":"b"},"kind":"Pod","kind":"Pod"}`, []string{`duplicate field "metadata.name"`, `duplicate field "kind"`}},
		{"case matters", `{"metadata":{"Name":"a"}}`, []string{`unknown field "metadata.Name"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkFields([]byte(tt.body), &api.Pod{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept     string
		allowTable bool
		want       format
		wantErr    bool
	}{
		{"", true, formatJSON, false},
		{"application/json", true, formatJSON, false},
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json", true, formatTable, false},
		{"application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json", true, formatTable, false},
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json", false, formatJSON, false},
		{"application/json;as=Table;v=v1;g=meta.k8s.io", false, formatJSON, true},
		{"application/vnd.kubernetes.protobuf, */*", true, formatJSON, false},
		{"application/vnd.kubernetes.protobuf", true, formatJSON, true},
		{"application/yaml", true, formatYAML, false},
		{"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", true, formatJSON, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/api/v1/pods", nil)
		r.Header.Set("Accept", tt.accept)
		got, err := negotiate(r, tt.allowTable)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("Accept %q (table %v): got %v, %v; want %v, error %v", tt.accept, tt.allowTable, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzDecodeObject: no body makes the decoder panic, whatever the mode, and a
// body it accepts in Strict mode re-encodes to JSON it accepts again.
func FuzzDecodeObject(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3,"strategy":{"rollingUpdate":{"maxSurge":"25%"}}}}`,
		`{"metadata":{"name":"a","name":"b"}}`, `[]`, `null`, `{"spec":{"containers":[{"resources":{"limits":{"cpu":"1.5"}}}]}}`,
		`{"metadata":{"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"a":"b"}}}`, strings.Repeat("[", 100),
	} {
		f.Add([]byte(seed))
	}
	reg := registry.Builtin()
	pods, _ := reg.Lookup("", "v1", "pods")
	deploys, _ := reg.Lookup("apps", "v1", "deployments")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, res := range []*registry.Resource{pods, deploys} {
			for _, mode := range []fieldValidation{validationIgnore, validationWarn, validationStrict} {
				obj, _, err := decodeObject(res, data, "application/json", mode)
				if err != nil {
					if api.CodeOf(err) != 400 {
						t.Fatalf("decode error is not a 400 Status: %v", err)
					}
					continue
				}
				if mode != validationStrict {
					continue
				}
				again, err := json.Marshal(obj)
				if err != nil {
					t.Fatalf("accepted object does not encode: %v", err)
				}
				if _, _, err := decodeObject(res, again, "application/json", validationStrict); err != nil {
					t.Fatalf("re-encoded object rejected: %v\n%s", err, again)
				}
			}
		}
	})
}
