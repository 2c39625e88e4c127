package registry

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"skiff/pkg/api"
)

var podTable = &Table{
	Columns: []api.TableColumnDefinition{
		nameColumn,
		col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
		col("Status", "string", "The aggregate status of the containers in this pod."),
		col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageColumn,
		wide("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
		wide("Node", "string", "NodeName is a request to schedule this pod onto a specific node."),
		wide("Nominated Node", "string", "nominatedNodeName is set when this pod preempts other pods on the node."),
		wide("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		p := obj.(*api.Pod)
		ready, total := 0, len(p.Spec.Containers)
		restarts := int32(0)
		var lastRestart time.Time
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Ready && cs.State.Running != nil {
				ready++
			}
			restarts += cs.RestartCount
			if t := cs.LastState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
				lastRestart = t.FinishedAt.Time
			}
		}
		restartText := fmt.Sprint(restarts)
		if restarts > 0 && !lastRestart.IsZero() {
			restartText = fmt.Sprintf("%d (%s ago)", restarts, HumanDuration(now.Sub(lastRestart)))
		}
		gates := "<none>"
		if len(p.Spec.ReadinessGates) > 0 {
			met := 0
			for _, g := range p.Spec.ReadinessGates {
				for _, c := range p.Status.Conditions {
					if c.Type == g.ConditionType && c.Status == api.ConditionTrue {
						met++
					}
				}
			}
			gates = fmt.Sprintf("%d/%d", met, len(p.Spec.ReadinessGates))
		}
		return []any{p.Name, fmt.Sprintf("%d/%d", ready, total), PodStatusText(p), restartText,
			Age(p.CreationTimestamp, now), orNone(p.Status.PodIP), orNone(p.Spec.NodeName),
			orNone(p.Status.NominatedNodeName), gates}
	},
}

// PodStatusText is the STATUS column of `kubectl get pods`, computed as kubectl's
// printer does: the most telling container reason, else the phase.
func PodStatusText(p *api.Pod) string {
	reason := p.Status.Phase
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	initializing := false
	for i, cs := range p.Status.InitContainerStatuses {
		switch {
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
			continue
		case cs.State.Terminated != nil:
			reason = "Init:" + orDefault(cs.State.Terminated.Reason, fmt.Sprintf("ExitCode:%d", cs.State.Terminated.ExitCode))
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + cs.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing {
		hasRunning := false
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := p.Status.ContainerStatuses[i]
			switch {
			case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
				reason = cs.State.Waiting.Reason
			case cs.State.Terminated != nil && cs.State.Terminated.Reason != "":
				reason = cs.State.Terminated.Reason
			case cs.State.Terminated != nil && cs.State.Terminated.Signal != 0:
				reason = fmt.Sprintf("Signal:%d", cs.State.Terminated.Signal)
			case cs.State.Terminated != nil:
				reason = fmt.Sprintf("ExitCode:%d", cs.State.Terminated.ExitCode)
			case cs.Ready && cs.State.Running != nil:
				hasRunning = true
			}
		}
		if reason == "Completed" && hasRunning {
			reason = api.PodRunning
		}
	}
	if p.DeletionTimestamp != nil {
		if p.Status.Reason == "NodeLost" {
			return api.PodUnknown
		}
		return "Terminating"
	}
	return reason
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var nodeTable = &Table{
	Columns: []api.TableColumnDefinition{
		nameColumn,
		col("Status", "string", "The status of the node"),
		col("Roles", "string", "The roles of the node"),
		ageColumn,
		col("Version", "string", "Kubelet Version reported by the node."),
		wide("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available."),
		wide("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available."),
		wide("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 12 (bookworm))."),
		wide("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r'."),
		wide("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		n := obj.(*api.Node)
		status := "Unknown"
		for _, c := range n.Status.Conditions {
			if c.Type == api.NodeReady {
				switch c.Status {
				case api.ConditionTrue:
					status = "Ready"
				case api.ConditionFalse:
					status = "NotReady"
				}
			}
		}
		if n.Spec.Unschedulable {
			status += ",SchedulingDisabled"
		}
		var roles []string
		for k := range n.Labels {
			if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
				roles = append(roles, r)
			}
		}
		sort.Strings(roles)
		internal, external := api.NodeAddressOf(n, api.NodeInternalIP), api.NodeAddressOf(n, api.NodeExternalIP)
		info := n.Status.NodeInfo
		return []any{n.Name, status, orNone(strings.Join(roles, ",")), Age(n.CreationTimestamp, now),
			info.KubeletVersion, orNone(internal), orNone(external), orUnknown(info.OSImage),
			orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion)}
	},
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

var namespaceTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn,
		col("Status", "string", "The status of the namespace"), ageColumn},
	Row: func(obj api.Object, now time.Time) []any {
		ns := obj.(*api.Namespace)
		return []any{ns.Name, ns.Status.Phase, Age(ns.CreationTimestamp, now)}
	},
}

