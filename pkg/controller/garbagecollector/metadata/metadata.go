// Package metadata reads and writes objects of any resource the apiserver
// serves by their type and metadata alone, and finds those resources through
// discovery, as client-go's metadata and discovery clients do. The garbage
// collector and the namespace controller use it to work on every kind, those
// they know and those they do not.
package metadata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// Object is any API object reduced to its kind and metadata (Kubernetes'
// PartialObjectMetadata): the rest of the JSON is ignored when it is decoded.
type Object struct {
	api.TypeMeta   `json:",inline"`
	api.ObjectMeta `json:"metadata"`
}

var _ api.Object = (*Object)(nil)

// For returns a client for the objects of one resource in namespace ("" for
// all namespaces, and for cluster-scoped resources) that decodes them as
// Objects. Its writes send what they are given: a patch of the metadata, or
// DeleteOptions.
func For(c *client.Client, gvr client.GVR, namespace string) *client.Resource[*Object] {
	return client.NewResource(c, gvr, namespace, func() *Object { return &Object{} })
}

// Resource is one served resource, as discovery describes it.
type Resource struct {
	client.GVR
	Kind  string
	Verbs []string
}

// GroupVersion returns "v1" or "apps/v1".
func (r Resource) GroupVersion() string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

// String names the resource as kubectl does: "pods" or "replicasets.apps".
func (r Resource) String() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// Supports reports whether the resource serves every one of verbs.
func (r Resource) Supports(verbs ...string) bool {
	for _, v := range verbs {
		if !slices.Contains(r.Verbs, v) {
			return false
		}
	}
	return true
}

// GroupOf returns the API group of an apiVersion: "" for "v1", "apps" for "apps/v1".
func GroupOf(apiVersion string) string {
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// Discover lists the resources the apiserver serves: those of every version
// under /api, and of the preferred version of every group under /apis, without
// subresources. A version that cannot be read is left out and named in the
// error, which comes with what could be read; ctx bounds every request.
func Discover(ctx context.Context, c *client.Client) ([]Resource, error) {
	var gvs []string
	var core api.APIVersions
	if err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: "/api", Out: &core}); err != nil {
		return nil, fmt.Errorf("metadata: discovery of /api: %w", err)
	}
	gvs = append(gvs, core.Versions...)
	var groups api.APIGroupList
	if err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: "/apis", Out: &groups}); err != nil {
		return nil, fmt.Errorf("metadata: discovery of /apis: %w", err)
	}
	for _, g := range groups.Groups {
		gv := g.PreferredVersion.GroupVersion
		if gv == "" && len(g.Versions) > 0 {
			gv = g.Versions[0].GroupVersion
		}
		if gv != "" {
			gvs = append(gvs, gv)
		}
	}
	var out []Resource
	var errs []error
	for _, gv := range gvs {
		path := "/apis/" + gv
		if GroupOf(gv) == "" {
			path = "/api/" + gv
		}
		var list api.APIResourceList
		if err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: path, Out: &list}); err != nil {
			errs = append(errs, fmt.Errorf("metadata: discovery of %s: %w", path, err))
			continue
		}
		out = append(out, resourcesOf(gv, list.APIResources)...)
	}
	return out, errors.Join(errs...)
}

// resourcesOf turns one group version's discovery document into Resources,
// leaving out subresources.
func resourcesOf(gv string, list []api.APIResource) []Resource {
	group, version := GroupOf(gv), gv[strings.IndexByte(gv, '/')+1:]
	var out []Resource
	for _, r := range list {
		if strings.Contains(r.Name, "/") {
			continue
		}
		out = append(out, Resource{
			GVR:  client.GVR{Group: group, Version: version, Resource: r.Name, Namespaced: r.Namespaced},
			Kind: r.Kind, Verbs: slices.Clone(r.Verbs),
		})
	}
	return out
}
