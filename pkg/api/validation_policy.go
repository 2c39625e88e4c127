package api

import (
	"strings"
)

// ValidateLimitRange checks a LimitRange: known types, and min ≤ default-request ≤
// default ≤ max for each resource.
func ValidateLimitRange(l *LimitRange) FieldErrors {
	errs := ValidateObjectMeta(&l.ObjectMeta, true, ValidateSubdomainName)
	for i, item := range l.Spec.Limits {
		p := NewPath("spec", "limits").Index(i)
		switch item.Type {
		case LimitTypePod, LimitTypeContainer, LimitTypePVC:
		default:
			errs = append(errs, NotSupported(p.Child("type"), item.Type, []string{LimitTypeContainer, LimitTypePod, LimitTypePVC}))
		}
		if item.Type == LimitTypePod && (len(item.Default) > 0 || len(item.DefaultRequest) > 0) {
			errs = append(errs, Forbidden(p.Child("default"), "may not be set for type Pod"))
		}
		for name, def := range item.Default {
			if max, ok := item.Max[name]; ok && def.Cmp(max) > 0 {
				errs = append(errs, Invalid(p.Child("default").Key(name), def.String(), "must be less than or equal to max value "+max.String()))
			}
			if min, ok := item.Min[name]; ok && def.Cmp(min) < 0 {
				errs = append(errs, Invalid(p.Child("default").Key(name), def.String(), "must be greater than or equal to min value "+min.String()))
			}
		}
		for name, req := range item.DefaultRequest {
			if def, ok := item.Default[name]; ok && req.Cmp(def) > 0 {
				errs = append(errs, Invalid(p.Child("defaultRequest").Key(name), req.String(), "must be less than or equal to default value "+def.String()))
			}
			if min, ok := item.Min[name]; ok && req.Cmp(min) < 0 {
				errs = append(errs, Invalid(p.Child("defaultRequest").Key(name), req.String(), "must be greater than or equal to min value "+min.String()))
			}
		}
		for name, min := range item.Min {
			if max, ok := item.Max[name]; ok && min.Cmp(max) > 0 {
				errs = append(errs, Invalid(p.Child("min").Key(name), min.String(), "must be less than or equal to max value "+max.String()))
			}
		}
	}
	return errs
}

// quotaResourceNames are the quota resources Skiff counts, besides count/<resource>.
var quotaResourceNames = []string{ResourcePods, ResourceCPU, ResourceMemory, ResourceRequestsCPU, ResourceRequestsMemory,
	ResourceLimitsCPU, ResourceLimitsMemory, "services", "configmaps", "secrets", "replicationcontrollers", "resourcequotas", "persistentvolumeclaims"}

// ValidateResourceQuota checks a ResourceQuota: known resource names, no negative
// limits.
func ValidateResourceQuota(q *ResourceQuota) FieldErrors {
	errs := ValidateObjectMeta(&q.ObjectMeta, true, ValidateSubdomainName)
	for name, v := range q.Spec.Hard {
		p := NewPath("spec", "hard").Key(name)
		known := strings.HasPrefix(name, "count/")
		for _, n := range quotaResourceNames {
			known = known || n == name
		}
		if !known {
			errs = append(errs, NotSupported(p, name, append([]string{"count/<resource>[.<group>]"}, quotaResourceNames...)))
		}
		if v.Sign() < 0 {
			errs = append(errs, Invalid(p, v.String(), "must be greater than or equal to 0"))
		}
	}
	if len(q.Spec.Scopes) > 0 {
		errs = append(errs, Forbidden(NewPath("spec", "scopes"), "quota scopes are not supported by Skiff"))
	}
	return errs
}