var eventTable = &Table{
	Columns: []api.TableColumnDefinition{
		col("Last Seen", "string", "Time when last event occurred"),
		col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
		col("Reason", "string", "Reason why the action was taken. It is human-readable."),
		col("Object", "string", "The object that this event is about."),
		wide("Subobject", "string", "The subobject of the involved object, if any."),
		wide("Source", "string", "The component reporting this event."),
		col("Message", "string", "A human-readable description of the status of this operation."),
		wide("First Seen", "string", "The first time this event was reported."),
		wide("Count", "string", "The number of times this event has occurred."),
		wide("Name", "string", "The name of this event."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		e := obj.(*api.Event)
		last := e.LastTimestamp
		if last.IsZero() {
			last = api.NewTime(e.EventTime.Time)
		}
		if last.IsZero() {
			last = e.CreationTimestamp
		}
		first := e.FirstTimestamp
		if first.IsZero() {
			first = last
		}
		source := e.Source.Component
		if source == "" {
			source = e.ReportingController
		}
		if e.Source.Host != "" {
			source += ", " + e.Source.Host
		}
		object := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
		count := e.Count
		if count == 0 {
			count = 1
		}
		return []any{Age(last, now), e.Type, e.Reason, object, e.InvolvedObject.FieldPath, source,
			strings.TrimSpace(e.Message), Age(first, now), fmt.Sprint(count), e.Name}
	},
}

var configMapTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, col("Data", "integer", "Data contains the configuration data."), ageColumn},
	Row: func(obj api.Object, now time.Time) []any {
		c := obj.(*api.ConfigMap)
		return []any{c.Name, int64(len(c.Data) + len(c.BinaryData)), Age(c.CreationTimestamp, now)}
	},
}

var secretTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, col("Type", "string", "The type of the secret"),
		col("Data", "integer", "The number of entries in the secret"), ageColumn},
	Row: func(obj api.Object, now time.Time) []any {
		s := obj.(*api.Secret)
		return []any{s.Name, s.Type, int64(len(s.Data)), Age(s.CreationTimestamp, now)}
	},
}

var serviceTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn,
		col("Type", "string", "The type of the service"),
		col("Cluster-IP", "string", "The cluster IP of the service"),
		col("External-IP", "string", "The external IPs of the service"),
		col("Port(s)", "string", "The ports of the service"),
		ageColumn,
		wide("Selector", "string", "The selector of the service"),
	},
	Row: func(obj api.Object, now time.Time) []any {
		s := obj.(*api.Service)
		var ports []string
		for _, p := range s.Spec.Ports {
			if p.NodePort != 0 {
				ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
			} else {
				ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
			}
		}
		return []any{s.Name, s.Spec.Type, orNone(s.Spec.ClusterIP), orNone(strings.Join(s.Spec.ExternalIPs, ",")),
			orNone(strings.Join(ports, ",")), Age(s.CreationTimestamp, now), orNone(selectorText(s.Spec.Selector))}
	},
}

func selectorText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

var endpointsTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, col("Endpoints", "string", "Endpoints of the service"), ageColumn},
	Row: func(obj api.Object, now time.Time) []any {
		e := obj.(*api.Endpoints)
		var list []string
		for _, ss := range e.Subsets {
			for _, a := range ss.Addresses {
				if len(ss.Ports) == 0 {
					list = append(list, a.IP)
				}
				for _, p := range ss.Ports {
					list = append(list, fmt.Sprintf("%s:%d", a.IP, p.Port))
				}
			}
		}
		text := strings.Join(list, ",")
		if len(list) > 3 {
			text = strings.Join(list[:3], ",") + fmt.Sprintf(" + %d more...", len(list)-3)
		}
		return []any{e.Name, orNone(text), Age(e.CreationTimestamp, now)}
	},
}

var leaseTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, col("Holder", "string", "The holder of the lease"), ageColumn},
	Row: func(obj api.Object, now time.Time) []any {
		l := obj.(*api.Lease)
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{l.Name, holder, Age(l.CreationTimestamp, now)}
	},
}

var quotaTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, ageColumn,
		col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
		col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		q := obj.(*api.ResourceQuota)
		var req, lim []string
		names := make([]string, 0, len(q.Spec.Hard))
		for n := range q.Spec.Hard {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			hard := q.Spec.Hard[n]
			used := q.Status.Used[n]
			entry := fmt.Sprintf("%s: %s/%s", n, used.String(), hard.String())
			if strings.HasPrefix(n, "limits.") {
				lim = append(lim, entry)
			} else {
				req = append(req, entry)
			}
		}
		return []any{q.Name, Age(q.CreationTimestamp, now), strings.Join(req, ", "), strings.Join(lim, ", ")}
	},
}

var roleTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, col("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.")},
	Row: func(obj api.Object, now time.Time) []any {
		m := obj.GetObjectMeta()
		return []any{m.Name, m.CreationTimestamp.UTC().Format(time.RFC3339)}
	},
}

var bindingTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, col("Role", "string", "Role is the role being bound"), ageColumn,
		wide("Users", "string", "Users in the binding"), wide("Groups", "string", "Groups in the binding"),
		wide("ServiceAccounts", "string", "ServiceAccounts in the binding")},
	Row: func(obj api.Object, now time.Time) []any {
		var ref api.RoleRef
		var subjects []api.Subject
		switch b := obj.(type) {
		case *api.RoleBinding:
			ref, subjects = b.RoleRef, b.Subjects
		case *api.ClusterRoleBinding:
			ref, subjects = b.RoleRef, b.Subjects
		}
		var users, groups, sas []string
		for _, s := range subjects {
			switch s.Kind {
			case api.UserKind:
				users = append(users, s.Name)
			case api.GroupKind:
				groups = append(groups, s.Name)
			case api.ServiceAccountKind:
				sas = append(sas, s.Namespace+"/"+s.Name)
			}
		}
		m := obj.GetObjectMeta()
		return []any{m.Name, ref.Kind + "/" + ref.Name, Age(m.CreationTimestamp, now),
			strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
	},
}
