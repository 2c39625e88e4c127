package deployment

import (
	"encoding/json"
	"strings"
	"testing"

	"skiff/pkg/api"
)

func TestSafeEncode(t *testing.T) {
	if got, want := safeEncode("0123456789"), "456789bcdf"; got != want {
		t.Errorf("safeEncode(digits) = %q, want %q (Kubernetes' SafeEncodeString)", got, want)
	}
}

func TestComputeHash(t *testing.T) {
	base := makeDeployment("web").Obj().Spec.Template
	hash := ComputeHash(&base, nil)

	// Pinned: a change here renames every ReplicaSet of every Deployment on
	// upgrade (they are still found by template, so nothing breaks, but
	// nothing should change it by accident).
	if want := "868ff8dd8"; hash != want {
		t.Errorf("ComputeHash(base) = %q, want %q", hash, want)
	}
	if strings.Trim(hash, "456789bcdf") != "" {
		t.Errorf("hash %q has characters outside the safe encoding of digits", hash)
	}

	var roundTripped api.PodTemplateSpec
	data, _ := json.Marshal(base)
	if err := json.Unmarshal(data, &roundTripped); err != nil {
		t.Fatal(err)
	}
	copied := api.DeepCopy(base)
	otherImage := api.DeepCopy(base)
	otherImage.Spec.Containers[0].Image = "nginx:2"
	otherLabel := api.DeepCopy(base)
	otherLabel.Labels["tier"] = "front"

	tests := []struct {
		name      string
		tpl       api.PodTemplateSpec
		collision *int32
		same      bool
	}{
		{"same template again", base, nil, true},
		{"deep copy", copied, nil, true},
		{"read back from JSON", roundTripped, nil, true},
		{"another image", otherImage, nil, false},
		{"another label", otherLabel, nil, false},
		{"collision count 0", base, ptr(int32(0)), false},
		{"collision count 1", base, ptr(int32(1)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComputeHash(&tt.tpl, tt.collision)
			if (got == hash) != tt.same {
				t.Errorf("ComputeHash = %q, base %q: same = %v, want %v", got, hash, got == hash, tt.same)
			}
		})
	}
	if ComputeHash(&base, ptr(int32(1))) == ComputeHash(&base, ptr(int32(2))) {
		t.Error("collision counts 1 and 2 hash the same")
	}
}

func TestEqualIgnoreHash(t *testing.T) {
	base := makeDeployment("web").Obj().Spec.Template
	withHash := api.DeepCopy(base)
	withHash.Labels[HashLabel] = "abc"
	otherHash := api.DeepCopy(base)
	otherHash.Labels[HashLabel] = "xyz"
	otherImage := api.DeepCopy(withHash)
	otherImage.Spec.Containers[0].Image = "nginx:2"
	emptyVsNil := api.DeepCopy(base)
	emptyVsNil.Annotations = map[string]string{}
	emptyVsNil.Spec.Volumes = []api.Volume{}

	tests := []struct {
		name string
		a, b api.PodTemplateSpec
		want bool
	}{
		{"identical", base, base, true},
		{"hash label on one side", base, withHash, true},
		{"different hash labels", withHash, otherHash, true},
		{"different image", base, otherImage, false},
		{"empty and nil maps and lists", base, emptyVsNil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := equalIgnoreHash(&tt.a, &tt.b); got != tt.want {
				t.Errorf("equalIgnoreHash = %v, want %v", got, tt.want)
			}
			if _, ok := base.Labels[HashLabel]; ok {
				t.Fatal("equalIgnoreHash changed its argument's labels")
			}
		})
	}
}
