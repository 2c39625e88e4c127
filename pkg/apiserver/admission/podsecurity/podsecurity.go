// Package podsecurity is the PodSecurity admission plugin. It checks pods against
// the Pod Security Standards (privileged, baseline, restricted) that their
// namespace selects with pod-security.kubernetes.io labels: a pod that breaks the
// enforce level is rejected, and a pod or workload template that breaks the warn
// level is admitted with a warning.
package podsecurity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "PodSecurity"

// Level is one of the three Pod Security Standards, from most to least open.
type Level string

// The levels.
const (
	Privileged Level = "privileged" // no restrictions
	Baseline   Level = "baseline"   // blocks known privilege escalations
	Restricted Level = "restricted" // current pod hardening best practice
)

// Namespace labels that choose the levels. A namespace may also carry the audit
// label and the *-version labels; Skiff has no audit log and always applies the
// latest version of the standards, so it reads neither.
const (
	EnforceLabel = "pod-security.kubernetes.io/enforce"
	WarnLabel    = "pod-security.kubernetes.io/warn"
)

// ParseLevel reads a level. For anything else it returns Restricted, the level an
// invalid enforce label means, and an error.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case Privileged, Baseline, Restricted:
		return l, nil
	}
	return Restricted, fmt.Errorf("podsecurity: level %q is not one of privileged, baseline, restricted", s)
}

// NamespaceGetter reads a namespace, whose labels choose the levels.
type NamespaceGetter interface {
	GetNamespace(ctx context.Context, name string) (*api.Namespace, error)
}

// Plugin is the PodSecurity plugin.
type Plugin struct {
	namespaces   NamespaceGetter
	defaultLevel Level
}

var _ admission.ValidatingPlugin = (*Plugin)(nil)

// New returns the plugin. defaultLevel is enforced in namespaces without an
// enforce label.
func New(ns NamespaceGetter, defaultLevel Level) *Plugin {
	return &Plugin{namespaces: ns, defaultLevel: defaultLevel}
}

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Validate implements admission.ValidatingPlugin. Pods are checked against the
// enforce level and rejected with a 403; pods and the pod templates of Deployments
// and ReplicaSets are checked against the warn level and get a warning.
// Templates are never rejected, as in Kubernetes: the pods made from them are.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Subresource != "" || a.Namespace == "" || (a.Operation != admission.Create && a.Operation != admission.Update) {
		return nil
	}
	meta, spec, isPod := podOf(a)
	if spec == nil {
		return nil
	}
	ns, err := p.namespaces.GetNamespace(ctx, a.Namespace)
	switch {
	case err != nil && isPod:
		return fmt.Errorf("podsecurity: reading namespace %q: %w", a.Namespace, err)
	case err != nil:
		return nil // a template risks only a warning: admit it, as Kubernetes does
	}
	pol := policyFor(ns.Labels, p.defaultLevel)
	for _, w := range pol.problems {
		a.Warn(w)
	}
	if isPod {
		if v := Check(pol.enforce, meta, spec); len(v) > 0 {
			return admission.Forbidden(a, "violates PodSecurity %q: %s", latest(pol.enforce), strings.Join(v, ", "))
		}
	}
	if v := Check(pol.warn, meta, spec); len(v) > 0 {
		a.Warn(fmt.Sprintf("would violate PodSecurity %q: %s", latest(pol.warn), strings.Join(v, ", ")))
	}
	return nil
}

// podOf returns the pod metadata and spec a request would run, and whether it is
// a pod rather than a template. The spec is nil when there is nothing to check:
// another kind, or a pod update that leaves the security-relevant parts alone.
// Workload updates are always checked, as in Kubernetes.
func podOf(a *admission.Attributes) (meta *api.ObjectMeta, spec *api.PodSpec, isPod bool) {
	switch obj := a.Object.(type) {
	case *api.Pod:
		// Of a pod's security settings only the images may change after creation,
		// so, like Kubernetes, check an update again only when an image changed.
		if old, ok := a.OldObject.(*api.Pod); ok && !imagesChanged(obj, old) {
			return nil, nil, false
		}
		return &obj.ObjectMeta, &obj.Spec, true
	case *api.Deployment:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec, false
	case *api.ReplicaSet:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec, false
	}
	return nil, nil, false
}

// imagesChanged reports whether an update adds or removes containers or
// changes an image.
func imagesChanged(pod, old *api.Pod) bool {
	return !slices.Equal(images(pod.Spec.InitContainers), images(old.Spec.InitContainers)) ||
		!slices.Equal(images(pod.Spec.Containers), images(old.Spec.Containers))
}

func images(cs []api.Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Image
	}
	return out
}

// policy is what a namespace's labels ask for.
type policy struct {
	enforce, warn Level
	problems      []string // warnings about labels that are not levels
}

// policyFor reads the labels. A missing enforce label means defaultLevel and a
// missing warn label means no warnings. An invalid enforce label fails closed
// (restricted) and an invalid warn label fails open (privileged), as in
// Kubernetes; either is reported to the client.
func policyFor(labels map[string]string, defaultLevel Level) policy {
	p := policy{enforce: defaultLevel, warn: Privileged}
	read := func(label string, level *Level, fallback Level, consequence string) {
		v, ok := labels[label]
		if !ok {
			return
		}
		var err error
		if *level, err = ParseLevel(v); err != nil {
			*level = fallback
			p.problems = append(p.problems, fmt.Sprintf("%s: namespace label %s=%q is not one of privileged, baseline, restricted; %s",
				Name, label, v, consequence))
		}
	}
	read(EnforceLabel, &p.enforce, Restricted, fmt.Sprintf("enforcing %q", latest(Restricted)))
	read(WarnLabel, &p.warn, Privileged, "not warning")
	return p
}

// latest names a level as Kubernetes does in messages: the level and the
// version of the standards, which in Skiff is always the latest.
func latest(l Level) string { return string(l) + ":latest" }
