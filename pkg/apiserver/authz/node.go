package authz

import (
	"context"
	"fmt"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/api/fields"
	"skiff/pkg/apiserver/request"
)

// NodesGroup is the group of node agents' identities, system:node:<name>.
const (
	NodesGroup     = "system:nodes"
	NodeUserPrefix = "system:node:"
)

// NodeName returns the node a user is, if it is a node agent.
func NodeName(u *request.User) (string, bool) {
	if u == nil || !u.InGroup(NodesGroup) || !strings.HasPrefix(u.Name, NodeUserPrefix) {
		return "", false
	}
	name := strings.TrimPrefix(u.Name, NodeUserPrefix)
	return name, name != ""
}

// PodLister is what the node authorizer knows of pods: the apiserver's cache.
type PodLister interface {
	GetPod(namespace, name string) (*api.Pod, bool)
	PodsOnNode(node string) []*api.Pod
}

// Node authorizes node agents (users system:node:<name> in group system:nodes) for
// exactly what running their pods needs: their own Node and Lease, the pods bound
// to them and those pods' status, events, and the secrets, configmaps and
// service-account tokens their pods use. It has no opinion on anything else, so
// RBAC may still grant more.
type Node struct {
	Pods PodLister
}

var _ Authorizer = Node{}

// Authorize implements Authorizer.
func (n Node) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	node, ok := NodeName(a.User)
	if !ok || !a.Info.IsResourceRequest {
		return NoOpinion, "", nil
	}
	i := a.Info
	allow := func(why string, args ...any) (Decision, string, error) {
		return Allow, "Node: " + fmt.Sprintf(why, args...), nil
	}
	read := i.Verb == "get" || i.Verb == "list" || i.Verb == "watch"
	switch {
	case i.APIGroup == "" && i.Resource == "nodes":
		// Every node may read every Node (routes to other nodes' pod networks
		// come from them); it may write only its own.
		if read && i.Subresource == "" {
			return allow("nodes may read nodes")
		}
		if i.Name == node && (i.Subresource == "" || i.Subresource == "status") && i.Verb != "deletecollection" {
			return allow("node %q may change its own Node", node)
		}
		if i.Verb == "create" && i.Name == "" && i.Subresource == "" {
			return allow("nodes may register (NodeRestriction checks the name)")
		}
	case i.APIGroup == "coordination.k8s.io" && i.Resource == "leases":
		if i.Namespace == api.NamespaceNodeLease && (i.Name == node || (i.Verb == "create" && i.Name == "")) {
			return allow("node %q may use its own Lease", node)
		}
	case i.APIGroup == "" && i.Resource == "pods":
		switch {
		case (i.Verb == "list" || i.Verb == "watch") && selects(i.FieldSelector, "spec.nodeName", node):
			return allow("node %q may list and watch the pods bound to it", node)
		case i.Name != "" && n.boundTo(i.Namespace, i.Name, node):
			if (i.Subresource == "" && (i.Verb == "get" || i.Verb == "delete")) ||
				(i.Subresource == "status" && (i.Verb == "get" || i.Verb == "update" || i.Verb == "patch")) ||
				(i.Subresource == "log" && i.Verb == "get") {
				return allow("pod %s/%s is bound to node %q", i.Namespace, i.Name, node)
			}
		}
	case (i.APIGroup == "" || i.APIGroup == "events.k8s.io") && i.Resource == "events":
		if i.Verb == "create" || i.Verb == "update" || i.Verb == "patch" {
			return allow("nodes may record events")
		}
	case i.APIGroup == "" && (i.Resource == "secrets" || i.Resource == "configmaps"):
		if (i.Verb == "get" || i.Verb == "list" || i.Verb == "watch") && i.Subresource == "" {
			name := i.Name
			if name == "" {
				name, _ = exactMatch(i.FieldSelector, "metadata.name")
			}
			if name != "" && n.referenced(node, i.Namespace, i.Resource, name) {
				return allow("%s %s/%s is used by a pod bound to node %q", i.Resource, i.Namespace, name, node)
			}
		}
	case i.APIGroup == "" && i.Resource == "serviceaccounts" && i.Subresource == "token" && i.Verb == "create":
		if n.referenced(node, i.Namespace, "serviceaccounts", i.Name) {
			return allow("service account %s/%s runs a pod bound to node %q", i.Namespace, i.Name, node)
		}
	case i.APIGroup == "certificates.k8s.io" && i.Resource == "certificatesigningrequests":
		// Not the virtual nodeclient/selfnodeclient subresources: whether a
		// node's request is approved automatically is for RBAC to say.
		if i.Subresource == "" && (i.Verb == "create" || read) {
			return allow("nodes may request and read certificates")
		}
	}
	return NoOpinion, "", nil
}

// LivePodGetter is implemented by a PodLister that can also read storage, for
// when its cache has not caught up yet.
type LivePodGetter interface {
	GetPodLive(namespace, name string) (*api.Pod, bool)
}

// boundTo reports whether a pod is bound to node. A node reacts to the binding
// as soon as it sees it, possibly before the cache does: when the cache says
// no, storage has the last word.
func (n Node) boundTo(namespace, name, node string) bool {
	if p, ok := n.Pods.GetPod(namespace, name); ok && p.Spec.NodeName == node {
		return true
	}
	if live, ok := n.Pods.(LivePodGetter); ok {
		p, ok := live.GetPodLive(namespace, name)
		return ok && p.Spec.NodeName == node
	}
	return false
}

// referenced reports whether any pod bound to node uses the named secret,
// configmap or service account.
func (n Node) referenced(node, namespace, resource, name string) bool {
	for _, p := range n.Pods.PodsOnNode(node) {
		if p.Namespace != namespace {
			continue
		}
		switch resource {
		case "serviceaccounts":
			if p.Spec.ServiceAccountName == name {
				return true
			}
		case "secrets":
			if contains(PodSecrets(p), name) {
				return true
			}
		case "configmaps":
			if contains(PodConfigMaps(p), name) {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// selects reports whether a field selector requires field == value.
func selects(selector, field, value string) bool {
	v, ok := exactMatch(selector, field)
	return ok && v == value
}

func exactMatch(selector, field string) (string, bool) {
	if selector == "" {
		return "", false
	}
	sel, err := fields.ParseSelector(selector)
	if err != nil {
		return "", false
	}
	return sel.RequiresExactMatch(field)
}

// PodSecrets lists the secrets a pod uses: volumes, projected sources, env,
// envFrom and image pull secrets.
func PodSecrets(p *api.Pod) []string {
	var out []string
	for _, s := range p.Spec.ImagePullSecrets {
		out = append(out, s.Name)
	}
	for _, v := range p.Spec.Volumes {
		if v.Secret != nil {
			out = append(out, v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					out = append(out, src.Secret.Name)
				}
			}
		}
	}
	for _, c := range allContainers(p) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				out = append(out, e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				out = append(out, e.SecretRef.Name)
			}
		}
	}
	return out
}

// PodConfigMaps lists the configmaps a pod uses.
func PodConfigMaps(p *api.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		if v.ConfigMap != nil {
			out = append(out, v.ConfigMap.Name)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					out = append(out, src.ConfigMap.Name)
				}
			}
		}
	}
	for _, c := range allContainers(p) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				out = append(out, e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				out = append(out, e.ConfigMapRef.Name)
			}
		}
	}
	return out
}

func allContainers(p *api.Pod) []api.Container {
	return append(append([]api.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
}
