package apiserver

import (
	"net/http"
	"runtime"
	"sort"

	"github.com/gorilla/mux"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/registry"
)

// Version is the Kubernetes version Skiff reports; kubectl uses it to pick
// behaviour (and /usr/bin/kubectl's dispatcher to pick a kubectl).
var Version = api.VersionInfo{
	Major: "1", Minor: "32", GitVersion: "v1.32.0-skiff", GitTreeState: "clean",
	BuildDate: "2026-11-22T00:00:00Z", GoVersion: runtime.Version(), Compiler: runtime.Compiler,
	Platform: runtime.GOOS + "/" + runtime.GOARCH,
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	writeObject(w, r, http.StatusOK, Version)
}

func (s *Server) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	writeObject(w, r, http.StatusOK, api.APIVersions{
		TypeMeta: api.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []api.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host},
		},
	})
}

func (s *Server) apiGroups() []api.APIGroup {
	gvs := s.registry.GroupVersions()
	names := make([]string, 0, len(gvs))
	for g := range gvs {
		if g != "" {
			names = append(names, g)
		}
	}
	sort.Strings(names)
	var groups []api.APIGroup
	for _, g := range names {
		group := api.APIGroup{TypeMeta: api.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: g}
		for _, v := range gvs[g] {
			group.Versions = append(group.Versions, api.GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
		}
		group.PreferredVersion = group.Versions[len(group.Versions)-1]
		groups = append(groups, group)
	}
	return groups
}

func (s *Server) serveAPIGroups(w http.ResponseWriter, r *http.Request) {
	groups := s.apiGroups()
	for i := range groups {
		groups[i].TypeMeta = api.TypeMeta{}
	}
	writeObject(w, r, http.StatusOK, api.APIGroupList{TypeMeta: api.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: groups})
}

func (s *Server) serveAPIGroup(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["group"]
	for _, g := range s.apiGroups() {
		if g.Name == name {
			writeObject(w, r, http.StatusOK, g)
			return
		}
	}
	s.writeError(w, r, api.NewNotFound(api.GroupResource{}, ""), nil)
}

func (s *Server) serveGroupVersionResources(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	s.serveResourceList(v["group"], v["version"])(w, r)
}

// serveResourceList answers /api/v1 and /apis/{group}/{version}: each resource with
// its kind, verbs and short names, and its subresources.
func (s *Server) serveResourceList(group, version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list := api.APIResourceList{TypeMeta: api.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: version}
		if group != "" {
			list.GroupVersion = group + "/" + version
		}
		found := false
		for _, res := range s.registry.All() {
			if res.Group != group || res.Version != version {
				continue
			}
			found = true
			list.APIResources = append(list.APIResources, discoveryEntries(res)...)
		}
		if !found {
			s.writeError(w, r, api.NewNotFound(api.GroupResource{}, ""), nil)
			return
		}
		writeObject(w, r, http.StatusOK, list)
	}
}

func discoveryEntries(res *registry.Resource) []api.APIResource {
	out := []api.APIResource{{
		Name: res.Plural, SingularName: res.Singular, Namespaced: res.Namespaced, Kind: res.Kind,
		Verbs: res.Verbs(), ShortNames: res.ShortNames, Categories: res.Categories,
	}}
	sub := func(name, kind, group, version string, verbs ...string) {
		out = append(out, api.APIResource{Name: res.Plural + "/" + name, Namespaced: res.Namespaced,
			Kind: kind, Group: group, Version: version, Verbs: verbs})
	}
	if res.HasStatus {
		sub("status", res.Kind, "", "", "get", "patch", "update")
	}
	if res.HasScale {
		sub("scale", "Scale", "autoscaling", "v1", "get", "patch", "update")
	}
	if res.Plural == "pods" {
		sub("binding", "Binding", "", "", "create")
	}
	for _, x := range res.Subresources {
		sub(x.Name, x.Kind, x.Group, x.Version, x.Verbs...)
	}
	return out
}

// serveOpenAPIv2 answers kubectl's schema download with an empty document in the
// protobuf content type it asks for: kubectl then skips client-side schema
// validation, and the server validates (fieldValidation=Strict) instead.
func (s *Server) serveOpenAPIv2(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
	w.WriteHeader(http.StatusOK)
}
