package tainttoleration

import "skiff/pkg/api"

// Tolerates reports whether any of the tolerations tolerates the taint.
func Tolerates(tolerations []api.Toleration, taint api.Taint) bool {
	for _, t := range tolerations {
		if toleratesTaint(t, taint) {
			return true
		}
	}
	return false
}

// toleratesTaint follows Kubernetes: an empty effect matches every effect, an
// empty key (only valid with Exists) every key; Exists ignores the value,
// Equal (the default) needs the same value.
func toleratesTaint(t api.Toleration, taint api.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case api.TolerationOpExists:
		return true
	case "", api.TolerationOpEqual:
		return t.Value == taint.Value
	}
	return false
}
