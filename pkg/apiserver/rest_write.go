package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/patch"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/storage"
)

// admit runs admission around the built-in rules: mutating plugins, then the
// kind's defaulting, then the kind's validation, then validating plugins.
func (c *call) admit(ctx context.Context, op admission.Operation, obj, old api.Object, sub string, dry bool) error {
	m := obj.GetObjectMeta()
	attrs := &admission.Attributes{
		Operation: op, Kind: c.res.Kind, Group: c.res.Group, Version: c.res.Version,
		Resource: c.res.Plural, Subresource: sub, Namespace: m.Namespace, Name: m.Name,
		Object: obj, OldObject: old, User: c.user, DryRun: dry,
	}
	if err := c.s.admission.Admit(ctx, attrs); err != nil {
		return err
	}
	c.res.Defaults(obj)
	var errs api.FieldErrors
	switch {
	case op == admission.Create:
		errs = c.res.Validate(obj)
	case c.statusLike(sub) && c.res.ValidateStatusUpdate != nil:
		errs = c.res.ValidateStatusUpdate(obj, old)
	case c.statusLike(sub):
		errs = api.ValidateObjectMetaUpdate(m, old.GetObjectMeta())
	case c.res.ValidateUpdate != nil:
		errs = c.res.ValidateUpdate(obj, old)
	default:
		errs = append(api.ValidateObjectMetaUpdate(m, old.GetObjectMeta()), c.res.Validate(obj)...)
	}
	if op == admission.Update {
		errs = append(errs, validateFinalizersWhileDeleting(m, old.GetObjectMeta())...)
	}
	if len(errs) > 0 {
		return api.NewInvalid(c.res.Kind, m.Name, errs)
	}
	if err := c.checkEscalation(ctx, obj); err != nil {
		return err
	}
	if err := c.s.admission.Validate(ctx, attrs); err != nil {
		return err
	}
	c.warnings = append(c.warnings, attrs.Warnings...)
	return nil
}

// statusLike reports a write through status or a subresource written like it
// (a CSR's approval): the spec stays as stored.
func (c *call) statusLike(sub string) bool {
	return sub == "status" || c.res.WritableSubresource(sub)
}

// validateFinalizersWhileDeleting forbids adding finalizers to an object that is
// being deleted: they could keep it forever.
func validateFinalizersWhileDeleting(m, old *api.ObjectMeta) api.FieldErrors {
	if old.DeletionTimestamp == nil {
		return nil
	}
	had := map[string]bool{}
	for _, f := range old.Finalizers {
		had[f] = true
	}
	for i, f := range m.Finalizers {
		if !had[f] {
			return api.FieldErrors{api.Forbidden(api.NewPath("metadata", "finalizers").Index(i), "no new finalizers can be added if the object is being deleted")}
		}
	}
	return nil
}

func (c *call) create(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	wr, err := readWrite(r, false)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry := wr.dryRun
	obj, warnings, err := decodeObject(c.res, wr.body, wr.mediaType, wr.mode)
	if err == nil {
		err = c.checkNamespace(obj.GetObjectMeta())
	}
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	m := obj.GetObjectMeta()
	if m.ResourceVersion != "" {
		c.s.writeError(w, r, api.NewBadRequest("resourceVersion should not be set on objects to be created"), c.res)
		return
	}
	generated := m.Name == "" && m.GenerateName != ""
	if generated {
		m.Name = m.GenerateName + api.NameSuffix()
	}
	c.s.prepareCreate(c.res, obj)
	if c.res.SetRequester != nil {
		c.res.SetRequester(obj, c.user)
	}
	if err := c.admit(ctx, admission.Create, obj, nil, "", dry); err != nil {
		c.s.writeError(w, r, err, c.res, m.Name)
		return
	}
	if !dry {
		// A generated name may collide; try a few more suffixes as Kubernetes does.
		for attempt := 0; ; attempt++ {
			err = c.store.Create(ctx, c.key(m.Name), obj)
			if !generated || !errors.Is(err, storage.ErrAlreadyExists) || attempt == 7 {
				break
			}
			m.Name = m.GenerateName + api.NameSuffix()
		}
		if err != nil {
			c.s.writeError(w, r, err, c.res, m.Name)
			return
		}
		if c.res.Plural == "namespaces" {
			if err := c.s.populateNamespace(ctx, m.Name); err != nil {
				c.s.log.Warn("could not create the namespace's default objects", "namespace", m.Name, "err", err)
			}
		}
	}
	addWarnings(w, append(warnings, c.warnings...))
	writeObject(w, r, http.StatusCreated, obj)
}

