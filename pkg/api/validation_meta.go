package api

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"skiff/pkg/api/labels"
)

// NameValidator checks an object name and returns problems as messages.
type NameValidator func(name string) []string

// Name validators, one per naming rule Kubernetes kinds use.
var (
	ValidateSubdomainName NameValidator = labels.IsDNS1123Subdomain
	ValidateLabelName     NameValidator = labels.IsDNS1123Label
	ValidateDNS1035Name   NameValidator = isDNS1035Label
)

var dns1035Re = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func isDNS1035Label(v string) []string {
	var errs []string
	if len(v) > 63 {
		errs = append(errs, "must be no more than 63 characters")
	}
	if !dns1035Re.MatchString(v) {
		errs = append(errs, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
	}
	return errs
}

// maxAnnotationsSize is the total size limit of keys and values, as in Kubernetes.
const maxAnnotationsSize = 256 * 1024

// ValidateObjectMeta checks the metadata of an object about to be created.
// namespaced says whether the kind lives in namespaces.
func ValidateObjectMeta(m *ObjectMeta, namespaced bool, nameFn NameValidator) FieldErrors {
	var errs FieldErrors
	p := NewPath("metadata")
	if m.Name == "" && m.GenerateName == "" {
		errs = append(errs, Required(p.Child("name"), "name or generateName is required"))
	}
	if m.Name != "" {
		for _, msg := range nameFn(m.Name) {
			errs = append(errs, Invalid(p.Child("name"), m.Name, msg))
		}
	}
	if m.GenerateName != "" {
		// The prefix is checked with a trailing character that makes it a valid end.
		for _, msg := range nameFn(strings.TrimRight(m.GenerateName, "-") + "a") {
			errs = append(errs, Invalid(p.Child("generateName"), m.GenerateName, msg))
		}
	}
	if namespaced {
		if m.Namespace == "" {
			errs = append(errs, Required(p.Child("namespace"), ""))
		} else {
			for _, msg := range labels.IsDNS1123Label(m.Namespace) {
				errs = append(errs, Invalid(p.Child("namespace"), m.Namespace, msg))
			}
		}
	} else if m.Namespace != "" {
		errs = append(errs, Forbidden(p.Child("namespace"), "not allowed on this type"))
	}
	if m.Generation < 0 {
		errs = append(errs, Invalid(p.Child("generation"), m.Generation, "must be greater than or equal to 0"))
	}
	errs = append(errs, ValidateLabels(m.Labels, p.Child("labels"))...)
	errs = append(errs, validateAnnotations(m.Annotations, p.Child("annotations"))...)
	errs = append(errs, validateOwnerReferences(m.OwnerReferences, p.Child("ownerReferences"))...)
	for i, f := range m.Finalizers {
		for _, msg := range labels.IsQualifiedName(f) {
			errs = append(errs, Invalid(p.Child("finalizers").Index(i), f, msg))
		}
	}
	return errs
}

// ValidateObjectMetaUpdate checks that an update keeps the fields that never change.
func ValidateObjectMetaUpdate(m, old *ObjectMeta) FieldErrors {
	var errs FieldErrors
	p := NewPath("metadata")
	immutable := func(field string, now, before string) {
		if now != before {
			errs = append(errs, Invalid(p.Child(field), now, "field is immutable"))
		}
	}
	immutable("name", m.Name, old.Name)
	immutable("namespace", m.Namespace, old.Namespace)
	immutable("uid", m.UID, old.UID)
	if !m.CreationTimestamp.Equal(old.CreationTimestamp.Time) {
		errs = append(errs, Invalid(p.Child("creationTimestamp"), m.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z"), "field is immutable"))
	}
	return errs
}

// ValidateLabels checks label keys and values.
func ValidateLabels(l map[string]string, p *Path) FieldErrors {
	var errs FieldErrors
	for k, v := range l {
		for _, msg := range labels.ValidateLabelKey(k) {
			errs = append(errs, Invalid(p, k, msg))
		}
		for _, msg := range labels.ValidateLabelValue(v) {
			errs = append(errs, Invalid(p.Key(k), v, msg))
		}
	}
	return errs
}

func validateAnnotations(a map[string]string, p *Path) FieldErrors {
	var errs FieldErrors
	total := 0
	for k, v := range a {
		for _, msg := range labels.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, Invalid(p, k, msg))
		}
		total += len(k) + len(v)
	}
	if total > maxAnnotationsSize {
		errs = append(errs, TooLong(p, maxAnnotationsSize))
	}
	return errs
}

func validateOwnerReferences(refs []OwnerReference, p *Path) FieldErrors {
	var errs FieldErrors
	controllers := 0
	for i, r := range refs {
		ip := p.Index(i)
		if r.APIVersion == "" {
			errs = append(errs, Invalid(ip.Child("apiVersion"), r.APIVersion, "version must not be empty"))
		}
		if r.Kind == "" {
			errs = append(errs, Invalid(ip.Child("kind"), r.Kind, "kind must not be empty"))
		}
		if r.Name == "" {
			errs = append(errs, Invalid(ip.Child("name"), r.Name, "name must not be empty"))
		}
		if r.UID == "" {
			errs = append(errs, Invalid(ip.Child("uid"), r.UID, "uid must not be empty"))
		}
		if r.Controller != nil && *r.Controller {
			controllers++
		}
	}
	if controllers > 1 {
		errs = append(errs, Invalid(p, controllers, "Only one reference can have Controller set to true"))
	}
	return errs
}

// LabelSelectorAsSelector converts the API form of a selector into one that matches.
// A nil selector matches nothing; an empty one matches everything.
func LabelSelectorAsSelector(ls *LabelSelector) (labels.Selector, error) {
	if ls == nil {
		return labels.Nothing(), nil
	}
	var reqs []labels.Requirement
	for k, v := range ls.MatchLabels {
		r, err := labels.NewRequirement(k, labels.Equals, []string{v})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	for _, e := range ls.MatchExpressions {
		var op labels.Operator
		switch e.Operator {
		case LabelSelectorOpIn:
			op = labels.In
		case LabelSelectorOpNotIn:
			op = labels.NotIn
		case LabelSelectorOpExists:
			op = labels.Exists
		case LabelSelectorOpDoesNotExist:
			op = labels.DoesNotExist
		default:
			return nil, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		r, err := labels.NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return labels.NewSelector(reqs...), nil
}

// ValidateLabelSelector checks a selector's keys, operators and values.
func ValidateLabelSelector(ls *LabelSelector, p *Path) FieldErrors {
	if ls == nil {
		return nil
	}
	errs := ValidateLabels(ls.MatchLabels, p.Child("matchLabels"))
	for i, e := range ls.MatchExpressions {
		ip := p.Child("matchExpressions").Index(i)
		switch e.Operator {
		case LabelSelectorOpIn, LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				errs = append(errs, Required(ip.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case LabelSelectorOpExists, LabelSelectorOpDoesNotExist:
			if len(e.Values) > 0 {
				errs = append(errs, Forbidden(ip.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		default:
			errs = append(errs, Invalid(ip.Child("operator"), e.Operator, "not a valid selector operator"))
		}
		for _, msg := range labels.ValidateLabelKey(e.Key) {
			errs = append(errs, Invalid(ip.Child("key"), e.Key, msg))
		}
		for j, v := range e.Values {
			for _, msg := range labels.ValidateLabelValue(v) {
				errs = append(errs, Invalid(ip.Child("values").Index(j), v, msg))
			}
		}
	}
	return errs
}

func validateNonNegative(v int64, p *Path) FieldErrors {
	if v < 0 {
		return FieldErrors{Invalid(p, v, "must be greater than or equal to 0")}
	}
	return nil
}

func validatePortNumber(port int32, p *Path) FieldErrors {
	if port < 1 || port > 65535 {
		return FieldErrors{Invalid(p, port, "must be between 1 and 65535, inclusive")}
	}
	return nil
}

var ianaSvcNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// validatePortName checks an IANA service name, as port names are.
func validatePortName(name string, p *Path) FieldErrors {
	if len(name) > 15 || !ianaSvcNameRe.MatchString(name) || strings.Contains(name, "--") || !strings.ContainsAny(name, "abcdefghijklmnopqrstuvwxyz") {
		return FieldErrors{Invalid(p, name, "must be no more than 15 characters, contain only lowercase alphanumerics and '-', contain at least one letter, and not start, end or repeat '-'")}
	}
	return nil
}

func validateIntOrStringPort(v IntOrString, p *Path) FieldErrors {
	if v.IsString {
		return validatePortName(v.StrVal, p)
	}
	return validatePortNumber(v.IntVal, p)
}

func validateProtocol(proto string, p *Path) FieldErrors {
	switch proto {
	case ProtocolTCP, ProtocolUDP, ProtocolSCTP:
		return nil
	case "":
		return FieldErrors{Required(p, "")}
	}
	return FieldErrors{NotSupported(p, proto, []string{ProtocolSCTP, ProtocolTCP, ProtocolUDP})}
}

// validateIntOrPercent checks a value like maxSurge: a non-negative integer or "N%".
func validateIntOrPercent(v *IntOrString, p *Path) FieldErrors {
	if v == nil {
		return nil
	}
	if !v.IsString {
		return validateNonNegative(int64(v.IntVal), p)
	}
	pct, ok := strings.CutSuffix(v.StrVal, "%")
	n, err := strconv.Atoi(pct)
	if !ok || err != nil || n < 0 {
		return FieldErrors{Invalid(p, v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}
	}
	return nil
}
