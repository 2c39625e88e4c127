package apiserver

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/apiserver/request"
	"skiff/pkg/storage"
)

// call is one resource request on its way through the handlers.
type call struct {
	s     *Server
	res   *registry.Resource
	store storage.Interface
	info  *request.Info
	user  *request.User
	// warnings from admission, sent to the client as Warning headers.
	warnings []string
}

// key is the storage key of the named object.
func (c *call) key(name string) string {
	if c.res.Namespaced {
		return c.info.Namespace + "/" + name
	}
	return name
}

// serveResource dispatches a request under /api/ or /apis/ to the handler of its
// resource and verb.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request) {
	info, _ := request.InfoFrom(r.Context())
	user, _ := request.UserFrom(r.Context())
	res, ok := s.registry.Lookup(info.APIGroup, info.APIVersion, info.Resource)
	if !info.IsResourceRequest || !ok {
		s.writeError(w, r, api.NewNotFound(api.GroupResource{}, ""), nil)
		return
	}
	c := &call{s: s, res: res, store: s.stores[res], info: info, user: user}
	if !res.Namespaced && info.Namespace != "" && res.Plural != "namespaces" {
		s.writeError(w, r, api.NewNotFound(res.GroupResource(), ""), nil)
		return
	}
	if res.Namespaced && info.Namespace == "" && info.Verb != "list" && info.Verb != "watch" {
		s.writeError(w, r, api.NewMethodNotAllowed(fmt.Sprintf(
			"%s is a namespaced resource: use /namespaces/{namespace}/%s to %s it", res.Plural, res.Plural, info.Verb)), res)
		return
	}

	switch sub := info.Subresource; {
	case res.Virtual && sub == "":
		c.serveReview(w, r)
	case sub == "":
		c.serveMain(w, r)
	case sub == "token" && res.Plural == "serviceaccounts":
		c.requestToken(w, r)
	case sub == "status" && res.HasStatus, res.WritableSubresource(sub):
		c.serveStatus(w, r, sub)
	case sub == "finalize" && res.Group == "" && res.Plural == "namespaces":
		c.serveFinalize(w, r)
	case sub == "scale" && res.HasScale:
		c.serveScale(w, r)
	case sub == "log" && res.Group == "" && res.Plural == "pods":
		c.serveLog(w, r)
	case sub == "exec" && res.Group == "" && res.Plural == "pods":
		c.serveExec(w, r)
	case sub == "binding" && res.Plural == "pods":
		if r.Method != http.MethodPost {
			s.writeError(w, r, methodNotAllowed(r, "pods/binding"), res)
			return
		}
		c.bind(w, r)
	default:
		s.writeError(w, r, api.NewNotFound(api.GroupResource{Group: res.Group, Resource: res.Plural + "/" + sub}, info.Name), nil)
	}
}

func (c *call) serveMain(w http.ResponseWriter, r *http.Request) {
	switch c.info.Verb {
	case "get":
		c.get(w, r)
	case "list":
		c.list(w, r)
	case "watch":
		c.watch(w, r)
	case "create":
		if c.info.Name != "" {
			c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural), c.res)
			return
		}
		c.create(w, r)
	case "update":
		if c.info.Name == "" {
			c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural), c.res)
			return
		}
		c.update(w, r, "")
	case "patch":
		if c.info.Name == "" {
			c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural), c.res)
			return
		}
		c.patch(w, r, "")
	case "delete":
		c.delete(w, r)
	case "deletecollection":
		c.deleteCollection(w, r)
	default:
		c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural), c.res)
	}
}

// serveStatus serves status and the subresources written like it (a CSR's
// approval): get reads the object, update and patch change only that part.
func (c *call) serveStatus(w http.ResponseWriter, r *http.Request, sub string) {
	switch c.info.Verb {
	case "get":
		c.get(w, r)
	case "update":
		c.update(w, r, sub)
	case "patch":
		c.patch(w, r, sub)
	default:
		c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural+"/"+sub), c.res)
	}
}

func methodNotAllowed(r *http.Request, what string) *api.StatusError {
	return api.NewMethodNotAllowed(fmt.Sprintf("the server does not allow this method on the requested resource: %s on %s", r.Method, what))
}

// prepareCreate sets the fields the server owns on a new object.
func (s *Server) prepareCreate(res *registry.Resource, obj api.Object) {
	m := obj.GetObjectMeta()
	m.UID = newUID()
	m.CreationTimestamp = api.Now()
	m.Generation = 0
	if res.TracksGeneration {
		m.Generation = 1
	}
	m.DeletionTimestamp = nil
	m.DeletionGracePeriodSeconds = nil
	m.SelfLink = ""
	tm := obj.GetTypeMeta()
	tm.Kind, tm.APIVersion = res.Kind, res.GroupVersion()
	if res.PrepareForCreate != nil {
		res.PrepareForCreate(obj)
	}
}

// newUID returns a random (version 4) UUID.
func newUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// dryRun reads the dryRun parameter: only "All" is valid.
func dryRun(r *http.Request) (bool, error) {
	vals := r.URL.Query()["dryRun"]
	for _, v := range vals {
		if v != "All" {
			return false, api.NewBadRequest(fmt.Sprintf("Invalid dryRun value %q: the only supported value is \"All\"", v))
		}
	}
	return len(vals) > 0, nil
}

// now is the server's clock, in one place.
func now() time.Time { return time.Now() }