// checkNamespace fills in or checks the namespace of a body against the path.
func (c *call) checkNamespace(m *api.ObjectMeta) error {
	if !c.res.Namespaced {
		if c.res.Plural != "namespaces" && m.Namespace != "" {
			return api.NewBadRequest(fmt.Sprintf("%s is not namespaced: remove metadata.namespace (%q)", c.res.Plural, m.Namespace))
		}
		return nil
	}
	if m.Namespace == "" {
		m.Namespace = c.info.Namespace
	}
	if m.Namespace != c.info.Namespace {
		return api.NewBadRequest(fmt.Sprintf("the namespace of the provided object (%s) does not match the namespace sent on the request (%s)", m.Namespace, c.info.Namespace))
	}
	return nil
}

// checkName checks that a body names the object of the URL.
func (c *call) checkName(m *api.ObjectMeta) error {
	if m.Name == "" {
		m.Name = c.info.Name
	}
	if m.Name != c.info.Name {
		return api.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.Name, c.info.Name))
	}
	return nil
}

func (c *call) update(w http.ResponseWriter, r *http.Request, sub string) {
	ctx := r.Context()
	wr, err := readWrite(r, false)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry := wr.dryRun
	obj, warnings, err := decodeObject(c.res, wr.body, wr.mediaType, wr.mode)
	if err == nil {
		err = c.checkNamespace(obj.GetObjectMeta())
	}
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	m := obj.GetObjectMeta()
	if err := c.checkName(m); err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	out, err := c.guaranteedUpdate(ctx, dry, func(cur api.Object) (api.Object, error) {
		return c.updateFrom(ctx, api.DeepCopy(obj), cur, sub, dry)
	})
	if errors.Is(err, storage.ErrNotFound) && c.res.AllowCreateOnUpdate && sub == "" && m.ResourceVersion == "" {
		// Some kinds (leases, events, endpoints) may be created by PUT.
		c.s.prepareCreate(c.res, obj)
		if err = c.admit(ctx, admission.Create, obj, nil, "", dry); err == nil && !dry {
			err = c.store.Create(ctx, c.key(m.Name), obj)
		}
		if err == nil {
			addWarnings(w, append(warnings, c.warnings...))
			writeObject(w, r, http.StatusCreated, obj)
			return
		}
	}
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	out = c.deleteIfFinalized(ctx, out, dry)
	addWarnings(w, append(warnings, c.warnings...))
	writeObject(w, r, http.StatusOK, out)
}

// guaranteedUpdate runs tryUpdate against the stored object and writes the result,
// or, for a dry run, only computes it.
func (c *call) guaranteedUpdate(ctx context.Context, dry bool, tryUpdate storage.UpdateFunc) (api.Object, error) {
	key := c.key(c.info.Name)
	if dry {
		cur, err := c.store.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		return tryUpdate(cur)
	}
	return c.store.GuaranteedUpdate(ctx, key, nil, tryUpdate)
}

// updateFrom computes the new state from the client's object and the stored one:
// the server keeps the fields it owns, the status (or, for /status, the spec), and
// bumps the generation when the spec changes.
func (c *call) updateFrom(ctx context.Context, obj, cur api.Object, sub string, dry bool) (api.Object, error) {
	m, cm := obj.GetObjectMeta(), cur.GetObjectMeta()
	if m.ResourceVersion != "" && m.ResourceVersion != cm.ResourceVersion {
		return nil, api.NewConflict(c.res.GroupResource(), m.Name, "the object has been modified; please apply your changes to the latest version and try again")
	}
	m.ResourceVersion = cm.ResourceVersion
	if m.UID == "" {
		m.UID = cm.UID
	}
	m.CreationTimestamp = cm.CreationTimestamp
	m.Generation = cm.Generation
	m.DeletionTimestamp = cm.DeletionTimestamp
	m.DeletionGracePeriodSeconds = cm.DeletionGracePeriodSeconds
	switch {
	case c.statusLike(sub):
		registry.CopyField(obj, cur, "Spec")
	case c.res.HasStatus:
		registry.CopyField(obj, cur, "Status")
	}
	if c.res.PrepareForUpdate != nil {
		c.res.PrepareForUpdate(sub, obj, cur)
	}
	if _, ok := obj.(*api.Namespace); ok && sub == "" {
		registry.CopyField(obj, cur, "Spec") // spec.finalizers change only through /finalize
	}
	if err := c.admit(ctx, admission.Update, obj, cur, sub, dry); err != nil {
		return nil, err
	}
	if c.res.TracksGeneration && sub == "" && !jsonEqual(registry.FieldValue(obj, "Spec"), registry.FieldValue(cur, "Spec")) {
		m.Generation++
	}
	return obj, nil
}

