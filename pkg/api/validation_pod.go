package api

import (
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"

	"skiff/pkg/api/labels"
)

// ValidatePod checks a pod about to be created.
func ValidatePod(p *Pod) FieldErrors {
	errs := ValidateObjectMeta(&p.ObjectMeta, true, ValidateSubdomainName)
	return append(errs, ValidatePodSpec(&p.Spec, NewPath("spec"))...)
}

// ValidatePodSpec checks a pod spec (also used for templates).
func ValidatePodSpec(s *PodSpec, p *Path) FieldErrors {
	var errs FieldErrors
	volumes := map[string]bool{}
	for i, v := range s.Volumes {
		vp := p.Child("volumes").Index(i)
		errs = append(errs, validateVolume(&v, vp)...)
		if volumes[v.Name] {
			errs = append(errs, Duplicate(vp.Child("name"), v.Name))
		}
		volumes[v.Name] = true
	}
	if len(s.Containers) == 0 {
		errs = append(errs, Required(p.Child("containers"), ""))
	}
	names := map[string]bool{}
	for i := range s.InitContainers {
		errs = append(errs, validateContainer(&s.InitContainers[i], p.Child("initContainers").Index(i), volumes, names)...)
	}
	for i := range s.Containers {
		errs = append(errs, validateContainer(&s.Containers[i], p.Child("containers").Index(i), volumes, names)...)
	}
	switch s.RestartPolicy {
	case RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever:
	case "":
		errs = append(errs, Required(p.Child("restartPolicy"), ""))
	default:
		errs = append(errs, NotSupported(p.Child("restartPolicy"), s.RestartPolicy,
			[]string{RestartPolicyAlways, RestartPolicyNever, RestartPolicyOnFailure}))
	}
	switch s.DNSPolicy {
	case "", "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None":
	default:
		errs = append(errs, NotSupported(p.Child("dnsPolicy"), s.DNSPolicy,
			[]string{"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"}))
	}
	if s.PriorityClassName != "" {
		for _, msg := range ValidateSubdomainName(s.PriorityClassName) {
			errs = append(errs, Invalid(p.Child("priorityClassName"), s.PriorityClassName, msg))
		}
	}
	if s.PreemptionPolicy != nil {
		errs = append(errs, validatePreemptionPolicy(s.PreemptionPolicy, p.Child("preemptionPolicy"))...)
	}
	if s.TerminationGracePeriodSeconds != nil {
		errs = append(errs, validateNonNegative(*s.TerminationGracePeriodSeconds, p.Child("terminationGracePeriodSeconds"))...)
	}
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, Invalid(p.Child("activeDeadlineSeconds"), *s.ActiveDeadlineSeconds, "must be between 1 and 2147483647, inclusive"))
	}
	errs = append(errs, ValidateLabels(s.NodeSelector, p.Child("nodeSelector"))...)
	if s.ServiceAccountName != "" {
		for _, msg := range ValidateSubdomainName(s.ServiceAccountName) {
			errs = append(errs, Invalid(p.Child("serviceAccountName"), s.ServiceAccountName, msg))
		}
	}
	if s.NodeName != "" {
		for _, msg := range ValidateSubdomainName(s.NodeName) {
			errs = append(errs, Invalid(p.Child("nodeName"), s.NodeName, msg))
		}
	}
	if s.Hostname != "" {
		for _, msg := range labels.IsDNS1123Label(s.Hostname) {
			errs = append(errs, Invalid(p.Child("hostname"), s.Hostname, msg))
		}
	}
	for i, t := range s.Tolerations {
		errs = append(errs, validateToleration(t, p.Child("tolerations").Index(i))...)
	}
	errs = append(errs, validateAffinity(s.Affinity, p.Child("affinity"))...)
	for i, c := range s.TopologySpreadConstraints {
		cp := p.Child("topologySpreadConstraints").Index(i)
		if c.MaxSkew <= 0 {
			errs = append(errs, Invalid(cp.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, Required(cp.Child("topologyKey"), "can not be empty"))
		}
		if c.WhenUnsatisfiable != DoNotSchedule && c.WhenUnsatisfiable != ScheduleAnyway {
			errs = append(errs, NotSupported(cp.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, []string{DoNotSchedule, ScheduleAnyway}))
		}
		errs = append(errs, ValidateLabelSelector(c.LabelSelector, cp.Child("labelSelector"))...)
	}
	return errs
}

