package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"skiff/pkg/api"
	"skiff/pkg/api/fields"
	"skiff/pkg/api/labels"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/storage"
)

func (c *call) get(w http.ResponseWriter, r *http.Request) {
	f, err := negotiate(r, true)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	obj, err := c.store.Get(r.Context(), c.key(c.info.Name))
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	if f == formatTable {
		writeObject(w, r, http.StatusOK, c.table([]api.Object{obj}, "", "", r))
		return
	}
	writeObject(w, r, http.StatusOK, obj)
}

// selection is what a list or watch selects, parsed from its query.
type selection struct {
	pred storage.Predicate
	// labels and fieldsEmpty let a list skip decoding: with no field selector,
	// only the labels of each stored object need reading.
	labels      labels.Selector
	fieldsEmpty bool
	// prefix narrows the storage range: a namespace, or one object's key when the
	// field selector names it (the predicate still drops keys that merely share
	// that prefix).
	prefix string
}

// parseSelection reads labelSelector and fieldSelector. Unknown fields are a 400,
// as in Kubernetes: "field label not supported: spec.foo".
func (c *call) parseSelection(r *http.Request) (*selection, error) {
	q := r.URL.Query()
	ls, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		return nil, api.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
	}
	fs, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err != nil {
		return nil, api.NewBadRequest(err.Error())
	}
	for _, req := range fs.Requirements() {
		if _, ok := c.fieldGetter(req.Field); !ok {
			return nil, api.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
		}
	}
	sel := &selection{labels: ls, fieldsEmpty: fs.Empty()}
	if c.res.Namespaced && c.info.Namespace != "" {
		sel.prefix = c.info.Namespace + "/"
	}
	if name, ok := fs.RequiresExactMatch("metadata.name"); ok && (!c.res.Namespaced || c.info.Namespace != "") {
		sel.prefix += name
	}
	if !ls.Empty() || !fs.Empty() {
		sel.pred = func(obj api.Object) bool {
			return ls.Matches(labels.Set(obj.GetObjectMeta().Labels)) && fs.Matches(objectFields{c, obj})
		}
	}
	return sel, nil
}

// fieldGetter returns how to read a selectable field of this resource.
func (c *call) fieldGetter(field string) (func(api.Object) string, bool) {
	switch field {
	case "metadata.name":
		return func(o api.Object) string { return o.GetObjectMeta().Name }, true
	case "metadata.namespace":
		return func(o api.Object) string { return o.GetObjectMeta().Namespace }, true
	}
	f, ok := c.res.Fields[field]
	return f, ok
}

// objectFields lets a field selector read an object's fields.
type objectFields struct {
	c   *call
	obj api.Object
}

func (f objectFields) Has(field string) bool { _, ok := f.c.fieldGetter(field); return ok }

func (f objectFields) Get(field string) string {
	if get, ok := f.c.fieldGetter(field); ok {
		return get(f.obj)
	}
	return ""
}

