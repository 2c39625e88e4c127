// Package limitranger is the LimitRanger admission plugin: it applies the
// LimitRanges of a namespace to the pods created in it. As a mutating plugin it
// gives containers the default requests and limits they leave out; as a
// validating plugin it rejects pods whose containers, or whose totals, fall
// outside a LimitRange's min, max or maximum limit/request ratio.
package limitranger

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "LimitRanger"

// AnnotationKey is the pod annotation that records the defaults the plugin set,
// for example "LimitRanger plugin set: cpu request for container web".
const AnnotationKey = "kubernetes.io/limit-ranger"

// Lister lists the LimitRanges of a namespace. The plugin never changes them, so
// they may come straight from a cache.
type Lister interface {
	ListLimitRanges(ctx context.Context, namespace string) ([]*api.LimitRange, error)
}

// Plugin is the LimitRanger plugin.
type Plugin struct {
	lister Lister
}

var (
	_ admission.MutatingPlugin   = (*Plugin)(nil)
	_ admission.ValidatingPlugin = (*Plugin)(nil)
)

// New returns the plugin.
func New(l Lister) *Plugin { return &Plugin{lister: l} }

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Admit implements admission.MutatingPlugin: it fills in the default requests and
// limits of each LimitRange's Container items, taking the LimitRanges in name
// order, and records what it set in the pod's AnnotationKey annotation.
func (p *Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ranges, err := p.podAndRanges(ctx, a)
	if err != nil || pod == nil {
		return err
	}
	for _, lr := range ranges {
		limits, requests := containerDefaults(lr)
		if len(limits) > 0 || len(requests) > 0 {
			setDefaults(pod, limits, requests)
		}
	}
	return nil
}

// Validate implements admission.ValidatingPlugin: it rejects a pod that breaks a
// LimitRange with a 403 that lists everything the first such LimitRange objects to.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	pod, ranges, err := p.podAndRanges(ctx, a)
	if err != nil || pod == nil {
		return err
	}
	for _, lr := range ranges {
		if errs := violations(lr, pod); len(errs) > 0 {
			return admission.Forbidden(a, "[%s] %s", Name, aggregate(errs))
		}
	}
	return nil
}

// podAndRanges returns the pod a request creates and its namespace's
// LimitRanges sorted by name, or a nil pod when there is nothing to do. Only
// creation counts: a pod's resources cannot change later, so Kubernetes skips
// updates, and defaulting on an update would make the update invalid.
func (p *Plugin) podAndRanges(ctx context.Context, a *admission.Attributes) (*api.Pod, []*api.LimitRange, error) {
	pod, ok := a.Object.(*api.Pod)
	if !ok || a.Operation != admission.Create || a.Subresource != "" {
		return nil, nil, nil
	}
	ranges, err := p.lister.ListLimitRanges(ctx, a.Namespace)
	if err != nil {
		return nil, nil, fmt.Errorf("limitranger: listing the limit ranges of %q: %w", a.Namespace, err)
	}
	if len(ranges) == 0 {
		return nil, nil, nil
	}
	ranges = slices.Clone(ranges)
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].Name < ranges[j].Name })
	return pod, ranges, nil
}

// containerDefaults returns the limits and requests a LimitRange gives the
// containers that leave them out. Kubernetes completes a LimitRange when storing
// it: a missing default limit is the max, and a missing default request is the
// default limit, or else the min. Skiff stores LimitRanges as written, so the
// same rules are applied here. A later Container item wins over an earlier one.
func containerDefaults(lr *api.LimitRange) (limits, requests api.ResourceList) {
	limits, requests = api.ResourceList{}, api.ResourceList{}
	for _, item := range lr.Spec.Limits {
		if item.Type != api.LimitTypeContainer {
			continue
		}
		itemLimits := firstOf(item.Default, item.Max)
		maps.Copy(limits, itemLimits)
		maps.Copy(requests, firstOf(item.DefaultRequest, itemLimits, item.Min))
	}
	return limits, requests
}

// firstOf returns a new list with every resource in lists, each taken from the
// first list that has it.
func firstOf(lists ...api.ResourceList) api.ResourceList {
	out := api.ResourceList{}
	for i := len(lists) - 1; i >= 0; i-- {
		maps.Copy(out, lists[i])
	}
	return out
}

// setDefaults gives every container the limits and requests it lacks and
// annotates the pod with what was set: containers first, then init containers,
// each with its requests before its limits, as Kubernetes writes it.
func setDefaults(pod *api.Pod, limits, requests api.ResourceList) {
	var notes []string
	for i := range pod.Spec.Containers {
		notes = append(notes, setContainerDefaults(&pod.Spec.Containers[i], "container", limits, requests)...)
	}
	for i := range pod.Spec.InitContainers {
		notes = append(notes, setContainerDefaults(&pod.Spec.InitContainers[i], "init container", limits, requests)...)
	}
	if len(notes) > 0 {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[AnnotationKey] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
	}
}

func setContainerDefaults(c *api.Container, kind string, limits, requests api.ResourceList) []string {
	r := &c.Resources
	// A container that sets a limit but no request requests its limit. Kubernetes
	// applies this pod default when it decodes the request, before admission, so
	// the LimitRange's default request never applies to such a resource.
	for name, q := range r.Limits {
		if _, ok := r.Requests[name]; !ok {
			fill(&r.Requests, api.ResourceList{name: q})
		}
	}
	var notes []string
	setLimits := fill(&r.Limits, limits)
	if set := fill(&r.Requests, requests); len(set) > 0 {
		notes = append(notes, fmt.Sprintf("%s request for %s %s", strings.Join(set, ", "), kind, c.Name))
	}
	if len(setLimits) > 0 {
		notes = append(notes, fmt.Sprintf("%s limit for %s %s", strings.Join(setLimits, ", "), kind, c.Name))
	}
	return notes
}

// fill adds to *list every resource of defaults it lacks and returns their
// names, sorted.
func fill(list *api.ResourceList, defaults api.ResourceList) []string {
	var set []string
	for _, name := range slices.Sorted(maps.Keys(defaults)) {
		if _, ok := (*list)[name]; ok {
			continue
		}
		if *list == nil {
			*list = api.ResourceList{}
		}
		(*list)[name] = defaults[name].DeepCopy()
		set = append(set, name)
	}
	return set
}

// aggregate joins several errors as Kubernetes' error aggregates do: one alone,
// more as "[a, b]".
func aggregate(errs []string) string {
	if len(errs) == 1 {
		return errs[0]
	}
	return "[" + strings.Join(errs, ", ") + "]"
}