func validateContainer(c *Container, p *Path, volumes, names map[string]bool) FieldErrors {
	var errs FieldErrors
	if c.Name == "" {
		errs = append(errs, Required(p.Child("name"), ""))
	} else {
		for _, msg := range labels.IsDNS1123Label(c.Name) {
			errs = append(errs, Invalid(p.Child("name"), c.Name, msg))
		}
		if names[c.Name] {
			errs = append(errs, Duplicate(p.Child("name"), c.Name))
		}
		names[c.Name] = true
	}
	if strings.TrimSpace(c.Image) == "" {
		errs = append(errs, Required(p.Child("image"), ""))
	} else if strings.TrimSpace(c.Image) != c.Image {
		errs = append(errs, Invalid(p.Child("image"), c.Image, "must not have leading or trailing whitespace"))
	}
	switch c.ImagePullPolicy {
	case "", PullAlways, PullIfNotPresent, PullNever:
	default:
		errs = append(errs, NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy, []string{PullAlways, PullIfNotPresent, PullNever}))
	}
	portNames := map[string]bool{}
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		errs = append(errs, validatePortNumber(port.ContainerPort, pp.Child("containerPort"))...)
		if port.HostPort != 0 {
			errs = append(errs, validatePortNumber(port.HostPort, pp.Child("hostPort"))...)
		}
		errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		if port.Name != "" {
			errs = append(errs, validatePortName(port.Name, pp.Child("name"))...)
			if portNames[port.Name] {
				errs = append(errs, Duplicate(pp.Child("name"), port.Name))
			}
			portNames[port.Name] = true
		}
		if port.HostIP != "" && net.ParseIP(port.HostIP) == nil {
			errs = append(errs, Invalid(pp.Child("hostIP"), port.HostIP, "must be a valid IP address"))
		}
	}
	for i, e := range c.Env {
		errs = append(errs, validateEnvVar(e, p.Child("env").Index(i))...)
	}
	errs = append(errs, validateResources(c.Resources, p.Child("resources"))...)
	mountPaths := map[string]bool{}
	for i, m := range c.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if m.Name == "" {
			errs = append(errs, Required(mp.Child("name"), ""))
		} else if !volumes[m.Name] {
			errs = append(errs, NotFound(mp.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, Required(mp.Child("mountPath"), ""))
		} else if mountPaths[m.MountPath] {
			errs = append(errs, Invalid(mp.Child("mountPath"), m.MountPath, "must be unique"))
		}
		mountPaths[m.MountPath] = true
		if strings.HasPrefix(m.SubPath, "/") || containsDotDot(m.SubPath) {
			errs = append(errs, Invalid(mp.Child("subPath"), m.SubPath, "must be a relative path without '..'"))
		}
	}
	errs = append(errs, validateProbe(c.LivenessProbe, p.Child("livenessProbe"), true)...)
	errs = append(errs, validateProbe(c.ReadinessProbe, p.Child("readinessProbe"), false)...)
	errs = append(errs, validateProbe(c.StartupProbe, p.Child("startupProbe"), true)...)
	switch c.TerminationMessagePolicy {
	case "", "File", "FallbackToLogsOnError":
	default:
		errs = append(errs, NotSupported(p.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, []string{"File", "FallbackToLogsOnError"}))
	}
	return errs
}

// NotFound reports a reference to something that does not exist.
func NotFound(p *Path, value any) *FieldError {
	return &FieldError{Type: "FieldValueNotFound", Field: p.String(), BadValue: value, Detail: "not found"}
}

