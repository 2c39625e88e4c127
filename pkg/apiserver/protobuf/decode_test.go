package protobuf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// TestDecodeGolden decodes bodies that client-go encoded (testdata/*.pb, written by
// hack/protonumbers) and checks that they give the same Skiff object as the JSON
// client-go encodes for the same Kubernetes object.
func TestDecodeGolden(t *testing.T) {
	tests := []struct {
		file             string
		new              func() any
		apiVersion, kind string
	}{
		{"namespace", func() any { return &api.Namespace{} }, "v1", "Namespace"},
		{"configmap", func() any { return &api.ConfigMap{} }, "v1", "ConfigMap"},
		{"secret", func() any { return &api.Secret{} }, "v1", "Secret"},
		{"serviceaccount", func() any { return &api.ServiceAccount{} }, "v1", "ServiceAccount"},
		{"deployment", func() any { return &api.Deployment{} }, "apps/v1", "Deployment"},
		{"replicaset", func() any { return &api.ReplicaSet{} }, "apps/v1", "ReplicaSet"},
		{"pod", func() any { return &api.Pod{} }, "v1", "Pod"},
		{"pod-status", func() any { return &api.Pod{} }, "v1", "Pod"},
		{"service", func() any { return &api.Service{} }, "v1", "Service"},
		{"endpoints", func() any { return &api.Endpoints{} }, "v1", "Endpoints"},
		{"lease", func() any { return &api.Lease{} }, "coordination.k8s.io/v1", "Lease"},
		{"node", func() any { return &api.Node{} }, "v1", "Node"},
		{"event", func() any { return &api.Event{} }, "v1", "Event"},
		{"binding", func() any { return &api.Binding{} }, "v1", "Binding"},
		{"scale", func() any { return &api.Scale{} }, "autoscaling/v1", "Scale"},
		{"deleteoptions", func() any { return &api.DeleteOptions{} }, "v1", "DeleteOptions"},
		{"priorityclass", func() any { return &api.PriorityClass{} }, "scheduling.k8s.io/v1", "PriorityClass"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			pb := readFile(t, tc.file+".pb")
			want, got := tc.new(), tc.new()
			if err := json.Unmarshal(readFile(t, tc.file+".json"), want); err != nil {
				t.Fatal(err)
			}
			apiVersion, kind, err := Decode(pb, got)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if apiVersion != tc.apiVersion || kind != tc.kind {
				t.Errorf("Decode returned %q %q, want %q %q", apiVersion, kind, tc.apiVersion, tc.kind)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("protobuf and JSON decode differently (-want +got):\n%s", diff)
			}
		})
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Builders for hand-made protobuf.

func cat(parts ...[]byte) []byte { return []byte(strings.Join(bytesToStrings(parts), "")) }

func bytesToStrings(bs [][]byte) []string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	return s
}

// msg is field num holding the message made of fields.
func msg(num protowire.Number, fields ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, cat(fields...))
}

func str(num protowire.Number, s string) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func varint(num protowire.Number, x uint64) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, x)
}

// body wraps the object message raw in the envelope client-go sends.
func body(apiVersion, kind string, raw ...[]byte) []byte {
	return cat([]byte("k8s\x00"), msg(1, str(1, apiVersion), str(2, kind)), msg(2, raw...), str(3, ""), str(4, ""))
}

