// Package resourcequota enforces ResourceQuota objects. The admission plugin
// charges each create against every quota of its namespace with an optimistic,
// resourceVersion-checked update of the quota's status, so concurrent creates
// cannot overshoot; the controller recomputes status.used from the stored objects
// when objects go away and periodically, so usage is released again.
package resourcequota

import (
	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// Usage is what obj counts against quotas: "count/<resource>[.<group>]" for every
// object, the plain name for the kinds quotas have always counted (pods, services,
// configmaps, secrets, ...), and for pods their compute requests and limits. A pod
// that has finished counts nothing.
func Usage(plural, group string, obj api.Object) api.ResourceList {
	one := resource.MustParse("1")
	countName := "count/" + plural
	if group != "" {
		countName += "." + group
	}
	u := api.ResourceList{}
	if pod, ok := obj.(*api.Pod); ok {
		if pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed {
			return u
		}
		u[countName] = one
		u[api.ResourcePods] = one
		req, lim := podResources(pod)
		for _, r := range []string{api.ResourceCPU, api.ResourceMemory} {
			if q, ok := req[r]; ok {
				u["requests."+r] = q
				u[r] = q
			}
			if q, ok := lim[r]; ok {
				u["limits."+r] = q
			}
		}
		return u
	}
	u[countName] = one
	if group == "" {
		switch plural {
		case "services", "configmaps", "secrets", "replicationcontrollers", "resourcequotas", "persistentvolumeclaims":
			u[plural] = one
		}
	}
	return u
}

// podResources are a pod's effective requests and limits, as the scheduler counts
// them: the larger of the sum over its containers and the largest init container,
// plus the pod overhead.
func podResources(p *api.Pod) (requests, limits api.ResourceList) {
	requests, limits = api.ResourceList{}, api.ResourceList{}
	for _, c := range p.Spec.Containers {
		addTo(requests, c.Resources.Requests)
		addTo(limits, c.Resources.Limits)
	}
	for _, c := range p.Spec.InitContainers {
		maxInto(requests, c.Resources.Requests)
		maxInto(limits, c.Resources.Limits)
	}
	addTo(requests, p.Spec.Overhead)
	return requests, limits
}

func addTo(dst, src api.ResourceList) {
	for name, q := range src {
		sum := dst[name]
		sum.Add(q)
		dst[name] = sum
	}
}

func maxInto(dst, src api.ResourceList) {
	for name, q := range src {
		if cur, ok := dst[name]; !ok || q.Cmp(cur) > 0 {
			dst[name] = q.DeepCopy()
		}
	}
}

// Add returns a + b for every resource in either.
func Add(a, b api.ResourceList) api.ResourceList {
	out := api.ResourceList{}
	addTo(out, a)
	addTo(out, b)
	return out
}

// Subtract returns a - b for the resources of a.
func Subtract(a, b api.ResourceList) api.ResourceList {
	out := api.ResourceList{}
	for name, q := range a {
		d := q.DeepCopy()
		if s, ok := b[name]; ok {
			d.Sub(s)
		}
		out[name] = d
	}
	return out
}

// Mask keeps the resources of l that are named in names.
func Mask(l, names api.ResourceList) api.ResourceList {
	out := api.ResourceList{}
	for name := range names {
		if q, ok := l[name]; ok {
			out[name] = q
		} else {
			out[name] = resource.Quantity{}
		}
	}
	return out
}

// Equal reports whether two lists hold the same quantities.
func Equal(a, b api.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for name, q := range a {
		if o, ok := b[name]; !ok || q.Cmp(o) != 0 {
			return false
		}
	}
	return true
}
