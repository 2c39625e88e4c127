// Package serviceaccount is the ServiceAccount admission plugin: every pod runs as
// a service account ("default" unless it names one), which must exist, and unless
// either of them opts out the pod gets a projected volume with a token for it, the
// cluster CA and its namespace, mounted where client libraries look.
package serviceaccount

import (
	"context"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
)

// Name is the plugin's name in --enable-admission-plugins.
const Name = "ServiceAccount"

// Where the token volume goes, as in Kubernetes.
const (
	DefaultServiceAccount = "default"
	MountPath             = "/var/run/secrets/kubernetes.io/serviceaccount"
	VolumePrefix          = "kube-api-access-"
	// RootCAConfigMap is published in every namespace with the cluster CA (ca.crt).
	RootCAConfigMap = "kube-root-ca.crt"
	// TokenExpirationSeconds is what Kubernetes asks for; the node agent refreshes
	// the token before it expires.
	TokenExpirationSeconds = 3607
)

// Getter finds a service account; a missing one is an error for which
// api.IsNotFound holds.
type Getter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*api.ServiceAccount, error)
}

// Plugin is the ServiceAccount plugin.
type Plugin struct {
	accounts Getter
}

var (
	_ admission.MutatingPlugin   = (*Plugin)(nil)
	_ admission.ValidatingPlugin = (*Plugin)(nil)
)

// New returns the plugin.
func New(g Getter) *Plugin { return &Plugin{accounts: g} }

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

func podToCreate(a *admission.Attributes) (*api.Pod, bool) {
	pod, ok := a.Object.(*api.Pod)
	return pod, ok && a.Operation == admission.Create && a.Subresource == ""
}

// Admit names the default service account and adds the token volume.
func (p *Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ok := podToCreate(a)
	if !ok {
		return nil
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = pod.Spec.DeprecatedServiceAccount
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccount
	}
	pod.Spec.DeprecatedServiceAccount = pod.Spec.ServiceAccountName
	sa, err := p.accounts.GetServiceAccount(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return nil // Validate reports the missing account.
	}
	if !automount(pod, sa) || hasMount(pod) {
		return nil
	}
	name := VolumePrefix + api.NameSuffix()
	mode := int32(0o644)
	exp := int64(TokenExpirationSeconds)
	pod.Spec.Volumes = append(pod.Spec.Volumes, api.Volume{Name: name, VolumeSource: api.VolumeSource{
		Projected: &api.ProjectedVolumeSource{DefaultMode: &mode, Sources: []api.VolumeProjection{
			{ServiceAccountToken: &api.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &exp}},
			{ConfigMap: &api.ConfigMapProjection{LocalObjectReference: api.LocalObjectReference{Name: RootCAConfigMap},
				Items: []api.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &api.DownwardAPIProjection{Items: []api.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &api.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		}},
	}})
	mount := api.VolumeMount{Name: name, MountPath: MountPath, ReadOnly: true}
	for i := range pod.Spec.InitContainers {
		pod.Spec.InitContainers[i].VolumeMounts = append(pod.Spec.InitContainers[i].VolumeMounts, mount)
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].VolumeMounts = append(pod.Spec.Containers[i].VolumeMounts, mount)
	}
	return nil
}

// Validate rejects pods whose service account does not exist.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	pod, ok := podToCreate(a)
	if !ok {
		return nil
	}
	name := pod.Spec.ServiceAccountName
	if name == "" {
		name = DefaultServiceAccount
	}
	_, err := p.accounts.GetServiceAccount(ctx, a.Namespace, name)
	if api.IsNotFound(err) {
		return admission.Forbidden(a, "[%s] error looking up service account %s/%s: serviceaccount %q not found", Name, a.Namespace, name, name)
	}
	return err
}

// automount: the pod's setting wins, then the service account's, then yes.
func automount(pod *api.Pod, sa *api.ServiceAccount) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

// hasMount reports whether some container already mounts something at MountPath.
func hasMount(pod *api.Pod) bool {
	for _, c := range append(append([]api.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, m := range c.VolumeMounts {
			if m.MountPath == MountPath {
				return true
			}
		}
	}
	return false
}
