package podsecurity

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"skiff/pkg/api"
)

// A check is one control of the Pod Security Standards (v1.32). It returns "" when
// the pod passes, or the violation as Kubernetes words it: "reason (detail)".
type check func(meta *api.ObjectMeta, spec *api.PodSpec) string

// baselineChecks are the Baseline controls in Kubernetes' order, which sorts them
// by check ID (appArmorProfile, capabilities_baseline, hostNamespaces, ...).
// Skiff has no Windows options, so the HostProcess control has nothing to check.
var baselineChecks = []check{
	appArmorProfile, capabilitiesBaseline, hostNamespaces, hostPathVolumes, hostPorts,
	privileged, procMount, seLinuxOptions, seccompProfileBaseline, sysctls,
}

// restrictedChecks are the Baseline controls, minus the three that a stricter
// Restricted control replaces (capabilities, hostPath volumes, seccomp), followed
// by the Restricted controls, again sorted by check ID.
var restrictedChecks = []check{
	appArmorProfile, hostNamespaces, hostPorts, privileged, procMount, seLinuxOptions, sysctls,
	allowPrivilegeEscalation, capabilitiesRestricted, restrictedVolumes, runAsNonRoot, runAsUser, seccompProfileRestricted,
}

// Check returns the violations of a pod against level, in Kubernetes' wording and
// order, for example `privileged (container "web" must not set
// securityContext.privileged=true)`. Nothing violates Privileged; a level that is
// not one of the three is checked as Restricted.
func Check(level Level, meta *api.ObjectMeta, spec *api.PodSpec) []string {
	checks := restrictedChecks
	switch level {
	case Privileged:
		return nil
	case Baseline:
		checks = baselineChecks
	}
	if meta == nil {
		meta = &api.ObjectMeta{}
	}
	var out []string
	for _, c := range checks {
		if v := c(meta, spec); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Baseline controls.

// appArmorProfile: AppArmor may not be turned off. Skiff's API has no
// appArmorProfile field, so only the older annotations are checked.
func appArmorProfile(meta *api.ObjectMeta, _ *api.PodSpec) string {
	var bad []string
	for k, v := range meta.Annotations {
		if strings.HasPrefix(k, "container.apparmor.security.beta.kubernetes.io/") &&
			v != "" && v != "runtime/default" && !strings.HasPrefix(v, "localhost/") {
			bad = append(bad, fmt.Sprintf("%s=%q", k, v))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	slices.Sort(bad)
	return violation(pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(bad)),
		fmt.Sprintf("%s must not set AppArmor profile type to %s", pluralize("annotation", "annotations", len(bad)), joinQuote(bad)))
}

// baselineCapabilities may be added at Baseline: the runtimes' defaults but NET_RAW.
var baselineCapabilities = set{"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true,
	"FSETID": true, "KILL": true, "MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true,
	"SETPCAP": true, "SETUID": true, "SYS_CHROOT": true}

func capabilitiesBaseline(_ *api.ObjectMeta, spec *api.PodSpec) string {
	if detail := addsCapabilities(spec, baselineCapabilities); detail != "" {
		return violation("non-default capabilities", detail)
	}
	return ""
}

func hostNamespaces(_ *api.ObjectMeta, spec *api.PodSpec) string {
	var shared []string
	for _, ns := range []struct {
		on   bool
		name string
	}{{spec.HostNetwork, "hostNetwork=true"}, {spec.HostPID, "hostPID=true"}, {spec.HostIPC, "hostIPC=true"}} {
		if ns.on {
			shared = append(shared, ns.name)
		}
	}
	if len(shared) == 0 {
		return ""
	}
	return violation("host namespaces", strings.Join(shared, ", "))
}

func hostPathVolumes(_ *api.ObjectMeta, spec *api.PodSpec) string {
	var bad []string
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			bad = append(bad, v.Name)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return violation("hostPath volumes", named("volume", "volumes", bad))
}

func hostPorts(_ *api.ObjectMeta, spec *api.PodSpec) string {
	ports := set{}
	bad := containersWhere(spec, func(c api.Container) bool {
		uses := false
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				ports[strconv.Itoa(int(p.HostPort))], uses = true, true
			}
		}
		return uses
	})
	if len(bad) == 0 {
		return ""
	}
	// The ports sort as strings, as in Kubernetes: "443" before "80".
	return violation("hostPort", fmt.Sprintf("%s %s %s %s", named("container", "containers", bad),
		pluralize("uses", "use", len(bad)), pluralize("hostPort", "hostPorts", len(ports)), strings.Join(ports.sorted(), ", ")))
}

func privileged(_ *api.ObjectMeta, spec *api.PodSpec) string {
	bad := containersWhere(spec, func(c api.Container) bool { return isTrue(sc(c).Privileged) })
	return containerViolation("privileged", bad, "", " must not set securityContext.privileged=true")
}

func procMount(_ *api.ObjectMeta, spec *api.PodSpec) string {
	types := set{}
	bad := containersWhere(spec, func(c api.Container) bool {
		m := sc(c).ProcMount
		if m == nil || *m == "Default" {
			return false
		}
		types[*m] = true
		return true
	})
	return containerViolation("procMount", bad, "", " must not set securityContext.procMount to "+joinQuote(types.sorted()))
}

var seLinuxTypes = set{"": true, "container_t": true, "container_init_t": true, "container_kvm_t": true, "container_engine_t": true}

func seLinuxOptions(_ *api.ObjectMeta, spec *api.PodSpec) string {
	badTypes := set{}
	var setUser, setRole bool
	bad := func(o *api.SELinuxOptions) bool {
		if o == nil {
			return false
		}
		if !seLinuxTypes[o.Type] {
			badTypes[o.Type] = true
		}
		setUser, setRole = setUser || o.User != "", setRole || o.Role != ""
		return !seLinuxTypes[o.Type] || o.User != "" || o.Role != ""
	}
	who := setters(bad(podSC(spec).SELinuxOptions), containersWhere(spec, func(c api.Container) bool { return bad(sc(c).SELinuxOptions) }))
	if who == "" {
		return ""
	}
	var what []string
	if len(badTypes) > 0 {
		what = append(what, named("type", "types", badTypes.sorted()))
	}
	if setUser {
		what = append(what, "user may not be set")
	}
	if setRole {
		what = append(what, "role may not be set")
	}
	return violation("seLinuxOptions", who+" set forbidden securityContext.seLinuxOptions: "+strings.Join(what, "; "))
}

// seccompProfileBaseline: a seccomp profile, if set, must be RuntimeDefault or
// Localhost; in particular not Unconfined.
func seccompProfileBaseline(_ *api.ObjectMeta, spec *api.PodSpec) string {
	types := set{}
	bad := func(p *api.SeccompProfile) bool {
		if p == nil || goodSeccomp(p) {
			return false
		}
		types[p.Type] = true
		return true
	}
	who := setters(bad(podSC(spec).SeccompProfile), containersWhere(spec, func(c api.Container) bool { return bad(sc(c).SeccompProfile) }))
	if who == "" {
		return ""
	}
	return violation("seccompProfile", who+" must not set securityContext.seccompProfile.type to "+joinQuote(types.sorted()))
}

func goodSeccomp(p *api.SeccompProfile) bool {
	return p.Type == "RuntimeDefault" || p.Type == "Localhost"
}

// safeSysctls affect only the pod's own namespaces.
var safeSysctls = set{"kernel.shm_rmid_forced": true, "net.ipv4.ip_local_port_range": true,
	"net.ipv4.ip_unprivileged_port_start": true, "net.ipv4.tcp_syncookies": true, "net.ipv4.ping_group_range": true,
	"net.ipv4.ip_local_reserved_ports": true, "net.ipv4.tcp_keepalive_time": true, "net.ipv4.tcp_fin_timeout": true,
	"net.ipv4.tcp_keepalive_intvl": true, "net.ipv4.tcp_keepalive_probes": true, "net.ipv4.tcp_rmem": true, "net.ipv4.tcp_wmem": true}

func sysctls(_ *api.ObjectMeta, spec *api.PodSpec) string {
	var bad []string
	for _, s := range podSC(spec).Sysctls {
		if !safeSysctls[s.Name] {
			bad = append(bad, s.Name)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return violation("forbidden sysctls", strings.Join(bad, ", "))
}

// Restricted controls.

func allowPrivilegeEscalation(_ *api.ObjectMeta, spec *api.PodSpec) string {
	bad := containersWhere(spec, func(c api.Container) bool { ape := sc(c).AllowPrivilegeEscalation; return ape == nil || *ape })
	return containerViolation("allowPrivilegeEscalation != false", bad, "", " must set securityContext.allowPrivilegeEscalation=false")
}

func capabilitiesRestricted(_ *api.ObjectMeta, spec *api.PodSpec) string {
	var details []string
	noDrop := containersWhere(spec, func(c api.Container) bool { return !slices.Contains(capabilitiesOf(c).Drop, "ALL") })
	if len(noDrop) > 0 {
		details = append(details, named("container", "containers", noDrop)+` must set securityContext.capabilities.drop=["ALL"]`)
	}
	if adds := addsCapabilities(spec, set{"NET_BIND_SERVICE": true}); adds != "" {
		details = append(details, adds)
	}
	if len(details) == 0 {
		return ""
	}
	return violation("unrestricted capabilities", strings.Join(details, "; "))
}

// restrictedVolumes allows only volume types that cannot reach the node's files.
func restrictedVolumes(_ *api.ObjectMeta, spec *api.PodSpec) string {
	var bad []string
	types := set{}
	for _, v := range spec.Volumes {
		s := v.VolumeSource
		switch {
		case s.ConfigMap != nil, s.DownwardAPI != nil, s.EmptyDir != nil, s.PersistentVolumeClaim != nil, s.Projected != nil, s.Secret != nil:
			continue
		case s.HostPath != nil:
			types["hostPath"] = true
		default:
			types["unknown"] = true
		}
		bad = append(bad, v.Name)
	}
	if len(bad) == 0 {
		return ""
	}
	return violation("restricted volume types", fmt.Sprintf("%s %s %s", named("volume", "volumes", bad),
		pluralize("uses", "use", len(bad)), named("restricted volume type", "restricted volume types", types.sorted())))
}

func runAsNonRoot(_ *api.ObjectMeta, spec *api.PodSpec) string {
	pod := podSC(spec).RunAsNonRoot
	explicit := containersWhere(spec, func(c api.Container) bool { v := sc(c).RunAsNonRoot; return v != nil && !*v })
	if who := setters(pod != nil && !*pod, explicit); who != "" {
		return violation("runAsNonRoot != true", who+" must not set securityContext.runAsNonRoot=false")
	}
	if isTrue(pod) {
		return ""
	}
	implicit := containersWhere(spec, func(c api.Container) bool { return sc(c).RunAsNonRoot == nil })
	return containerViolation("runAsNonRoot != true", implicit, "pod or ", " must set securityContext.runAsNonRoot=true")
}

func runAsUser(_ *api.ObjectMeta, spec *api.PodSpec) string {
	root := func(u *int64) bool { return u != nil && *u == 0 }
	who := setters(root(podSC(spec).RunAsUser), containersWhere(spec, func(c api.Container) bool { return root(sc(c).RunAsUser) }))
	if who == "" {
		return ""
	}
	return violation("runAsUser=0", who+" must not set runAsUser=0")
}

// seccompProfileRestricted: every container must run under RuntimeDefault or
// Localhost, set on the pod or on the container.
func seccompProfileRestricted(meta *api.ObjectMeta, spec *api.PodSpec) string {
	if v := seccompProfileBaseline(meta, spec); v != "" {
		return v
	}
	if p := podSC(spec).SeccompProfile; p != nil && goodSeccomp(p) {
		return ""
	}
	unset := containersWhere(spec, func(c api.Container) bool { return sc(c).SeccompProfile == nil })
	return containerViolation("seccompProfile", unset, "pod or ", ` must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`)
}

// Helpers.

// violation formats a failed check as Kubernetes does.
func violation(reason, detail string) string { return reason + " (" + detail + ")" }

// containerViolation reports the containers in bad as
// `reason (before containers "a", "b" after)`, or returns "" if there are none.
func containerViolation(reason string, bad []string, before, after string) string {
	if len(bad) == 0 {
		return ""
	}
	return violation(reason, before+named("container", "containers", bad)+after)
}

// containersWhere returns the names of the containers for which bad holds, init
// containers first, the order in which Kubernetes reports them.
func containersWhere(spec *api.PodSpec, bad func(api.Container) bool) []string {
	var names []string
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		if bad(c) {
			names = append(names, c.Name)
		}
	}
	return names
}

// setters returns who set a forbidden value: "pod", `containers "a", "b"`, or both
// joined with "and"; "" if nobody did.
func setters(pod bool, containers []string) string {
	var who []string
	if pod {
		who = append(who, "pod")
	}
	if len(containers) > 0 {
		who = append(who, named("container", "containers", containers))
	}
	return strings.Join(who, " and ")
}

// addsCapabilities describes the containers that add capabilities outside
// allowed, or returns "".
func addsCapabilities(spec *api.PodSpec, allowed set) string {
	caps := set{}
	bad := containersWhere(spec, func(c api.Container) bool {
		adds := false
		for _, cp := range capabilitiesOf(c).Add {
			if !allowed[cp] {
				caps[cp], adds = true, true
			}
		}
		return adds
	})
	if len(bad) == 0 {
		return ""
	}
	return named("container", "containers", bad) + " must not include " + joinQuote(caps.sorted()) + " in securityContext.capabilities.add"
}

// sc returns a container's security context, or an empty one.
func sc(c api.Container) api.SecurityContext {
	if c.SecurityContext == nil {
		return api.SecurityContext{}
	}
	return *c.SecurityContext
}

// podSC returns the pod's security context, or an empty one.
func podSC(spec *api.PodSpec) api.PodSecurityContext {
	if spec.SecurityContext == nil {
		return api.PodSecurityContext{}
	}
	return *spec.SecurityContext
}

func capabilitiesOf(c api.Container) api.Capabilities {
	if caps := sc(c).Capabilities; caps != nil {
		return *caps
	}
	return api.Capabilities{}
}

func isTrue(b *bool) bool { return b != nil && *b }

// named returns `container "a"` or `containers "a", "b"`.
func named(singular, plural string, names []string) string {
	return pluralize(singular, plural, len(names)) + " " + joinQuote(names)
}

func pluralize(singular, plural string, n int) string {
	if n == 1 {
		return singular
	}
	return plural
}

// joinQuote returns `"a", "b"`.
func joinQuote(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return `"` + strings.Join(items, `", "`) + `"`
}

type set map[string]bool

func (s set) sorted() []string { return slices.Sorted(maps.Keys(s)) }
