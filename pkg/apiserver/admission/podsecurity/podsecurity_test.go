package podsecurity

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    Level
		wantErr bool
	}{
		{in: "privileged", want: Privileged},
		{in: "baseline", want: Baseline},
		{in: "restricted", want: Restricted},
		{in: "Baseline", want: Restricted, wantErr: true},
		{in: "", want: Restricted, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseLevel(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// Namespaces of the plugin tests, by the labels they carry.
var namespaces = fakeNamespaces{
	"plain":      nil,
	"open":       {EnforceLabel: "privileged"},
	"strict":     {EnforceLabel: "restricted"},
	"watched":    {EnforceLabel: "baseline", WarnLabel: "restricted"},
	"warn-only":  {WarnLabel: "baseline"},
	"typo":       {EnforceLabel: "basline"},
	"typo-warn":  {EnforceLabel: "privileged", WarnLabel: "strict"},
	"only-audit": {"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.29"},
}

func TestValidate(t *testing.T) {
	type result struct {
		Err      string
		Warnings []string
	}
	const restrictedWarning = `would violate PodSecurity "restricted:latest": ` +
		`allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), ` +
		`runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), ` +
		`seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
	create := func(ns string, obj api.Object) *admission.Attributes {
		m := obj.GetObjectMeta()
		m.Namespace = ns
		a := &admission.Attributes{Operation: admission.Create, Namespace: ns, Name: m.Name, Object: obj}
		switch obj.(type) {
		case *api.Pod:
			a.Kind, a.Version, a.Resource = "Pod", "v1", "pods"
		case *api.Deployment:
			a.Kind, a.Group, a.Version, a.Resource = "Deployment", "apps", "v1", "deployments"
		case *api.ReplicaSet:
			a.Kind, a.Group, a.Version, a.Resource = "ReplicaSet", "apps", "v1", "replicasets"
		}
		return a
	}
	update := func(ns string, obj, old api.Object) *admission.Attributes {
		a := create(ns, obj)
		old.GetObjectMeta().Namespace = ns
		a.Operation, a.OldObject = admission.Update, old
		return a
	}
	tests := []struct {
		name  string
		attrs *admission.Attributes
		want  result
	}{
		{
			name:  "privileged pod in a namespace without labels gets the default level",
			attrs: create("plain", pod().container("web").privileged().obj()),
			want:  result{Err: `pods "web" is forbidden: violates PodSecurity "baseline:latest": privileged (container "web" must not set securityContext.privileged=true)`},
		},
		{
			name:  "baseline pod in a namespace without labels",
			attrs: create("plain", pod().container("web").obj()),
		},
		{
			name:  "privileged namespace admits a privileged pod",
			attrs: create("open", pod().container("web").privileged().hostNetwork().volume("data", hostPath).obj()),
		},
		{
			name:  "restricted namespace rejects a baseline pod, naming every violation",
			attrs: create("strict", pod().container("web").runAsUser(0).obj()),
			want: result{Err: `pods "web" is forbidden: violates PodSecurity "restricted:latest": ` +
				`allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ` +
				`unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), ` +
				`runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), ` +
				`runAsUser=0 (container "web" must not set runAsUser=0), ` +
				`seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`},
		},
		{
			name:  "restricted namespace admits a hardened pod",
			attrs: create("strict", pod().container("web").restricted().obj()),
		},
		{
			name:  "warn label warns and admits",
			attrs: create("watched", pod().container("web").obj()),
			want:  result{Warnings: []string{restrictedWarning}},
		},
		{
			name:  "a rejected pod gets no warning",
			attrs: create("watched", pod().container("web").privileged().obj()),
			want:  result{Err: `pods "web" is forbidden: violates PodSecurity "baseline:latest": privileged (container "web" must not set securityContext.privileged=true)`},
		},
		{
			name:  "warn label alone keeps the default enforce level",
			attrs: create("warn-only", pod().container("web").hostPort(8080).obj()),
			want:  result{Err: `pods "web" is forbidden: violates PodSecurity "baseline:latest": hostPort (container "web" uses hostPort 8080)`},
		},
		{
			name:  "audit and version labels are ignored",
			attrs: create("only-audit", pod().container("web").obj()),
		},
		{
			name:  "invalid enforce label enforces restricted and says so",
			attrs: create("typo", pod().container("web").restricted().runAsUser(0).obj()),
			want: result{
				Err:      `pods "web" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0 (container "web" must not set runAsUser=0)`,
				Warnings: []string{`PodSecurity: namespace label pod-security.kubernetes.io/enforce="basline" is not one of privileged, baseline, restricted; enforcing "restricted:latest"`},
			},
		},
		{
			name:  "invalid warn label gives no warnings but says so",
			attrs: create("typo-warn", pod().container("web").privileged().obj()),
			want: result{Warnings: []string{
				`PodSecurity: namespace label pod-security.kubernetes.io/warn="strict" is not one of privileged, baseline, restricted; not warning`,
			}},
		},
		{
			name:  "Deployment template is only warned about, at the warn level",
			attrs: create("watched", pod().container("web").privileged().deployment()),
			want: result{Warnings: []string{`would violate PodSecurity "restricted:latest": ` +
				`privileged (container "web" must not set securityContext.privileged=true), ` +
				`allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ` +
				`unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), ` +
				`runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), ` +
				`seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`}},
		},
		{
			name:  "ReplicaSet template uses the template's metadata",
			attrs: create("warn-only", pod().container("web").annotate("container.apparmor.security.beta.kubernetes.io/web", "unconfined").replicaSet()),
			want: result{Warnings: []string{`would violate PodSecurity "baseline:latest": ` +
				`forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/web="unconfined"")`}},
		},
		{
			name:  "templates are not enforced",
			attrs: create("strict", pod().container("web").privileged().deployment()),
		},
		{
			name:  "template updates are checked again, even if the template is unchanged",
			attrs: update("watched", pod().container("web").deployment(), pod().container("web").deployment()),
			want:  result{Warnings: []string{restrictedWarning}},
		},
		{
			name:  "pod update of labels only is allowed",
			attrs: update("strict", pod().container("web").label("tier", "front").obj(), pod().container("web").obj()),
		},
		{
			name:  "pod update of an image is checked",
			attrs: update("strict", pod().container("web").restricted().runAsUser(0).image("nginx:2").obj(), pod().container("web").restricted().runAsUser(0).obj()),
			want:  result{Err: `pods "web" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0 (container "web" must not set runAsUser=0)`},
		},
		{
			name: "status subresource is ignored",
			attrs: func() *admission.Attributes {
				a := update("strict", pod().container("web").obj(), pod().container("web").obj())
				a.Subresource = "status"
				return a
			}(),
		},
		{
			name: "delete is ignored",
			attrs: func() *admission.Attributes {
				a := create("strict", pod().container("web").privileged().obj())
				a.Operation, a.OldObject, a.Object = admission.Delete, a.Object, nil
				return a
			}(),
		},
		{
			name:  "other kinds are ignored",
			attrs: &admission.Attributes{Operation: admission.Create, Namespace: "strict", Resource: "configmaps", Object: &api.ConfigMap{}},
		},
	}
	p := New(namespaces, Baseline)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got result
			if err := p.Validate(context.Background(), tt.attrs); err != nil {
				got.Err = err.Error()
				if !api.IsForbidden(err) || api.CodeOf(err) != 403 {
					t.Errorf("error %v is not a 403 Forbidden Status", err)
				}
			}
			got.Warnings = tt.attrs.Warnings
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateForbiddenStatus(t *testing.T) {
	a := &admission.Attributes{Operation: admission.Create, Kind: "Pod", Version: "v1", Resource: "pods",
		Namespace: "plain", Name: "web", Object: pod().container("web").privileged().obj()}
	err := New(namespaces, Baseline).Validate(context.Background(), a)
	var se *api.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("Validate = %v, want a StatusError", err)
	}
	want := api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   api.StatusFailure,
		Message:  `pods "web" is forbidden: violates PodSecurity "baseline:latest": privileged (container "web" must not set securityContext.privileged=true)`,
		Reason:   api.ReasonForbidden,
		Details:  &api.StatusDetails{Name: "web", Kind: "pods"},
		Code:     403,
	}
	if diff := cmp.Diff(want, se.ErrStatus); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
}

func TestValidateNamespaceError(t *testing.T) {
	p := New(namespaces, Baseline)
	a := &admission.Attributes{Operation: admission.Create, Resource: "pods", Namespace: "gone", Name: "web",
		Object: pod().container("web").obj()}
	if err := p.Validate(context.Background(), a); !api.IsNotFound(err) {
		t.Errorf("Validate(pod) = %v, want the getter's NotFound error", err)
	}
	a = &admission.Attributes{Operation: admission.Create, Group: "apps", Resource: "deployments", Namespace: "gone", Name: "web",
		Object: pod().container("web").privileged().deployment()}
	if err := p.Validate(context.Background(), a); err != nil || len(a.Warnings) > 0 {
		t.Errorf("Validate(deployment) = %v, warnings %q; want it admitted silently", err, a.Warnings)
	}
}
