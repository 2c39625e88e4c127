// Package priority is the Priority admission plugin: it gives every new pod the
// priority and preemption policy of its PriorityClass (the global default class
// when it names none), refuses pods that name a missing class or claim another
// priority, keeps at most one class the global default, and keeps the built-in
// system classes from being deleted. Kubernetes' plugin of the same name does
// the same.
package priority

import (
	"context"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "Priority"

// Classes finds priority classes.
type Classes interface {
	// GetPriorityClass returns the named class, or an error for which
	// api.IsNotFound holds when there is none.
	GetPriorityClass(ctx context.Context, name string) (*api.PriorityClass, error)
	// ListPriorityClasses returns every class from a cache, which may lag the
	// latest writes by a moment. Pods are admitted from it.
	ListPriorityClasses(ctx context.Context) ([]*api.PriorityClass, error)
	// ListStoredPriorityClasses returns every class as stored now; the check that
	// only one class is the default reads it.
	ListStoredPriorityClasses(ctx context.Context) ([]*api.PriorityClass, error)
}

// Plugin is the Priority plugin.
type Plugin struct {
	classes Classes
}

var (
	_ admission.MutatingPlugin   = (*Plugin)(nil)
	_ admission.ValidatingPlugin = (*Plugin)(nil)
)

// New returns the plugin.
func New(c Classes) *Plugin { return &Plugin{classes: c} }

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Admit sets spec.priority, spec.preemptionPolicy and (from the default class)
// spec.priorityClassName of a new pod; an update that leaves them out keeps the
// pod's current ones.
func (p *Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ok := a.Object.(*api.Pod)
	if !ok || a.Subresource != "" {
		return nil
	}
	switch a.Operation {
	case admission.Create:
		return p.admitPod(ctx, a, pod)
	case admission.Update:
		if old, ok := a.OldObject.(*api.Pod); ok {
			if pod.Spec.Priority == nil {
				pod.Spec.Priority = old.Spec.Priority
			}
			if pod.Spec.PreemptionPolicy == nil {
				pod.Spec.PreemptionPolicy = old.Spec.PreemptionPolicy
			}
		}
	}
	return nil
}

func (p *Plugin) admitPod(ctx context.Context, a *admission.Attributes, pod *api.Pod) error {
	name, priority, policy, err := p.resolve(ctx, a, pod.Spec.PriorityClassName)
	if err != nil {
		return err
	}
	if err := check(a, pod, priority, policy); err != nil {
		return err
	}
	pod.Spec.PriorityClassName = name
	pod.Spec.Priority = &priority
	pod.Spec.PreemptionPolicy = &policy
	return nil
}

// resolve finds the class a pod gets: the named one, else the global default,
// else none (DefaultPriority, PreemptLowerPriority).
func (p *Plugin) resolve(ctx context.Context, a *admission.Attributes, className string) (name string, priority int32, policy string, err error) {
	var pc *api.PriorityClass
	if className != "" {
		pc, err = p.classes.GetPriorityClass(ctx, className)
		if api.IsNotFound(err) {
			return "", 0, "", admission.Forbidden(a, "[%s] no PriorityClass with name %s was found", Name, className)
		}
	} else {
		var all []*api.PriorityClass
		all, err = p.classes.ListPriorityClasses(ctx)
		pc = defaultClass(all)
	}
	if err != nil {
		return "", 0, "", err
	}
	if pc == nil {
		return "", api.DefaultPriority, api.PreemptLowerPriority, nil
	}
	policy = api.PreemptLowerPriority
	if pc.PreemptionPolicy != nil {
		policy = *pc.PreemptionPolicy
	}
	return pc.Name, pc.Value, policy, nil
}

// check refuses a pod that sets a priority or preemption policy other than its
// class gives.
func check(a *admission.Attributes, pod *api.Pod, priority int32, policy string) error {
	if pod.Spec.Priority != nil && *pod.Spec.Priority != priority {
		return admission.Forbidden(a, "[%s] the integer value of priority (%d) must not be provided in pod spec; "+
			"priority admission controller computed %d from the given PriorityClass name", Name, *pod.Spec.Priority, priority)
	}
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != policy {
		return admission.Forbidden(a, "[%s] the string value of PreemptionPolicy (%s) must not be provided in pod spec; "+
			"priority admission controller computed %s from the given PriorityClass name", Name, *pod.Spec.PreemptionPolicy, policy)
	}
	return nil
}

// defaultClass is the global default class; should a race have made two, the one
// with the lowest value wins, as in Kubernetes.
func defaultClass(all []*api.PriorityClass) *api.PriorityClass {
	var out *api.PriorityClass
	for _, pc := range all {
		if pc.GlobalDefault && (out == nil || pc.Value < out.Value || pc.Value == out.Value && pc.Name < out.Name) {
			out = pc
		}
	}
	return out
}

// Validate checks, after the other mutating plugins ran, that a new pod still
// has its class's priority; refuses a second global default class; and refuses
// deleting a built-in class.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Subresource != "" {
		return nil
	}
	switch obj := a.Object.(type) {
	case *api.Pod:
		if a.Operation == admission.Create {
			return p.validatePod(ctx, a, obj)
		}
	case *api.PriorityClass:
		if a.Operation == admission.Create || a.Operation == admission.Update {
			return p.validateClass(ctx, a, obj)
		}
	case nil:
		if _, ok := a.OldObject.(*api.PriorityClass); ok && a.Operation == admission.Delete {
			for _, sys := range api.SystemPriorityClasses() {
				if a.Name == sys.Name {
					return admission.Forbidden(a, "[%s] this is a system priority class and cannot be deleted", Name)
				}
			}
		}
	}
	return nil
}

func (p *Plugin) validatePod(ctx context.Context, a *admission.Attributes, pod *api.Pod) error {
	if pod.Spec.PriorityClassName == "" {
		// No class, or the default came after Admit looked: either way the pod
		// must carry the priority of no class.
		return check(a, pod, api.DefaultPriority, api.PreemptLowerPriority)
	}
	_, priority, policy, err := p.resolve(ctx, a, pod.Spec.PriorityClassName)
	if err != nil {
		return err
	}
	return check(a, pod, priority, policy)
}

func (p *Plugin) validateClass(ctx context.Context, a *admission.Attributes, pc *api.PriorityClass) error {
	if !pc.GlobalDefault {
		return nil
	}
	all, err := p.classes.ListStoredPriorityClasses(ctx)
	if err != nil {
		return err
	}
	for _, other := range all {
		if other.GlobalDefault && other.Name != pc.Name {
			return admission.Forbidden(a, "[%s] PriorityClass %s is already marked as default. Only one default can exist", Name, other.Name)
		}
	}
	return nil
}
