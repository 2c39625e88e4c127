package api

import "strings"

// Defaulting fills in what a user may leave out, as Kubernetes does, so stored
// objects are complete. Each function is idempotent.

func int64Ptr(v int64) *int64 { return &v }
func int32Ptr(v int32) *int32 { return &v }
func boolPtr(v bool) *bool    { return &v }

// SetDefaultsPod fills in a pod's defaults.
func SetDefaultsPod(p *Pod) {
	SetDefaultsPodSpec(&p.Spec)
	if p.Status.Phase == "" {
		p.Status.Phase = PodPending
	}
	if p.Status.QOSClass == "" {
		p.Status.QOSClass = QOSClass(&p.Spec)
	}
}

// SetDefaultsPodSpec fills in the defaults of a pod spec (also used for templates).
func SetDefaultsPodSpec(s *PodSpec) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartPolicyAlways
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = "ClusterFirst"
	}
	if s.SchedulerName == "" {
		s.SchedulerName = DefaultSchedulerName
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = int64Ptr(30)
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &PodSecurityContext{}
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = boolPtr(true)
	}
	if s.DeprecatedServiceAccount == "" {
		s.DeprecatedServiceAccount = s.ServiceAccountName
	} else if s.ServiceAccountName == "" {
		s.ServiceAccountName = s.DeprecatedServiceAccount
	}
	for i := range s.InitContainers {
		setDefaultsContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		setDefaultsContainer(&s.Containers[i])
	}
	for i := range s.Volumes {
		setDefaultsVolume(&s.Volumes[i])
	}
}

func setDefaultsContainer(c *Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = defaultPullPolicy(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = "/dev/termination-log"
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = "File"
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = ProtocolTCP
		}
	}
	for i := range c.Env {
		if ref := c.Env[i].ValueFrom; ref != nil && ref.FieldRef != nil && ref.FieldRef.APIVersion == "" {
			ref.FieldRef.APIVersion = "v1"
		}
	}
	// Requests default to limits, so a container with only limits is Guaranteed.
	for name, q := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[name]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = ResourceList{}
			}
			c.Resources.Requests[name] = q.DeepCopy()
		}
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		setDefaultsProbe(p)
	}
}

// defaultPullPolicy is Always for ":latest" or untagged images, else IfNotPresent.
func defaultPullPolicy(image string) string {
	if strings.Contains(image, "@") {
		return PullIfNotPresent
	}
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	tag, hasTag := "", false
	if i := strings.LastIndex(name, ":"); i >= 0 {
		tag, hasTag = name[i+1:], true
	}
	if !hasTag || tag == "latest" {
		return PullAlways
	}
	return PullIfNotPresent
}

func setDefaultsProbe(p *Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if h := p.HTTPGet; h != nil {
		if h.Path == "" {
			h.Path = "/"
		}
		if h.Scheme == "" {
			h.Scheme = "HTTP"
		}
	}
}

func setDefaultsVolume(v *Volume) {
	const defaultMode = 0o644
	switch {
	case v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil:
		v.ConfigMap.DefaultMode = int32Ptr(defaultMode)
	case v.Secret != nil && v.Secret.DefaultMode == nil:
		v.Secret.DefaultMode = int32Ptr(defaultMode)
	case v.DownwardAPI != nil && v.DownwardAPI.DefaultMode == nil:
		v.DownwardAPI.DefaultMode = int32Ptr(defaultMode)
	case v.Projected != nil && v.Projected.DefaultMode == nil:
		v.Projected.DefaultMode = int32Ptr(defaultMode)
	case v.HostPath != nil && v.HostPath.Type == nil:
		empty := ""
		v.HostPath.Type = &empty
	}
}

// QOSClass computes a pod's quality-of-service class: Guaranteed when every container
// has cpu and memory limits equal to its requests, BestEffort when none has any
// request or limit, Burstable otherwise.
func QOSClass(s *PodSpec) string {
	all := append(append([]Container{}, s.InitContainers...), s.Containers...)
	anySet, guaranteed := false, true
	for _, c := range all {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			anySet = true
		}
		for _, name := range []string{ResourceCPU, ResourceMemory} {
			lim, hasLim := c.Resources.Limits[name]
			req, hasReq := c.Resources.Requests[name]
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !anySet:
		return "BestEffort"
	case guaranteed:
		return "Guaranteed"
	}
	return "Burstable"
}

// SetDefaultsNamespace marks a new namespace Active.
func SetDefaultsNamespace(ns *Namespace) {
	if ns.Status.Phase == "" {
		ns.Status.Phase = NamespaceActive
	}
}

// SetDefaultsSecret sets the type and folds write-only stringData into data.
func SetDefaultsSecret(s *Secret) {
	if s.Type == "" {
		s.Type = SecretTypeOpaque
	}
	for k, v := range s.StringData {
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// SetDefaultsService fills in a Service's type, affinity and port defaults.
func SetDefaultsService(s *Service) {
	if s.Spec.Type == "" {
		s.Spec.Type = ServiceTypeClusterIP
	}
	if s.Spec.SessionAffinity == "" {
		s.Spec.SessionAffinity = "None"
	}
	if s.Spec.InternalTrafficPolicy == nil && s.Spec.Type != ServiceTypeExternalName {
		p := "Cluster"
		s.Spec.InternalTrafficPolicy = &p
	}
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = ProtocolTCP
		}
		if p.TargetPort == (IntOrString{}) {
			p.TargetPort = FromInt(p.Port)
		}
	}
}

// SetDefaultsEndpoints fills in port protocols.
func SetDefaultsEndpoints(e *Endpoints) {
	for i := range e.Subsets {
		for j := range e.Subsets[i].Ports {
			if e.Subsets[i].Ports[j].Protocol == "" {
				e.Subsets[i].Ports[j].Protocol = ProtocolTCP
			}
		}
	}
}

// SetDefaultsReplicaSet sets replicas to 1 and defaults the pod template.
func SetDefaultsReplicaSet(rs *ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = int32Ptr(1)
	}
	SetDefaultsPodSpec(&rs.Spec.Template.Spec)
}

// SetDefaultsDeployment sets replicas, the rolling-update strategy (25% / 25%),
// revision history and progress deadline as apps/v1 does.
func SetDefaultsDeployment(d *Deployment) {
	if d.Spec.Replicas == nil {
		d.Spec.Replicas = int32Ptr(1)
	}
	st := &d.Spec.Strategy
	if st.Type == "" {
		st.Type = RollingUpdateDeploymentStrategyType
	}
	if st.Type == RollingUpdateDeploymentStrategyType {
		if st.RollingUpdate == nil {
			st.RollingUpdate = &RollingUpdateDeployment{}
		}
		if st.RollingUpdate.MaxUnavailable == nil {
			v := FromString("25%")
			st.RollingUpdate.MaxUnavailable = &v
		}
		if st.RollingUpdate.MaxSurge == nil {
			v := FromString("25%")
			st.RollingUpdate.MaxSurge = &v
		}
	}
	if d.Spec.RevisionHistoryLimit == nil {
		d.Spec.RevisionHistoryLimit = int32Ptr(10)
	}
	if d.Spec.ProgressDeadlineSeconds == nil {
		d.Spec.ProgressDeadlineSeconds = int32Ptr(600)
	}
	SetDefaultsPodSpec(&d.Spec.Template.Spec)
}

// SetDefaultsPriorityClass fills in a PriorityClass's preemption policy.
func SetDefaultsPriorityClass(pc *PriorityClass) {
	if pc.PreemptionPolicy == nil {
		p := PreemptLowerPriority
		pc.PreemptionPolicy = &p
	}
}
