package api

import (
	"reflect"

	"skiff/pkg/api/labels"
)

// validateReplicatedPods checks what ReplicaSets and Deployments share: a selector that
// matches the template's labels, and a template whose pods restart Always.
func validateReplicatedPods(replicas *int32, selector *LabelSelector, tpl *PodTemplateSpec, p *Path) FieldErrors {
	var errs FieldErrors
	if replicas != nil {
		errs = append(errs, validateNonNegative(int64(*replicas), p.Child("replicas"))...)
	}
	if selector == nil {
		errs = append(errs, Required(p.Child("selector"), ""))
	} else {
		errs = append(errs, ValidateLabelSelector(selector, p.Child("selector"))...)
		if len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
			errs = append(errs, Invalid(p.Child("selector"), "{}", "empty selector is invalid for deployment"))
		} else if sel, err := LabelSelectorAsSelector(selector); err == nil && !sel.Matches(labels.Set(tpl.Labels)) {
			errs = append(errs, Invalid(p.Child("template", "metadata", "labels"), labels.Set(tpl.Labels).String(), "`selector` does not match template `labels`"))
		}
	}
	tp := p.Child("template")
	errs = append(errs, ValidateLabels(tpl.Labels, tp.Child("metadata", "labels"))...)
	errs = append(errs, ValidatePodSpec(&tpl.Spec, tp.Child("spec"))...)
	if tpl.Spec.RestartPolicy != "" && tpl.Spec.RestartPolicy != RestartPolicyAlways {
		errs = append(errs, NotSupported(tp.Child("spec", "restartPolicy"), tpl.Spec.RestartPolicy, []string{RestartPolicyAlways}))
	}
	return errs
}

// ValidateReplicaSet checks a ReplicaSet.
func ValidateReplicaSet(rs *ReplicaSet) FieldErrors {
	errs := ValidateObjectMeta(&rs.ObjectMeta, true, ValidateSubdomainName)
	p := NewPath("spec")
	errs = append(errs, validateReplicatedPods(rs.Spec.Replicas, rs.Spec.Selector, &rs.Spec.Template, p)...)
	return append(errs, validateNonNegative(int64(rs.Spec.MinReadySeconds), p.Child("minReadySeconds"))...)
}

// ValidateReplicaSetUpdate also keeps the selector, which apps/v1 makes immutable.
func ValidateReplicaSetUpdate(rs, old *ReplicaSet) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta), ValidateReplicaSet(rs)...)
	if !reflect.DeepEqual(rs.Spec.Selector, old.Spec.Selector) {
		errs = append(errs, Invalid(NewPath("spec", "selector"), selectorString(rs.Spec.Selector), "field is immutable"))
	}
	return errs
}

// ValidateDeployment checks a Deployment.
func ValidateDeployment(d *Deployment) FieldErrors {
	errs := ValidateObjectMeta(&d.ObjectMeta, true, ValidateSubdomainName)
	p := NewPath("spec")
	errs = append(errs, validateReplicatedPods(d.Spec.Replicas, d.Spec.Selector, &d.Spec.Template, p)...)
	errs = append(errs, validateNonNegative(int64(d.Spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	if l := d.Spec.RevisionHistoryLimit; l != nil {
		errs = append(errs, validateNonNegative(int64(*l), p.Child("revisionHistoryLimit"))...)
	}
	if pd := d.Spec.ProgressDeadlineSeconds; pd != nil && *pd <= d.Spec.MinReadySeconds {
		errs = append(errs, Invalid(p.Child("progressDeadlineSeconds"), *pd, "must be greater than minReadySeconds"))
	}
	sp := p.Child("strategy")
	switch st := d.Spec.Strategy; st.Type {
	case RecreateDeploymentStrategyType:
		if st.RollingUpdate != nil {
			errs = append(errs, Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case RollingUpdateDeploymentStrategyType:
		if ru := st.RollingUpdate; ru != nil {
			rp := sp.Child("rollingUpdate")
			errs = append(errs, validateIntOrPercent(ru.MaxUnavailable, rp.Child("maxUnavailable"))...)
			errs = append(errs, validateIntOrPercent(ru.MaxSurge, rp.Child("maxSurge"))...)
			if isZeroIntOrPercent(ru.MaxUnavailable) && isZeroIntOrPercent(ru.MaxSurge) {
				errs = append(errs, Invalid(rp.Child("maxUnavailable"), ru.MaxUnavailable.String(), "may not be 0 when `maxSurge` is 0"))
			}
		}
	default:
		errs = append(errs, NotSupported(sp.Child("type"), st.Type, []string{RecreateDeploymentStrategyType, RollingUpdateDeploymentStrategyType}))
	}
	return errs
}

// ValidateDeploymentUpdate also keeps the selector.
func ValidateDeploymentUpdate(d, old *Deployment) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta), ValidateDeployment(d)...)
	if !reflect.DeepEqual(d.Spec.Selector, old.Spec.Selector) {
		errs = append(errs, Invalid(NewPath("spec", "selector"), selectorString(d.Spec.Selector), "field is immutable"))
	}
	return errs
}

// ValidateScale checks a write to the scale subresource.
func ValidateScale(s *Scale) FieldErrors {
	return validateNonNegative(int64(s.Spec.Replicas), NewPath("spec", "replicas"))
}

func isZeroIntOrPercent(v *IntOrString) bool {
	return v != nil && (v.String() == "0" || v.String() == "0%")
}

func selectorString(ls *LabelSelector) string {
	sel, err := LabelSelectorAsSelector(ls)
	if err != nil || ls == nil {
		return ""
	}
	return sel.String()
}
