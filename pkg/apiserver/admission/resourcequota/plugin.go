package resourcequota

import (
	"context"
	"sort"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "ResourceQuota"

// Store reads and writes quotas. UpdateStatus must fail with an error for which
// api.IsConflict holds when q.ResourceVersion is stale.
type Store interface {
	ListQuotas(ctx context.Context, namespace string) ([]*api.ResourceQuota, error)
	GetQuota(ctx context.Context, namespace, name string) (*api.ResourceQuota, error)
	UpdateStatus(ctx context.Context, q *api.ResourceQuota) (*api.ResourceQuota, error)
}

// Plugin is the ResourceQuota admission plugin.
type Plugin struct {
	store Store
}

var _ admission.ValidatingPlugin = (*Plugin)(nil)

// New returns the plugin.
func New(s Store) *Plugin { return &Plugin{store: s} }

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// maxAttempts bounds the retries of one charge against concurrent writers.
const maxAttempts = 100

// Validate charges a create against the namespace's quotas, or rejects it.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Operation != admission.Create || a.Subresource != "" || a.Namespace == "" || a.Object == nil {
		return nil
	}
	delta := Usage(a.Resource, a.Group, a.Object)
	pod, isPod := a.Object.(*api.Pod)
	if len(delta) == 0 && !isPod {
		return nil
	}
	quotas, err := p.store.ListQuotas(ctx, a.Namespace)
	if err != nil || len(quotas) == 0 {
		return err
	}
	sort.Slice(quotas, func(i, j int) bool { return quotas[i].Name < quotas[j].Name })
	if isPod {
		for _, q := range quotas {
			if missing := unspecified(q, pod); missing != "" {
				return admission.Forbidden(a, "[%s] failed quota: %s: must specify %s", Name, q.Name, missing)
			}
		}
	}
	var charged []*api.ResourceQuota
	for _, q := range quotas {
		if len(constrained(q, delta)) == 0 {
			continue
		}
		if err := p.charge(ctx, a, q, delta); err != nil {
			p.refund(ctx, charged, delta)
			return err
		}
		charged = append(charged, q)
	}
	return nil
}

// computeResources are the quota names a pod can only be charged for if every
// container states them, as in Kubernetes: a quota on requests.cpu needs every
// container to request cpu.
var computeResources = []struct{ quota, resource string }{
	{"limits.cpu", api.ResourceCPU}, {"limits.memory", api.ResourceMemory},
	{"requests.cpu", api.ResourceCPU}, {"requests.memory", api.ResourceMemory},
	{api.ResourceCPU, api.ResourceCPU}, {api.ResourceMemory, api.ResourceMemory},
}

// unspecified says which tracked compute resources pod's containers leave out,
// as "requests.cpu for: web,sidecar; limits.memory for: web", or "" if none.
func unspecified(q *api.ResourceQuota, pod *api.Pod) string {
	var parts []string
	for _, r := range computeResources {
		if _, tracked := q.Spec.Hard[r.quota]; !tracked {
			continue
		}
		var names []string
		for _, c := range append(append([]api.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
			list := c.Resources.Requests
			if strings.HasPrefix(r.quota, "limits.") {
				list = c.Resources.Limits
			}
			if _, ok := list[r.resource]; !ok {
				names = append(names, c.Name)
			}
		}
		if len(names) > 0 {
			parts = append(parts, r.quota+" for: "+strings.Join(names, ","))
		}
	}
	return strings.Join(parts, "; ")
}

// constrained lists the resources of delta that q limits.
func constrained(q *api.ResourceQuota, delta api.ResourceList) []string {
	var out []string
	for name := range delta {
		if _, ok := q.Spec.Hard[name]; ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// charge adds delta to q's usage if it fits, retrying on conflicting writes.
func (p *Plugin) charge(ctx context.Context, a *admission.Attributes, q *api.ResourceQuota, delta api.ResourceList) error {
	for attempt := 0; ; attempt++ {
		names := constrained(q, delta)
		for _, name := range names {
			if _, known := q.Status.Used[name]; !known {
				return admission.Forbidden(a, "[%s] status unknown for quota: %s, resource: %s; retry in a moment", Name, q.Name, name)
			}
		}
		var over []string
		for _, name := range names {
			used, hard := q.Status.Used[name], q.Spec.Hard[name]
			total := used.DeepCopy()
			total.Add(delta[name])
			if total.Cmp(hard) > 0 {
				over = append(over, name)
			}
		}
		if len(over) > 0 {
			return admission.Forbidden(a, "[%s] exceeded quota: %s, requested: %s, used: %s, limited: %s", Name, q.Name,
				format(delta, over), format(q.Status.Used, over), format(q.Spec.Hard, over))
		}
		if a.DryRun {
			return nil
		}
		next := api.DeepCopy(q)
		next.Status.Hard = q.Spec.Hard
		next.Status.Used = Add(q.Status.Used, Mask(delta, q.Spec.Hard))
		_, err := p.store.UpdateStatus(ctx, next)
		if err == nil {
			return nil
		}
		if !api.IsConflict(err) || attempt == maxAttempts {
			return err
		}
		if q, err = p.store.GetQuota(ctx, q.Namespace, q.Name); err != nil {
			return err
		}
	}
}

// refund takes delta back from quotas already charged when a later one refuses.
func (p *Plugin) refund(ctx context.Context, quotas []*api.ResourceQuota, delta api.ResourceList) {
	for _, q := range quotas {
		for attempt := 0; attempt < maxAttempts; attempt++ {
			cur, err := p.store.GetQuota(ctx, q.Namespace, q.Name)
			if err != nil {
				break
			}
			cur.Status.Used = Subtract(cur.Status.Used, delta)
			if _, err := p.store.UpdateStatus(ctx, cur); !api.IsConflict(err) {
				break
			}
		}
	}
}

// format renders "pods=1,requests.cpu=500m" for the named resources.
func format(l api.ResourceList, names []string) string {
	parts := make([]string, len(names))
	for i, name := range names {
		q := l[name]
		parts[i] = name + "=" + q.String()
	}
	return strings.Join(parts, ",")
}
