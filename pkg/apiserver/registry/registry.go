// Package registry describes every resource the apiserver serves: its names, its
// kind, whether it is namespaced, and its strategy — how it is defaulted,
// validated, rendered as a table and filtered by field selectors. The REST handlers
// are generic; everything kind-specific is here.
package registry

import (
	"reflect"
	"sort"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// Resource is one REST resource and its strategy.
type Resource struct {
	Group, Version, Kind string
	Plural, Singular     string
	ShortNames           []string
	Categories           []string
	Namespaced           bool
	// New returns an empty object of the kind.
	New func() api.Object

	// Defaults fills in omitted fields (always set).
	Defaults func(api.Object)
	// Validate checks an object about to be created.
	Validate func(api.Object) api.FieldErrors
	// ValidateUpdate checks an update; nil means Validate plus metadata rules.
	ValidateUpdate func(obj, old api.Object) api.FieldErrors
	// HasStatus says there is a status subresource: writes to the object keep the
	// stored status, writes to /status keep everything but status.
	HasStatus bool
	// ValidateStatusUpdate checks a write to /status; nil means metadata rules only.
	ValidateStatusUpdate func(obj, old api.Object) api.FieldErrors
	// PrepareForCreate resets what a client may not set on create (usually status).
	PrepareForCreate func(api.Object)
	// SetRequester, if set, records on a new object who created it (a CSR's
	// spec.username, uid, groups and extra), whatever the client sent.
	SetRequester func(obj api.Object, user *request.User)
	// PrepareForUpdate, if set, restores in obj what a write through sub ("",
	// "status" or a Writable subresource) may not change, from old. It runs
	// after the generic rules (status kept on the main resource, spec kept on
	// subresources).
	PrepareForUpdate func(sub string, obj, old api.Object)
	// TracksGeneration bumps metadata.generation whenever the spec changes.
	TracksGeneration bool
	// AllowCreateOnUpdate lets PUT create a missing object (leases, events, ...).
	AllowCreateOnUpdate bool
	// HasScale says there is a scale subresource.
	HasScale bool
	// Fields are the field selectors beyond metadata.name and metadata.namespace.
	Fields map[string]func(api.Object) string
	// Table renders `kubectl get` columns; nil means NAME and AGE.
	Table *Table
	// GracefulDelete, if set, says whether a delete only marks the object with a
	// deletionTimestamp (as for pods running on a node) and for how long.
	GracefulDelete func(obj api.Object, requested *int64) (seconds int64, graceful bool)
	// Virtual resources are computed, not stored: only create is served, and the
	// apiserver answers it (access reviews, token reviews).
	Virtual bool
	// Subresources lists extra subresources for discovery: name → kind (and
	// group/version when they differ from the resource's).
	Subresources []Subresource
}

// Subresource is a subresource beyond status and scale, for discovery.
type Subresource struct {
	Name, Kind, Group, Version string
	Verbs                      []string
	// Writable subresources are served like status (get, update, patch of
	// the whole object), validated by ValidateStatusUpdate and restricted by
	// PrepareForUpdate, e.g. a CSR's approval.
	Writable bool
}

// WritableSubresource reports whether name is a Writable subresource of r.
func (r *Resource) WritableSubresource(name string) bool {
	for _, s := range r.Subresources {
		if s.Name == name && s.Writable {
			return true
		}
	}
	return false
}

// GroupVersion returns "v1" or "apps/v1".
func (r *Resource) GroupVersion() string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

// GroupResource names the resource in error messages.
func (r *Resource) GroupResource() api.GroupResource {
	return api.GroupResource{Group: r.Group, Resource: r.Plural}
}

// Verbs lists what the resource supports, for discovery.
func (r *Resource) Verbs() []string {
	if r.Virtual {
		return []string{"create"}
	}
	return []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
}

// NewObject returns an empty object with its kind and apiVersion set.
func (r *Resource) NewObject() api.Object {
	obj := r.New()
	tm := obj.GetTypeMeta()
	tm.Kind, tm.APIVersion = r.Kind, r.GroupVersion()
	return obj
}

// Registry is the set of served resources.
type Registry struct {
	byKey map[key]*Resource
	all   []*Resource
}

type key struct{ group, version, plural string }

// New returns a registry of the given resources.
func New(resources ...*Resource) *Registry {
	reg := &Registry{byKey: map[key]*Resource{}}
	for _, r := range resources {
		reg.byKey[key{r.Group, r.Version, r.Plural}] = r
		reg.all = append(reg.all, r)
	}
	return reg
}

// Lookup finds a resource by group, version and plural name.
func (reg *Registry) Lookup(group, version, plural string) (*Resource, bool) {
	r, ok := reg.byKey[key{group, version, plural}]
	return r, ok
}

// All returns every resource in registration order.
func (reg *Registry) All() []*Resource { return reg.all }

// GroupVersions returns each API group with its versions, core group ("") first.
func (reg *Registry) GroupVersions() map[string][]string {
	out := map[string][]string{}
	for _, r := range reg.all {
		vs := out[r.Group]
		found := false
		for _, v := range vs {
			found = found || v == r.Version
		}
		if !found {
			out[r.Group] = append(vs, r.Version)
		}
	}
	for g := range out {
		sort.Strings(out[g])
	}
	return out
}

// typed adapts a function on a concrete kind to one on api.Object.
func typed[T api.Object](f func(T)) func(api.Object) {
	return func(o api.Object) { f(o.(T)) }
}

func typedValidate[T api.Object](f func(T) api.FieldErrors) func(api.Object) api.FieldErrors {
	return func(o api.Object) api.FieldErrors { return f(o.(T)) }
}

func typedValidateUpdate[T api.Object](f func(T, T) api.FieldErrors) func(api.Object, api.Object) api.FieldErrors {
	return func(o, old api.Object) api.FieldErrors { return f(o.(T), old.(T)) }
}

// CopyField sets field (e.g. "Status" or "Spec") of dst to src's value. Both must be
// the same kind. It reports false if the kind has no such field.
func CopyField(dst, src api.Object, field string) bool {
	d := reflect.ValueOf(dst).Elem().FieldByName(field)
	s := reflect.ValueOf(src).Elem().FieldByName(field)
	if !d.IsValid() || !s.IsValid() || !d.CanSet() {
		return false
	}
	d.Set(s)
	return true
}

// FieldValue returns field (e.g. "Spec") of obj, or nil if there is none.
func FieldValue(obj api.Object, field string) any {
	v := reflect.ValueOf(obj).Elem().FieldByName(field)
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}

// ResetStatus clears the status of a new object.
func ResetStatus(obj api.Object) {
	v := reflect.ValueOf(obj).Elem().FieldByName("Status")
	if v.IsValid() && v.CanSet() {
		v.Set(reflect.Zero(v.Type()))
	}
}

// NewLike returns a new zero object of the same kind as obj (a pointer to a struct).
func NewLike(obj api.Object) api.Object {
	return reflect.New(reflect.TypeOf(obj).Elem()).Interface().(api.Object)
}
