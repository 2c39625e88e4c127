package api

import (
	"net"
	"reflect"
	"regexp"

	"skiff/pkg/api/labels"
)

// ValidateNamespace checks a namespace; its name is a DNS-1123 label.
func ValidateNamespace(ns *Namespace) FieldErrors {
	errs := ValidateObjectMeta(&ns.ObjectMeta, false, ValidateLabelName)
	for i, f := range ns.Spec.Finalizers {
		for _, msg := range labels.IsQualifiedName(f) {
			errs = append(errs, Invalid(NewPath("spec", "finalizers").Index(i), f, msg))
		}
	}
	return errs
}

// ValidateNode checks a node.
func ValidateNode(n *Node) FieldErrors {
	errs := ValidateObjectMeta(&n.ObjectMeta, false, ValidateSubdomainName)
	p := NewPath("spec")
	if n.Spec.PodCIDR != "" {
		if _, _, err := net.ParseCIDR(n.Spec.PodCIDR); err != nil {
			errs = append(errs, Invalid(p.Child("podCIDR"), n.Spec.PodCIDR, "must be a valid CIDR"))
		}
	}
	for i, c := range n.Spec.PodCIDRs {
		if _, _, err := net.ParseCIDR(c); err != nil {
			errs = append(errs, Invalid(p.Child("podCIDRs").Index(i), c, "must be a valid CIDR"))
		}
	}
	seen := map[[2]string]bool{}
	for i, t := range n.Spec.Taints {
		tp := p.Child("taints").Index(i)
		for _, msg := range labels.IsQualifiedName(t.Key) {
			errs = append(errs, Invalid(tp.Child("key"), t.Key, msg))
		}
		for _, msg := range labels.ValidateLabelValue(t.Value) {
			errs = append(errs, Invalid(tp.Child("value"), t.Value, msg))
		}
		switch t.Effect {
		case TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute:
		case "":
			errs = append(errs, Required(tp.Child("effect"), ""))
		default:
			errs = append(errs, NotSupported(tp.Child("effect"), t.Effect, []string{TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute}))
		}
		k := [2]string{t.Key, t.Effect}
		if seen[k] {
			errs = append(errs, Duplicate(tp, t.Key+":"+t.Effect))
		}
		seen[k] = true
	}
	for name, q := range n.Status.Capacity {
		if q.Sign() < 0 {
			errs = append(errs, Invalid(NewPath("status", "capacity").Key(name), q.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}

// ValidateNodeUpdate also forbids changing a pod CIDR once assigned.
func ValidateNodeUpdate(n, old *Node) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta), ValidateNode(n)...)
	if old.Spec.PodCIDR != "" && n.Spec.PodCIDR != old.Spec.PodCIDR {
		errs = append(errs, Forbidden(NewPath("spec", "podCIDR"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	return errs
}

var configKeyRe = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// maxConfigSize is the limit on the data of a ConfigMap or Secret.
const maxConfigSize = 1024 * 1024

func validateConfigKey(k string, p *Path) FieldErrors {
	if len(k) > 253 || !configKeyRe.MatchString(k) || k == "." || k == ".." {
		return FieldErrors{Invalid(p, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")}
	}
	return nil
}

// ValidateConfigMap checks keys and size.
func ValidateConfigMap(c *ConfigMap) FieldErrors {
	errs := ValidateObjectMeta(&c.ObjectMeta, true, ValidateSubdomainName)
	size := 0
	for k, v := range c.Data {
		errs = append(errs, validateConfigKey(k, NewPath("data").Key(k))...)
		size += len(v)
	}
	for k, v := range c.BinaryData {
		errs = append(errs, validateConfigKey(k, NewPath("binaryData").Key(k))...)
		if _, dup := c.Data[k]; dup {
			errs = append(errs, Invalid(NewPath("binaryData").Key(k), k, "duplicate of key present in data"))
		}
		size += len(v)
	}
	if size > maxConfigSize {
		errs = append(errs, TooLong(NewPath(""), maxConfigSize))
	}
	return errs
}

// ValidateConfigMapUpdate also refuses data changes to an immutable ConfigMap.
func ValidateConfigMapUpdate(c, old *ConfigMap) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta), ValidateConfigMap(c)...)
	if old.Immutable != nil && *old.Immutable {
		if c.Immutable == nil || !*c.Immutable {
			errs = append(errs, Forbidden(NewPath("immutable"), "field is immutable when `immutable` is set"))
		}
		if !reflect.DeepEqual(c.Data, old.Data) || !reflect.DeepEqual(c.BinaryData, old.BinaryData) {
			errs = append(errs, Forbidden(NewPath("data"), "field is immutable when `immutable` is set"))
		}
	}
	return errs
}

// ValidateSecret checks keys and size.
func ValidateSecret(s *Secret) FieldErrors {
	errs := ValidateObjectMeta(&s.ObjectMeta, true, ValidateSubdomainName)
	size := 0
	for k, v := range s.Data {
		errs = append(errs, validateConfigKey(k, NewPath("data").Key(k))...)
		size += len(v)
	}
	if size > maxConfigSize {
		errs = append(errs, TooLong(NewPath("data"), maxConfigSize))
	}
	return errs
}

// ValidateSecretUpdate also keeps the type, and the data of an immutable Secret.
func ValidateSecretUpdate(s, old *Secret) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta), ValidateSecret(s)...)
	if s.Type != old.Type {
		errs = append(errs, Invalid(NewPath("type"), s.Type, "field is immutable"))
	}
	if old.Immutable != nil && *old.Immutable && !reflect.DeepEqual(s.Data, old.Data) {
		errs = append(errs, Forbidden(NewPath("data"), "field is immutable when `immutable` is set"))
	}
	return errs
}

// ValidateServiceAccount checks a service account.
func ValidateServiceAccount(sa *ServiceAccount) FieldErrors {
	return ValidateObjectMeta(&sa.ObjectMeta, true, ValidateSubdomainName)
}

// ValidateService checks a Service; its name is a DNS-1035 label.
func ValidateService(s *Service) FieldErrors {
	errs := ValidateObjectMeta(&s.ObjectMeta, true, ValidateDNS1035Name)
	p := NewPath("spec")
	switch s.Spec.Type {
	case ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer, ServiceTypeExternalName:
	default:
		errs = append(errs, NotSupported(p.Child("type"), s.Spec.Type, []string{ServiceTypeClusterIP, ServiceTypeExternalName, ServiceTypeLoadBalancer, ServiceTypeNodePort}))
	}
	if len(s.Spec.Ports) == 0 && s.Spec.Type != ServiceTypeExternalName && s.Spec.ClusterIP != "None" {
		errs = append(errs, Required(p.Child("ports"), ""))
	}
	names := map[string]bool{}
	for i, port := range s.Spec.Ports {
		pp := p.Child("ports").Index(i)
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, Required(pp.Child("name"), ""))
		}
		if port.Name != "" {
			for _, msg := range labels.IsDNS1123Label(port.Name) {
				errs = append(errs, Invalid(pp.Child("name"), port.Name, msg))
			}
			if names[port.Name] {
				errs = append(errs, Duplicate(pp.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		errs = append(errs, validatePortNumber(port.Port, pp.Child("port"))...)
		errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		errs = append(errs, validateIntOrStringPort(port.TargetPort, pp.Child("targetPort"))...)
	}
	errs = append(errs, ValidateLabels(s.Spec.Selector, p.Child("selector"))...)
	if ip := s.Spec.ClusterIP; ip != "" && ip != "None" && net.ParseIP(ip) == nil {
		errs = append(errs, Invalid(p.Child("clusterIP"), ip, "must be empty, 'None', or a valid IP address"))
	}
	switch s.Spec.SessionAffinity {
	case "", "None", "ClientIP":
	default:
		errs = append(errs, NotSupported(p.Child("sessionAffinity"), s.Spec.SessionAffinity, []string{"ClientIP", "None"}))
	}
	return errs
}

// ValidateEndpoints checks addresses and ports.
func ValidateEndpoints(e *Endpoints) FieldErrors {
	errs := ValidateObjectMeta(&e.ObjectMeta, true, ValidateSubdomainName)
	for i, ss := range e.Subsets {
		sp := NewPath("subsets").Index(i)
		for j, a := range append(append([]EndpointAddress{}, ss.Addresses...), ss.NotReadyAddresses...) {
			if net.ParseIP(a.IP) == nil {
				errs = append(errs, Invalid(sp.Child("addresses").Index(j).Child("ip"), a.IP, "must be a valid IP address"))
			}
		}
		for j, port := range ss.Ports {
			errs = append(errs, validatePortNumber(port.Port, sp.Child("ports").Index(j).Child("port"))...)
			errs = append(errs, validateProtocol(port.Protocol, sp.Child("ports").Index(j).Child("protocol"))...)
		}
	}
	return errs
}

// ValidateEvent checks that an event lives in its object's namespace.
func ValidateEvent(e *Event) FieldErrors {
	errs := ValidateObjectMeta(&e.ObjectMeta, true, ValidateSubdomainName)
	if ns := e.InvolvedObject.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, Invalid(NewPath("involvedObject", "namespace"), ns, "does not match event.namespace"))
	}
	switch e.Type {
	case "", EventTypeNormal, EventTypeWarning:
	default:
		errs = append(errs, NotSupported(NewPath("type"), e.Type, []string{EventTypeNormal, EventTypeWarning}))
	}
	return errs
}

// ValidateLease checks a lease.
func ValidateLease(l *Lease) FieldErrors {
	errs := ValidateObjectMeta(&l.ObjectMeta, true, ValidateSubdomainName)
	if d := l.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, Invalid(NewPath("spec", "leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if t := l.Spec.LeaseTransitions; t != nil && *t < 0 {
		errs = append(errs, Invalid(NewPath("spec", "leaseTransitions"), *t, "must be greater than or equal to 0"))
	}
	return errs
}
