package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"sigs.k8s.io/yaml"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/registry"
	"skiff/pkg/storage"
)

// format is the representation a client asked for in its Accept header.
type format int

const (
	formatJSON format = iota
	formatYAML
	formatTable
)

// negotiate picks the response format. Tables are offered only where allowed
// (get, list and watch).
func negotiate(r *http.Request, allowTable bool) (format, error) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return formatJSON, nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			switch params["as"] {
			case "":
				return formatJSON, nil
			case "Table":
				if allowTable && params["g"] == "meta.k8s.io" && (params["v"] == "v1" || params["v"] == "v1beta1") {
					return formatTable, nil
				}
			}
		case "application/yaml":
			if params["as"] == "" {
				return formatYAML, nil
			}
		case "*/*", "application/*":
			return formatJSON, nil
		}
	}
	return formatJSON, api.NewNotAcceptable(fmt.Sprintf("only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io (asked for %q)", accept))
}

// writeObject writes obj with code in the negotiated format (JSON or YAML).
func writeObject(w http.ResponseWriter, r *http.Request, code int, obj any) {
	f, err := negotiate(r, true)
	if err != nil {
		f = formatJSON
	}
	data, err := json.Marshal(obj)
	if err != nil {
		// Only a programming error gets here: every API type marshals.
		http.Error(w, "internal error encoding the response", http.StatusInternalServerError)
		return
	}
	contentType := "application/json"
	if f == formatYAML {
		if y, err := yaml.JSONToYAML(data); err == nil {
			data, contentType = y, "application/yaml"
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

// writeStatus writes an API error as a Status object.
func writeStatus(w http.ResponseWriter, r *http.Request, se *api.StatusError) {
	writeObject(w, r, int(se.ErrStatus.Code), se.ErrStatus)
}

// writeError translates err into a Status (logging internal errors, which are
// shown to the client only as a generic message) and writes it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error, res *registry.Resource, name ...string) {
	n := ""
	if len(name) > 0 {
		n = name[0]
	}
	se := s.toStatus(err, res, n)
	if se.ErrStatus.Code == http.StatusInternalServerError {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeStatus(w, r, se)
}

// toStatus is the one place where storage and other errors become API errors.
func (s *Server) toStatus(err error, res *registry.Resource, name string) *api.StatusError {
	var se *api.StatusError
	if errors.As(err, &se) {
		return se
	}
	gr := api.GroupResource{}
	if res != nil {
		gr = res.GroupResource()
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return api.NewNotFound(gr, name)
	case errors.Is(err, storage.ErrAlreadyExists):
		return api.NewAlreadyExists(gr, name)
	case errors.Is(err, storage.ErrConflict):
		msg := strings.TrimPrefix(err.Error(), storage.ErrConflict.Error()+": ")
		return api.NewConflict(gr, name, "Precondition failed: "+msg)
	case errors.Is(err, storage.ErrCompacted):
		return api.NewGone("too old resource version: the requested resourceVersion has been compacted; list again to get a current resourceVersion")
	case errors.Is(err, storage.ErrInvalidContinue):
		return api.NewBadRequest("the provided continue parameter is not valid: " + err.Error())
	case errors.Is(err, storage.ErrInvalidResourceVersion):
		return api.NewBadRequest(err.Error() + ": resourceVersion must be a number")
	case errors.Is(err, storage.ErrTooLargeResourceVersion):
		return api.NewTimeout("Too large resource version: the requested resourceVersion is newer than the server has")
	case errors.Is(err, context.DeadlineExceeded):
		return api.NewTimeout("the request did not complete in time")
	case errors.Is(err, context.Canceled):
		return api.NewTimeout("the request was cancelled")
	}
	return api.NewInternalError()
}