func (c *call) list(w http.ResponseWriter, r *http.Request) {
	f, err := negotiate(r, true)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	sel, err := c.parseSelection(r)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	q := r.URL.Query()
	opts := storage.ListOptions{Predicate: sel.pred, Continue: q.Get("continue"), ResourceVersion: q.Get("resourceVersion")}
	switch m := q.Get("resourceVersionMatch"); m {
	case "":
	case "Exact":
		opts.ExactRV = true
	case "NotOlderThan":
	default:
		c.s.writeError(w, r, api.NewBadRequest(fmt.Sprintf("invalid resourceVersionMatch %q: use Exact or NotOlderThan", m)), c.res)
		return
	}
	if l := q.Get("limit"); l != "" {
		if opts.Limit, err = strconv.ParseInt(l, 10, 64); err != nil || opts.Limit < 0 {
			c.s.writeError(w, r, api.NewBadRequest(fmt.Sprintf("limit %q must be a non-negative integer", l)), c.res)
			return
		}
	}
	if opts.Continue != "" && opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
		c.s.writeError(w, r, api.NewBadRequest("specifying resource version is not allowed when using continue"), c.res)
		return
	}
	if raw, ok := c.store.(storage.RawLister); ok && f == formatJSON && sel.fieldsEmpty {
		c.listRaw(w, r, raw, sel, opts)
		return
	}
	res, err := c.store.List(r.Context(), sel.prefix, opts)
	if err != nil {
		c.s.writeError(w, r, c.listError(err, opts), c.res)
		return
	}
	rv := strconv.FormatUint(res.ResourceVersion, 10)
	if f == formatTable {
		writeObject(w, r, http.StatusOK, c.table(res.Items, rv, res.Continue, r))
		return
	}
	items := res.Items
	if items == nil {
		items = []api.Object{}
	}
	writeObject(w, r, http.StatusOK, &api.List[api.Object]{
		TypeMeta: api.TypeMeta{Kind: c.res.Kind + "List", APIVersion: c.res.GroupVersion()},
		ListMeta: api.ListMeta{ResourceVersion: rv, Continue: res.Continue, RemainingItemCount: res.RemainingItemCount},
		Items:    items,
	})
}

// listRaw serves a plain JSON list from the stored JSON of each object, without
// decoding and re-encoding them: most lists (kubectl -o json, informers) take
// this path, and it is several times faster.
func (c *call) listRaw(w http.ResponseWriter, r *http.Request, raw storage.RawLister, sel *selection, opts storage.ListOptions) {
	var match func([]byte) bool
	if !sel.labels.Empty() {
		match = func(data []byte) bool {
			var obj struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
			}
			return json.Unmarshal(data, &obj) == nil && sel.labels.Matches(labels.Set(obj.Metadata.Labels))
		}
	}
	res, err := raw.ListRaw(r.Context(), sel.prefix, opts, match)
	if err != nil {
		c.s.writeError(w, r, c.listError(err, opts), c.res)
		return
	}
	meta, _ := json.Marshal(api.ListMeta{ResourceVersion: strconv.FormatUint(res.ResourceVersion, 10),
		Continue: res.Continue, RemainingItemCount: res.RemainingItemCount})
	size := 128 + len(meta)
	for _, item := range res.Items {
		size += len(item) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	fmt.Fprintf(buf, `{"kind":%q,"apiVersion":%q,"metadata":`, c.res.Kind+"List", c.res.GroupVersion())
	buf.Write(meta)
	buf.WriteString(`,"items":[`)
	for i, item := range res.Items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(item)
	}
	buf.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// listError explains an expired continue token as Kubernetes does.
func (c *call) listError(err error, opts storage.ListOptions) error {
	if opts.Continue != "" && api.IsGone(c.s.toStatus(err, c.res, "")) {
		return api.NewGone("The provided continue parameter is too old to display a consistent list result. " +
			"You can start a new list without the continue parameter.")
	}
	return err
}

// table renders objects as a meta.k8s.io/v1 Table. includeObject=None drops the
// per-row metadata kubectl uses for labels and namespaces.
func (c *call) table(objs []api.Object, rv, cont string, r *http.Request) *api.Table {
	t := c.res.Table
	if t == nil {
		t = registry.DefaultTable
	}
	include := r.URL.Query().Get("includeObject")
	now := now()
	out := &api.Table{
		TypeMeta:          api.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"},
		ListMeta:          api.ListMeta{ResourceVersion: rv, Continue: cont},
		ColumnDefinitions: t.Columns,
		Rows:              make([]api.TableRow, 0, len(objs)),
	}
	for _, obj := range objs {
		row := api.TableRow{Cells: t.Row(obj, now)}
		switch include {
		case "None":
		case "Object":
			row.Object = obj
		default:
			row.Object = &api.PartialObjectMetadata{
				TypeMeta:   api.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"},
				ObjectMeta: *obj.GetObjectMeta(),
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}
