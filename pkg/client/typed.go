package client

import (
	"context"
	"net/http"

	"skiff/pkg/api"
)

// The resources Skiff serves, by group, version and name.
var (
	NamespacesGVR      = GVR{Version: "v1", Resource: "namespaces"}
	NodesGVR           = GVR{Version: "v1", Resource: "nodes"}
	PodsGVR            = GVR{Version: "v1", Resource: "pods", Namespaced: true}
	EventsGVR          = GVR{Version: "v1", Resource: "events", Namespaced: true}
	ConfigMapsGVR      = GVR{Version: "v1", Resource: "configmaps", Namespaced: true}
	SecretsGVR         = GVR{Version: "v1", Resource: "secrets", Namespaced: true}
	ServiceAccountsGVR = GVR{Version: "v1", Resource: "serviceaccounts", Namespaced: true}
	ServicesGVR        = GVR{Version: "v1", Resource: "services", Namespaced: true}
	EndpointsGVR       = GVR{Version: "v1", Resource: "endpoints", Namespaced: true}
	LeasesGVR          = GVR{Group: "coordination.k8s.io", Version: "v1", Resource: "leases", Namespaced: true}
	ReplicaSetsGVR     = GVR{Group: "apps", Version: "v1", Resource: "replicasets", Namespaced: true}
	DeploymentsGVR     = GVR{Group: "apps", Version: "v1", Resource: "deployments", Namespaced: true}
	PriorityClassesGVR = GVR{Group: api.SchedulingGroup, Version: "v1", Resource: "priorityclasses"}
	CSRsGVR            = GVR{Group: api.CertificatesGroup, Version: "v1", Resource: "certificatesigningrequests"}
)

// Namespaces returns a client for namespaces.
func Namespaces(c *Client) *Resource[*api.Namespace] {
	return NewResource(c, NamespacesGVR, "", func() *api.Namespace { return &api.Namespace{} })
}

// Nodes returns a client for nodes.
func Nodes(c *Client) *Resource[*api.Node] {
	return NewResource(c, NodesGVR, "", func() *api.Node { return &api.Node{} })
}

// Pods returns a client for pods in ns ("" for all namespaces).
func Pods(c *Client, ns string) *Resource[*api.Pod] {
	return NewResource(c, PodsGVR, ns, func() *api.Pod { return &api.Pod{} })
}

// Events returns a client for events in ns.
func Events(c *Client, ns string) *Resource[*api.Event] {
	return NewResource(c, EventsGVR, ns, func() *api.Event { return &api.Event{} })
}

// ConfigMaps returns a client for configmaps in ns.
func ConfigMaps(c *Client, ns string) *Resource[*api.ConfigMap] {
	return NewResource(c, ConfigMapsGVR, ns, func() *api.ConfigMap { return &api.ConfigMap{} })
}

// Secrets returns a client for secrets in ns.
func Secrets(c *Client, ns string) *Resource[*api.Secret] {
	return NewResource(c, SecretsGVR, ns, func() *api.Secret { return &api.Secret{} })
}

// ServiceAccounts returns a client for service accounts in ns.
func ServiceAccounts(c *Client, ns string) *Resource[*api.ServiceAccount] {
	return NewResource(c, ServiceAccountsGVR, ns, func() *api.ServiceAccount { return &api.ServiceAccount{} })
}

// Services returns a client for services in ns.
func Services(c *Client, ns string) *Resource[*api.Service] {
	return NewResource(c, ServicesGVR, ns, func() *api.Service { return &api.Service{} })
}

// EndpointsClient returns a client for endpoints in ns.
func EndpointsClient(c *Client, ns string) *Resource[*api.Endpoints] {
	return NewResource(c, EndpointsGVR, ns, func() *api.Endpoints { return &api.Endpoints{} })
}

// Leases returns a client for leases in ns.
func Leases(c *Client, ns string) *Resource[*api.Lease] {
	return NewResource(c, LeasesGVR, ns, func() *api.Lease { return &api.Lease{} })
}

// ReplicaSets returns a client for replica sets in ns.
func ReplicaSets(c *Client, ns string) *Resource[*api.ReplicaSet] {
	return NewResource(c, ReplicaSetsGVR, ns, func() *api.ReplicaSet { return &api.ReplicaSet{} })
}

// Deployments returns a client for deployments in ns.
func Deployments(c *Client, ns string) *Resource[*api.Deployment] {
	return NewResource(c, DeploymentsGVR, ns, func() *api.Deployment { return &api.Deployment{} })
}

// PriorityClasses returns a client for priority classes.
func PriorityClasses(c *Client) *Resource[*api.PriorityClass] {
	return NewResource(c, PriorityClassesGVR, "", func() *api.PriorityClass { return &api.PriorityClass{} })
}

// CertificateSigningRequests returns a client for CSRs.
func CertificateSigningRequests(c *Client) *Resource[*api.CertificateSigningRequest] {
	return NewResource(c, CSRsGVR, "", func() *api.CertificateSigningRequest { return &api.CertificateSigningRequest{} })
}

// UpdateApproval writes a CSR's Approved or Denied condition through the
// approval subresource, as `kubectl certificate approve` does.
func UpdateApproval(ctx context.Context, c *Client, csr *api.CertificateSigningRequest) (*api.CertificateSigningRequest, error) {
	csr.Kind, csr.APIVersion = "CertificateSigningRequest", CSRsGVR.Group+"/"+CSRsGVR.Version
	out := &api.CertificateSigningRequest{}
	err := c.Do(ctx, Request{Method: http.MethodPut, Path: CSRsGVR.Path("", csr.Name, "approval"), Body: csr, Out: out})
	return out, err
}

// Bind assigns a pod to a node through the pods/binding subresource, as the
// scheduler does.
func Bind(ctx context.Context, c *Client, b *api.Binding) error {
	b.Kind, b.APIVersion = "Binding", "v1"
	return c.Do(ctx, Request{Method: http.MethodPost, Path: PodsGVR.Path(b.Namespace, b.Name, "binding"), Body: b})
}
