package podtopologyspread

import (
	"skiff/pkg/api"
	"skiff/pkg/scheduler/plugins/tainttoleration"
)

// toleratesNoScheduleTaints reports whether the tolerations tolerate every
// NoSchedule and NoExecute taint (PreferNoSchedule does not keep pods away).
func toleratesNoScheduleTaints(tolerations []api.Toleration, taints []api.Taint) bool {
	for _, taint := range taints {
		if taint.Effect != api.TaintEffectNoSchedule && taint.Effect != api.TaintEffectNoExecute {
			continue
		}
		if !tainttoleration.Tolerates(tolerations, taint) {
			return false
		}
	}
	return true
}
