package api

import (
	"reflect"
	"strings"
)

// ValidateRole checks a Role: its rules may not use non-resource URLs.
func ValidateRole(r *Role) FieldErrors {
	errs := ValidateObjectMeta(&r.ObjectMeta, true, validatePathSegmentName)
	for i, rule := range r.Rules {
		errs = append(errs, validatePolicyRule(rule, false, NewPath("rules").Index(i))...)
	}
	return errs
}

// ValidateClusterRole checks a ClusterRole.
func ValidateClusterRole(r *ClusterRole) FieldErrors {
	errs := ValidateObjectMeta(&r.ObjectMeta, false, validatePathSegmentName)
	for i, rule := range r.Rules {
		errs = append(errs, validatePolicyRule(rule, true, NewPath("rules").Index(i))...)
	}
	return errs
}

// validatePathSegmentName is the naming rule of RBAC objects: anything that can be
// a URL path segment ("system:node-bootstrapper" is valid).
func validatePathSegmentName(name string) []string {
	switch {
	case name == "." || name == "..":
		return []string{"may not be '.' or '..'"}
	case strings.ContainsAny(name, "/%"):
		return []string{"may not contain '/' or '%'"}
	}
	return nil
}

func validatePolicyRule(rule PolicyRule, allowNonResource bool, p *Path) FieldErrors {
	var errs FieldErrors
	if len(rule.Verbs) == 0 {
		errs = append(errs, Required(p.Child("verbs"), "verbs must contain at least one value"))
	}
	if len(rule.NonResourceURLs) > 0 {
		if !allowNonResource {
			errs = append(errs, Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
			errs = append(errs, Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		for i, u := range rule.NonResourceURLs {
			if !strings.HasPrefix(u, "/") && u != "*" {
				errs = append(errs, Invalid(p.Child("nonResourceURLs").Index(i), u, "must start with / or be *"))
			}
		}
		return errs
	}
	if len(rule.APIGroups) == 0 {
		errs = append(errs, Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(rule.Resources) == 0 {
		errs = append(errs, Required(p.Child("resources"), "resource rules must supply at least one resource"))
	}
	return errs
}

// ValidateRoleBinding checks a RoleBinding.
func ValidateRoleBinding(b *RoleBinding) FieldErrors {
	errs := ValidateObjectMeta(&b.ObjectMeta, true, validatePathSegmentName)
	errs = append(errs, validateRoleRef(b.RoleRef, true)...)
	for i, s := range b.Subjects {
		errs = append(errs, validateSubject(s, true, NewPath("subjects").Index(i))...)
	}
	return errs
}

// ValidateRoleBindingUpdate also keeps roleRef, which cannot change.
func ValidateRoleBindingUpdate(b, old *RoleBinding) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta), ValidateRoleBinding(b)...)
	if !reflect.DeepEqual(b.RoleRef, old.RoleRef) {
		errs = append(errs, Invalid(NewPath("roleRef"), b.RoleRef.Name, "cannot change roleRef"))
	}
	return errs
}

// ValidateClusterRoleBinding checks a ClusterRoleBinding.
func ValidateClusterRoleBinding(b *ClusterRoleBinding) FieldErrors {
	errs := ValidateObjectMeta(&b.ObjectMeta, false, validatePathSegmentName)
	errs = append(errs, validateRoleRef(b.RoleRef, false)...)
	for i, s := range b.Subjects {
		errs = append(errs, validateSubject(s, false, NewPath("subjects").Index(i))...)
	}
	return errs
}

// ValidateClusterRoleBindingUpdate also keeps roleRef.
func ValidateClusterRoleBindingUpdate(b, old *ClusterRoleBinding) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta), ValidateClusterRoleBinding(b)...)
	if !reflect.DeepEqual(b.RoleRef, old.RoleRef) {
		errs = append(errs, Invalid(NewPath("roleRef"), b.RoleRef.Name, "cannot change roleRef"))
	}
	return errs
}

func validateRoleRef(ref RoleRef, namespaced bool) FieldErrors {
	var errs FieldErrors
	p := NewPath("roleRef")
	if ref.APIGroup != RBACGroup {
		errs = append(errs, NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{RBACGroup}))
	}
	kinds := []string{"ClusterRole"}
	if namespaced {
		kinds = []string{"ClusterRole", "Role"}
	}
	if ref.Kind != "ClusterRole" && !(namespaced && ref.Kind == "Role") {
		errs = append(errs, NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, Required(p.Child("name"), ""))
	} else {
		for _, msg := range validatePathSegmentName(ref.Name) {
			errs = append(errs, Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	return errs
}

func validateSubject(s Subject, namespaced bool, p *Path) FieldErrors {
	var errs FieldErrors
	if s.Name == "" {
		errs = append(errs, Required(p.Child("name"), ""))
	}
	switch s.Kind {
	case ServiceAccountKind:
		if s.APIGroup != "" {
			errs = append(errs, NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		if !namespaced && s.Namespace == "" {
			errs = append(errs, Required(p.Child("namespace"), ""))
		}
	case UserKind, GroupKind:
		if s.APIGroup != RBACGroup {
			errs = append(errs, NotSupported(p.Child("apiGroup"), s.APIGroup, []string{RBACGroup}))
		}
	default:
		errs = append(errs, NotSupported(p.Child("kind"), s.Kind, []string{ServiceAccountKind, UserKind, GroupKind}))
	}
	return errs
}
