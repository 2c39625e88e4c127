package podtopologyspread

import (
	"testing"

	"skiff/pkg/api"
)

func TestToleratesNoScheduleTaints(t *testing.T) {
	tests := []struct {
		name        string
		taints      []api.Taint
		tolerations []api.Toleration
		want        bool
	}{
		{name: "no taints", want: true},
		{name: "untolerated NoSchedule", taints: []api.Taint{{Key: "gpu", Effect: "NoSchedule"}}, want: false},
		{name: "untolerated NoExecute", taints: []api.Taint{{Key: "gpu", Effect: "NoExecute"}}, want: false},
		{name: "PreferNoSchedule does not keep pods away", taints: []api.Taint{{Key: "gpu", Effect: "PreferNoSchedule"}}, want: true},
		{
			name:        "Equal with the same value",
			taints:      []api.Taint{{Key: "gpu", Value: "yes", Effect: "NoSchedule"}},
			tolerations: []api.Toleration{{Key: "gpu", Operator: "Equal", Value: "yes"}},
			want:        true,
		},
		{
			name:        "Equal with another value",
			taints:      []api.Taint{{Key: "gpu", Value: "yes", Effect: "NoSchedule"}},
			tolerations: []api.Toleration{{Key: "gpu", Value: "no"}},
			want:        false,
		},
		{
			name:        "Exists with an empty key tolerates everything",
			taints:      []api.Taint{{Key: "gpu", Effect: "NoSchedule"}, {Key: "disk", Effect: "NoExecute"}},
			tolerations: []api.Toleration{{Operator: "Exists"}},
			want:        true,
		},
		{
			name:        "another effect",
			taints:      []api.Taint{{Key: "gpu", Effect: "NoSchedule"}},
			tolerations: []api.Toleration{{Key: "gpu", Operator: "Exists", Effect: "NoExecute"}},
			want:        false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toleratesNoScheduleTaints(tt.tolerations, tt.taints); got != tt.want {
				t.Errorf("toleratesNoScheduleTaints = %v, want %v", got, tt.want)
			}
		})
	}
}