func jsonEqual(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ab) == string(bb)
}

// deleteIfFinalized removes an object whose deletion was waiting only for
// finalizers, once an update has removed the last one.
func (c *call) deleteIfFinalized(ctx context.Context, obj api.Object, dry bool) api.Object {
	m := obj.GetObjectMeta()
	if dry || m.DeletionTimestamp == nil || len(m.Finalizers) > 0 || m.DeletionGracePeriodSeconds == nil || *m.DeletionGracePeriodSeconds != 0 || specFinalizersPending(obj) {
		return obj
	}
	_, err := c.store.Delete(ctx, c.key(m.Name), &storage.Preconditions{ResourceVersion: m.ResourceVersion}, nil)
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrConflict) {
		c.s.log.Warn("could not delete finalized object", "resource", c.res.Plural, "name", m.Name, "err", err)
	}
	return obj
}

// patchTypes are the patch content types the server applies.
var patchTypes = []string{patch.JSONPatch, patch.MergePatch, patch.StrategicMerge}

func (c *call) patch(w http.ResponseWriter, r *http.Request, sub string) {
	ctx := r.Context()
	if ct := r.Header.Get("Content-Type"); ct == "application/apply-patch+yaml" || ct == "application/apply-patch+cbor" {
		c.s.writeError(w, r, api.NewUnsupportedMediaType("server-side apply is not supported by Skiff: use client-side `kubectl apply` (without --server-side)"), c.res)
		return
	}
	wr, err := readWrite(r, true)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry, mode, data, pt := wr.dryRun, wr.mode, wr.body, wr.mediaType
	var warnings []string
	schema := patch.SchemaFor(reflect.TypeOf(c.res.New()))
	out, err := c.guaranteedUpdate(ctx, dry, func(cur api.Object) (api.Object, error) {
		patched, err := applyPatch(pt, cur, data, schema)
		if err != nil {
			return nil, err
		}
		obj, warns, err := decodeObject(c.res, patched, "application/json", mode)
		if err != nil {
			return nil, err
		}
		warnings = warns
		return c.updateFrom(ctx, obj, cur, sub, dry)
	})
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	out = c.deleteIfFinalized(ctx, out, dry)
	addWarnings(w, append(warnings, c.warnings...))
	writeObject(w, r, http.StatusOK, out)
}

// writeRequest is what every write reads from its query and body.
type writeRequest struct {
	dryRun    bool
	mode      fieldValidation
	body      []byte
	mediaType string // of the object, or the patch type for patches
}

// readWrite reads the dryRun and fieldValidation parameters and the body of a
// write; isPatch says the body is a patch.
func readWrite(r *http.Request, isPatch bool) (*writeRequest, error) {
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	mode, err := parseFieldValidation(r)
	if err != nil {
		return nil, err
	}
	wr := &writeRequest{dryRun: dry, mode: mode}
	if isPatch {
		wr.body, wr.mediaType, err = readPatch(r)
	} else {
		wr.body, wr.mediaType, err = readBody(r, objectTypes...)
	}
	if err != nil {
		return nil, err
	}
	return wr, nil
}

// readPatch reads a PATCH body of one of the patch types and checks that it is
// JSON at all, so that a malformed patch is a 400 and not a 422.
func readPatch(r *http.Request) ([]byte, string, error) {
	data, pt, err := readBody(r, patchTypes...)
	if err != nil {
		return nil, "", err
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, "", api.NewBadRequest(fmt.Sprintf("the patch is not valid JSON: %v", err))
	}
	return data, pt, nil
}

// applyPatch applies a patch to the JSON form of cur. A malformed patch is a 400;
// one that does not apply to this object is a 422.
func applyPatch(pt string, cur any, data []byte, schema patch.Schema) ([]byte, error) {
	curJSON, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	patched, err := patch.Apply(pt, curJSON, data, schema)
	switch {
	case errors.Is(err, patch.ErrUnsupportedType):
		return nil, api.NewUnsupportedMediaType(err.Error())
	case errors.Is(err, patch.ErrInvalidPatch):
		return nil, api.NewGenericError(http.StatusUnprocessableEntity, api.ReasonInvalid, err.Error())
	case err != nil:
		return nil, api.NewBadRequest(err.Error())
	}
	return patched, nil
}