func containsDotDot(path string) bool {
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func validateEnvVar(e EnvVar, p *Path) FieldErrors {
	var errs FieldErrors
	if e.Name == "" {
		errs = append(errs, Required(p.Child("name"), ""))
	} else if strings.Contains(e.Name, "=") {
		errs = append(errs, Invalid(p.Child("name"), e.Name, "a valid environment variable name must consist only of printable ASCII characters other than '='"))
	}
	if e.ValueFrom == nil {
		return errs
	}
	vp := p.Child("valueFrom")
	if e.Value != "" {
		errs = append(errs, Invalid(vp, "", "may not be specified when `value` is not empty"))
	}
	set := 0
	if f := e.ValueFrom.FieldRef; f != nil {
		set++
		switch f.FieldPath {
		case "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
			"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs":
		default:
			if !strings.HasPrefix(f.FieldPath, "metadata.labels[") && !strings.HasPrefix(f.FieldPath, "metadata.annotations[") {
				errs = append(errs, NotSupported(vp.Child("fieldRef", "fieldPath"), f.FieldPath,
					[]string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP"}))
			}
		}
	}
	if r := e.ValueFrom.ResourceFieldRef; r != nil {
		set++
		if r.Resource == "" {
			errs = append(errs, Required(vp.Child("resourceFieldRef", "resource"), ""))
		}
	}
	if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
		set++
		if r.Name == "" {
			errs = append(errs, Required(vp.Child("configMapKeyRef", "name"), ""))
		}
		if r.Key == "" {
			errs = append(errs, Required(vp.Child("configMapKeyRef", "key"), ""))
		}
	}
	if r := e.ValueFrom.SecretKeyRef; r != nil {
		set++
		if r.Name == "" {
			errs = append(errs, Required(vp.Child("secretKeyRef", "name"), ""))
		}
		if r.Key == "" {
			errs = append(errs, Required(vp.Child("secretKeyRef", "key"), ""))
		}
	}
	if set != 1 {
		errs = append(errs, Invalid(vp, "", "must specify exactly one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
	}
	return errs
}

func validateResources(r ResourceRequirements, p *Path) FieldErrors {
	var errs FieldErrors
	for name, q := range r.Limits {
		if q.Sign() < 0 {
			errs = append(errs, Invalid(p.Child("limits").Key(name), q.String(), "must be greater than or equal to 0"))
		}
	}
	for name, q := range r.Requests {
		if q.Sign() < 0 {
			errs = append(errs, Invalid(p.Child("requests").Key(name), q.String(), "must be greater than or equal to 0"))
		}
		if lim, ok := r.Limits[name]; ok && q.Cmp(lim) > 0 {
			errs = append(errs, Invalid(p.Child("requests").Key(name), q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, lim.String())))
		}
	}
	return errs
}

func validateProbe(pr *Probe, p *Path, successMustBeOne bool) FieldErrors {
	if pr == nil {
		return nil
	}
	var errs FieldErrors
	handlers := 0
	if pr.Exec != nil {
		handlers++
		if len(pr.Exec.Command) == 0 {
			errs = append(errs, Required(p.Child("exec", "command"), ""))
		}
	}
	if pr.HTTPGet != nil {
		handlers++
		errs = append(errs, validateIntOrStringPort(pr.HTTPGet.Port, p.Child("httpGet", "port"))...)
		if s := pr.HTTPGet.Scheme; s != "" && s != "HTTP" && s != "HTTPS" {
			errs = append(errs, NotSupported(p.Child("httpGet", "scheme"), s, []string{"HTTP", "HTTPS"}))
		}
	}
	if pr.TCPSocket != nil {
		handlers++
		errs = append(errs, validateIntOrStringPort(pr.TCPSocket.Port, p.Child("tcpSocket", "port"))...)
	}
	if pr.GRPC != nil {
		handlers++
		errs = append(errs, validatePortNumber(pr.GRPC.Port, p.Child("grpc", "port"))...)
	}
	if handlers != 1 {
		errs = append(errs, Required(p, "must specify exactly one handler type: exec, httpGet, tcpSocket or grpc"))
	}
	for field, v := range map[string]int32{"initialDelaySeconds": pr.InitialDelaySeconds, "timeoutSeconds": pr.TimeoutSeconds,
		"periodSeconds": pr.PeriodSeconds, "successThreshold": pr.SuccessThreshold, "failureThreshold": pr.FailureThreshold} {
		errs = append(errs, validateNonNegative(int64(v), p.Child(field))...)
	}
	if successMustBeOne && pr.SuccessThreshold > 1 {
		errs = append(errs, Invalid(p.Child("successThreshold"), pr.SuccessThreshold, "must be 1"))
	}
	return errs
}

func validateVolume(v *Volume, p *Path) FieldErrors {
	var errs FieldErrors
	if v.Name == "" {
		errs = append(errs, Required(p.Child("name"), ""))
	} else {
		for _, msg := range labels.IsDNS1123Label(v.Name) {
			errs = append(errs, Invalid(p.Child("name"), v.Name, msg))
		}
	}
	sources := 0
	for _, set := range []bool{v.HostPath != nil, v.EmptyDir != nil, v.Secret != nil, v.ConfigMap != nil,
		v.PersistentVolumeClaim != nil, v.DownwardAPI != nil, v.Projected != nil} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 0:
		errs = append(errs, Required(p, "must specify a volume type"))
	case sources > 1:
		errs = append(errs, Forbidden(p, "may not specify more than 1 volume type"))
	}
	if v.HostPath != nil {
		if v.HostPath.Path == "" {
			errs = append(errs, Required(p.Child("hostPath", "path"), ""))
		}
		if t := v.HostPath.Type; t != nil {
			switch *t {
			case "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice":
			default:
				errs = append(errs, NotSupported(p.Child("hostPath", "type"), *t,
					[]string{"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"}))
			}
		}
	}
	if v.Secret != nil && v.Secret.SecretName == "" {
		errs = append(errs, Required(p.Child("secret", "secretName"), ""))
	}
	if v.ConfigMap != nil && v.ConfigMap.Name == "" {
		errs = append(errs, Required(p.Child("configMap", "name"), ""))
	}
	if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "" {
		errs = append(errs, Required(p.Child("persistentVolumeClaim", "claimName"), ""))
	}
	if v.EmptyDir != nil && v.EmptyDir.Medium != "" && v.EmptyDir.Medium != "Memory" {
		errs = append(errs, NotSupported(p.Child("emptyDir", "medium"), v.EmptyDir.Medium, []string{"", "Memory"}))
	}
	return errs
}

func validateToleration(t Toleration, p *Path) FieldErrors {
	var errs FieldErrors
	if t.Key != "" {
		for _, msg := range labels.IsQualifiedName(t.Key) {
			errs = append(errs, Invalid(p.Child("key"), t.Key, msg))
		}
	}
	switch t.Operator {
	case "", TolerationOpEqual:
		if t.Key == "" {
			errs = append(errs, Invalid(p.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		for _, msg := range labels.ValidateLabelValue(t.Value) {
			errs = append(errs, Invalid(p.Child("value"), t.Value, msg))
		}
	case TolerationOpExists:
		if t.Value != "" {
			errs = append(errs, Invalid(p.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
		}
	default:
		errs = append(errs, NotSupported(p.Child("operator"), t.Operator, []string{TolerationOpEqual, TolerationOpExists}))
	}
	switch t.Effect {
	case "", TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute:
	default:
		errs = append(errs, NotSupported(p.Child("effect"), t.Effect, []string{TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute}))
	}
	if t.TolerationSeconds != nil && t.Effect != TaintEffectNoExecute {
		errs = append(errs, Invalid(p.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
	}
	return errs
}

func validateAffinity(a *Affinity, p *Path) FieldErrors {
	if a == nil {
		return nil
	}
	var errs FieldErrors
	if na := a.NodeAffinity; na != nil {
		np := p.Child("nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			rp := np.Child("requiredDuringSchedulingIgnoredDuringExecution")
			if len(req.NodeSelectorTerms) == 0 {
				errs = append(errs, Required(rp.Child("nodeSelectorTerms"), "must have at least one node selector term"))
			}
			for i, term := range req.NodeSelectorTerms {
				errs = append(errs, validateNodeSelectorTerm(term, rp.Child("nodeSelectorTerms").Index(i))...)
			}
		}
		for i, pref := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			pp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			if pref.Weight < 1 || pref.Weight > 100 {
				errs = append(errs, Invalid(pp.Child("weight"), pref.Weight, "must be in the range 1-100"))
			}
			errs = append(errs, validateNodeSelectorTerm(pref.Preference, pp.Child("preference"))...)
		}
	}
	validateTerms := func(req []PodAffinityTerm, pref []WeightedPodAffinityTerm, pp *Path) {
		for i, t := range req {
			errs = append(errs, validatePodAffinityTerm(t, pp.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i))...)
		}
		for i, w := range pref {
			wp := pp.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			if w.Weight < 1 || w.Weight > 100 {
				errs = append(errs, Invalid(wp.Child("weight"), w.Weight, "must be in the range 1-100"))
			}
			errs = append(errs, validatePodAffinityTerm(w.PodAffinityTerm, wp.Child("podAffinityTerm"))...)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		validateTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, p.Child("podAffinity"))
	}
	if pa := a.PodAntiAffinity; pa != nil {
		validateTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, p.Child("podAntiAffinity"))
	}
	return errs
}

func validatePodAffinityTerm(t PodAffinityTerm, p *Path) FieldErrors {
	errs := ValidateLabelSelector(t.LabelSelector, p.Child("labelSelector"))
	errs = append(errs, ValidateLabelSelector(t.NamespaceSelector, p.Child("namespaceSelector"))...)
	if t.TopologyKey == "" {
		errs = append(errs, Required(p.Child("topologyKey"), "can not be empty"))
	} else {
		for _, msg := range labels.IsQualifiedName(t.TopologyKey) {
			errs = append(errs, Invalid(p.Child("topologyKey"), t.TopologyKey, msg))
		}
	}
	return errs
}

func validateNodeSelectorTerm(term NodeSelectorTerm, p *Path) FieldErrors {
	var errs FieldErrors
	for i, r := range term.MatchExpressions {
		errs = append(errs, validateNodeSelectorRequirement(r, p.Child("matchExpressions").Index(i), true)...)
	}
	for i, r := range term.MatchFields {
		rp := p.Child("matchFields").Index(i)
		if r.Key != "metadata.name" {
			errs = append(errs, NotSupported(rp.Child("key"), r.Key, []string{"metadata.name"}))
		}
		errs = append(errs, validateNodeSelectorRequirement(r, rp, false)...)
	}
	return errs
}

func validateNodeSelectorRequirement(r NodeSelectorRequirement, p *Path, labelKey bool) FieldErrors {
	var errs FieldErrors
	switch r.Operator {
	case NodeSelectorOpIn, NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			errs = append(errs, Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
		}
	case NodeSelectorOpExists, NodeSelectorOpDoesNotExist:
		if len(r.Values) > 0 {
			errs = append(errs, Forbidden(p.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
		}
	case NodeSelectorOpGt, NodeSelectorOpLt:
		if len(r.Values) != 1 {
			errs = append(errs, Required(p.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
		} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			errs = append(errs, Invalid(p.Child("values").Index(0), r.Values[0], "must be an integer"))
		}
	default:
		errs = append(errs, NotSupported(p.Child("operator"), r.Operator,
			[]string{NodeSelectorOpDoesNotExist, NodeSelectorOpExists, NodeSelectorOpGt, NodeSelectorOpIn, NodeSelectorOpLt, NodeSelectorOpNotIn}))
	}
	if labelKey {
		for _, msg := range labels.ValidateLabelKey(r.Key) {
			errs = append(errs, Invalid(p.Child("key"), r.Key, msg))
		}
	}
	return errs
}

// ValidatePodUpdate checks a spec update: as in Kubernetes, only container images,
// activeDeadlineSeconds, added tolerations and a few other fields may change.
func ValidatePodUpdate(p, old *Pod) FieldErrors {
	errs := ValidateObjectMetaUpdate(&p.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, ValidatePodSpec(&p.Spec, NewPath("spec"))...)
	if len(p.Spec.Containers) != len(old.Spec.Containers) || len(p.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return append(errs, podSpecForbidden())
	}
	// Copy the mutable fields onto a copy of the old spec; anything else that differs
	// is a forbidden change.
	mutated := deepCopyJSON(old.Spec)
	for i := range mutated.Containers {
		mutated.Containers[i].Image = p.Spec.Containers[i].Image
	}
	for i := range mutated.InitContainers {
		mutated.InitContainers[i].Image = p.Spec.InitContainers[i].Image
	}
	mutated.ActiveDeadlineSeconds = p.Spec.ActiveDeadlineSeconds
	if old.Spec.NodeName == "" {
		mutated.NodeName = p.Spec.NodeName
	}
	if n := len(old.Spec.Tolerations); len(p.Spec.Tolerations) >= n &&
		(n == 0 || reflect.DeepEqual(p.Spec.Tolerations[:n], old.Spec.Tolerations)) {
		mutated.Tolerations = p.Spec.Tolerations
	}
	if g := old.Spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		mutated.TerminationGracePeriodSeconds = p.Spec.TerminationGracePeriodSeconds
	}
	if !reflect.DeepEqual(mutated, p.Spec) && !jsonEqual(mutated, p.Spec) {
		errs = append(errs, podSpecForbidden())
	}
	return errs
}

func podSpecForbidden() *FieldError {
	return Forbidden(NewPath("spec"), "pod updates may not change fields other than `spec.containers[*].image`,"+
		"`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"+
		"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")
}

// ValidatePodStatusUpdate checks a write to pods/status.
func ValidatePodStatusUpdate(p, old *Pod) FieldErrors {
	errs := ValidateObjectMetaUpdate(&p.ObjectMeta, &old.ObjectMeta)
	switch p.Status.Phase {
	case "", PodPending, PodRunning, PodSucceeded, PodFailed, PodUnknown:
	default:
		errs = append(errs, NotSupported(NewPath("status", "phase"), p.Status.Phase,
			[]string{PodFailed, PodPending, PodRunning, PodSucceeded, PodUnknown}))
	}
	for i, ip := range p.Status.PodIPs {
		if net.ParseIP(ip.IP) == nil {
			errs = append(errs, Invalid(NewPath("status", "podIPs").Index(i), ip.IP, "must be a valid IP address"))
		}
	}
	if p.Status.PodIP != "" && net.ParseIP(p.Status.PodIP) == nil {
		errs = append(errs, Invalid(NewPath("status", "podIP"), p.Status.PodIP, "must be a valid IP address"))
	}
	return errs
}

// ValidateBinding checks a binding posted for a pod.
func ValidateBinding(b *Binding) FieldErrors {
	var errs FieldErrors
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		errs = append(errs, NotSupported(NewPath("target", "kind"), b.Target.Kind, []string{"Node", "<empty>"}))
	}
	if b.Target.Name == "" {
		errs = append(errs, Required(NewPath("target", "name"), ""))
	}
	return errs
}

// deepCopyJSON copies a value through JSON, for the rare paths (validation of
// updates) where a generic copy is simplest.
func deepCopyJSON[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		_ = json.Unmarshal(b, &out)
	}
	return out
}

func jsonEqual(a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ab) == string(bb)
}
