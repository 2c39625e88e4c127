package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api/resource"
)

func TestJSONShapes(t *testing.T) {
	created := Time{time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}
	renew := MicroTime{time.Date(2026, 11, 22, 10, 30, 0, 123456000, time.UTC)}
	holder := "node-a"
	tests := []struct {
		name string
		obj  any
		want string
	}{
		{"zero time is null/omitted", ObjectMeta{Name: "a"}, `{"name":"a"}`},
		{"time is RFC 3339 UTC seconds", ObjectMeta{Name: "a", CreationTimestamp: created}, `{"name":"a","creationTimestamp":"2026-11-22T10:30:00Z"}`},
		{"micro time", LeaseSpec{HolderIdentity: &holder, RenewTime: &renew}, `{"holderIdentity":"node-a","renewTime":"2026-11-22T10:30:00.123456Z"}`},
		{"int or string", []IntOrString{FromInt(8080), FromString("http"), FromString("25%")}, `[8080,"http","25%"]`},
		{"quantities", ResourceList{"cpu": resource.MustParse("1.5"), "memory": resource.MustParse("64Mi")}, `{"cpu":"1500m","memory":"64Mi"}`},
		{"secret data is base64", Secret{Data: map[string][]byte{"k": []byte("hi")}}, `{"metadata":{},"data":{"k":"aGk="}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	var m ObjectMeta
	if err := json.Unmarshal([]byte(`{"creationTimestamp":"2026-11-22T10:30:00+02:00","deletionTimestamp":null}`), &m); err != nil {
		t.Fatal(err)
	}
	if !m.CreationTimestamp.Equal(time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)) || m.DeletionTimestamp != nil {
		t.Errorf("decoded %v %v", m.CreationTimestamp, m.DeletionTimestamp)
	}
	if err := json.Unmarshal([]byte(`{"creationTimestamp":"yesterday"}`), &m); err == nil {
		t.Error("a malformed time decoded without error")
	}
}

func TestDeepCopyIsIndependent(t *testing.T) {
	orig := &Pod{
		ObjectMeta: ObjectMeta{Name: "a", Labels: map[string]string{"k": "v"}, Finalizers: []string{"f"}},
		Spec: PodSpec{Containers: []Container{{Name: "c", Env: []EnvVar{{Name: "E"}},
			Resources: ResourceRequirements{Limits: ResourceList{"cpu": resource.MustParse("1")}}}}},
	}
	cp := DeepCopy(orig)
	if diff := cmp.Diff(orig, cp); diff != "" {
		t.Fatalf("copy differs (-orig +copy):\n%s", diff)
	}
	cp.Labels["k"] = "changed"
	cp.Finalizers[0] = "changed"
	cp.Spec.Containers[0].Env[0].Name = "changed"
	q := cp.Spec.Containers[0].Resources.Limits["cpu"]
	q.Add(resource.MustParse("1"))
	cp.Spec.Containers[0].Resources.Limits["cpu"] = q
	if orig.Labels["k"] != "v" || orig.Finalizers[0] != "f" || orig.Spec.Containers[0].Env[0].Name != "E" {
		t.Errorf("changing the copy changed the original: %+v", orig)
	}
	if got := orig.Spec.Containers[0].Resources.Limits["cpu"]; got.String() != "1" {
		t.Errorf("original quantity changed to %s", got.String())
	}
}

func TestLabelSelectorAsSelector(t *testing.T) {
	sel, err := LabelSelectorAsSelector(&LabelSelector{
		MatchLabels:      map[string]string{"app": "web"},
		MatchExpressions: []LabelSelectorRequirement{{Key: "tier", Operator: LabelSelectorOpIn, Values: []string{"a", "b"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := sel.String(); got != "app=web,tier in (a,b)" {
		t.Errorf("String() = %q", got)
	}
	if _, err := LabelSelectorAsSelector(&LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "k", Operator: "Near"}}}); err == nil {
		t.Error("unknown operator accepted")
	}
	if nothing, _ := LabelSelectorAsSelector(nil); nothing.Matches(mapLabels{"a": "b"}) {
		t.Error("nil selector matched")
	}
}

type mapLabels map[string]string

func (m mapLabels) Has(k string) bool   { _, ok := m[k]; return ok }
func (m mapLabels) Get(k string) string { return m[k] }