func TestDecode(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	tests := []struct {
		name string
		data []byte
		want api.Pod
	}{{
		name: "envelope only",
		data: []byte("k8s\x00"),
		want: api.Pod{},
	}, {
		name: "unknown fields of every wire type are skipped",
		data: body("v1", "Pod",
			varint(99, 1),
			protowire.AppendFixed32(protowire.AppendTag(nil, 98, protowire.Fixed32Type), 7),
			protowire.AppendFixed64(protowire.AppendTag(nil, 97, protowire.Fixed64Type), 7),
			str(96, "x"),
			cat(protowire.AppendTag(nil, 95, protowire.StartGroupType), varint(1, 1), protowire.AppendTag(nil, 95, protowire.EndGroupType)),
			msg(1, str(1, "web"), str(1000, "future field")),
		),
		want: api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: api.ObjectMeta{Name: "web"}},
	}, {
		name: "repeated scalars packed and not",
		data: body("v1", "Pod", msg(2, msg(14,
			varint(4, 1),
			msg(4, protowire.AppendVarint(protowire.AppendVarint(nil, 2), 1<<40)),
			varint(4, uint64(1<<64-3)), // -3 as a 64-bit varint
		))),
		want: api.Pod{
			TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			Spec:     api.PodSpec{SecurityContext: &api.PodSecurityContext{SupplementalGroups: []int64{1, 2, 1 << 40, -3}}},
		},
	}, {
		name: "a message given twice is merged, a scalar given twice is the last",
		data: body("v1", "Pod", msg(1, str(1, "a"), str(3, "ns")), msg(1, str(1, "b"), msg(11, str(1, "k"), str(2, "v")))),
		want: api.Pod{
			TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: api.ObjectMeta{Name: "b", Namespace: "ns", Labels: map[string]string{"k": "v"}},
		},
	}, {
		name: "map entries without key or value",
		data: body("v1", "Pod", msg(1, msg(11, str(2, "v")), msg(11, str(1, "k")))),
		want: api.Pod{
			TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: api.ObjectMeta{Labels: map[string]string{"": "v", "k": ""}},
		},
	}, {
		name: "empty time is zero, time drops nanoseconds",
		data: body("v1", "Pod", msg(1, msg(8), msg(9, varint(1, uint64(t0.Unix())), varint(2, 999)))),
		want: api.Pod{
			TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: api.ObjectMeta{DeletionTimestamp: &api.Time{Time: t0.Local()}},
		},
	}, {
		name: "negative int32 as a ten-byte varint",
		data: body("v1", "Pod", msg(2, varint(25, uint64(1<<64-5)))),
		want: api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"}, Spec: api.PodSpec{Priority: ptr(int32(-5))}},
	}, {
		name: "no type meta",
		data: cat([]byte("k8s\x00"), msg(2, msg(1, str(1, "web")))),
		want: api.Pod{ObjectMeta: api.ObjectMeta{Name: "web"}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got api.Pod
			if _, _, err := Decode(tc.data, &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestDecodeSpecialTypes(t *testing.T) {
	port := func(fields ...[]byte) []byte {
		return body("v1", "Service", msg(2, msg(1, msg(4, fields...))))
	}
	tests := []struct {
		name string
		data []byte
		want api.IntOrString
	}{
		{"int", port(varint(1, 0), varint(2, 8080)), api.FromInt(8080)},
		{"string", port(varint(1, 1), str(3, "http")), api.FromString("http")},
		{"string with a stray int", port(varint(1, 1), varint(2, 1), str(3, "http")), api.FromString("http")},
		{"empty", port(), api.FromInt(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got api.Service
			if _, _, err := Decode(tc.data, &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff([]api.ServicePort{{TargetPort: tc.want}}, got.Spec.Ports); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("quantity and micro time", func(t *testing.T) {
		data := body("coordination.k8s.io/v1", "Lease", msg(2, msg(3, varint(1, 1741964966), varint(2, 535897123))))
		var got api.Lease
		if _, _, err := Decode(data, &got); err != nil {
			t.Fatal(err)
		}
		want := time.Unix(1741964966, 535897000)
		if !got.Spec.AcquireTime.Equal(want) {
			t.Errorf("AcquireTime = %v, want %v", got.Spec.AcquireTime, want)
		}

		data = body("v1", "Node", msg(3, msg(1, str(1, "cpu"), msg(2, str(1, "1500m")))))
		var node api.Node
		if _, _, err := Decode(data, &node); err != nil {
			t.Fatal(err)
		}
		if q := node.Status.Capacity["cpu"]; !q.Equal(resource.MustParse("1.5")) {
			t.Errorf("capacity cpu = %v, want 1500m", q)
		}
	})
}

// LabelSelector is a recursive stand-in for the Kubernetes type of that name: Skiff's
// types do not nest without end, so only such a type reaches the depth limit.
type LabelSelector struct {
	MatchExpressions []LabelSelector
}

func TestDecodeErrors(t *testing.T) {
	deep := msg(2)
	for range maxDepth {
		deep = msg(2, deep)
	}
	tests := []struct {
		name string
		data []byte
		want string
		obj  any // *api.Pod if nil
	}{
		{"empty", nil, "prefix", nil},
		{"json", []byte(`{"kind":"Pod"}`), "prefix", nil},
		{"truncated tag", []byte("k8s\x00\x80"), "unexpected EOF", nil},
		{"truncated length", cat([]byte("k8s\x00"), []byte{0x12, 0x05, 0x0a}), "unexpected EOF", nil},
		{"field number zero", []byte("k8s\x00\x02\x00"), "invalid field number", nil},
		{"stray end group", body("v1", "Pod", protowire.AppendTag(nil, 5, protowire.EndGroupType)), "mismatching end group", nil},
		{"varint where string belongs", body("v1", "Pod", msg(1, varint(1, 7))), "metadata.name: wire type 0", nil},
		{"string where varint belongs", body("v1", "Pod", msg(1, str(7, "x"))), "metadata.generation: wire type 2", nil},
		{"bad quantity", body("v1", "Node", msg(3, msg(1, str(1, "cpu"), msg(2, str(1, "lots"))))), `status.capacity: quantity "lots"`, &api.Node{}},
		{"bad int-or-string type", body("v1", "Service", msg(2, msg(1, msg(4, varint(1, 2))))), "spec.ports.targetPort: IntOrString type 2", &api.Service{}},
		{"bad fieldsV1", body("v1", "Pod", msg(1, msg(17, msg(7, str(1, "[1]"))))), "metadata.managedFields.fieldsV1: fieldsV1 is not a JSON object", nil},
		{"bad packed", body("v1", "Pod", msg(2, msg(14, msg(4, []byte{0x80})))), "unexpected EOF", nil},
		{"too deep", body("v1", "LabelSelector", deep), "nested more than", &LabelSelector{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.obj == nil {
				tc.obj = &api.Pod{}
			}
			_, _, err := Decode(tc.data, tc.obj)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode error = %v, want one wrapping ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "protobuf: ") {
				t.Errorf("Decode error = %q, want it to start with \"protobuf: \" and mention %q", err, tc.want)
			}
		})
	}
}

func TestDecodeNeedsAPointerToAStruct(t *testing.T) {
	for _, obj := range []any{nil, api.Pod{}, (*api.Pod)(nil), new(string)} {
		if _, _, err := Decode([]byte("k8s\x00"), obj); err == nil || errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%T) error = %v, want a usage error", obj, err)
		}
	}
}
