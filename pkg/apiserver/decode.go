package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"sigs.k8s.io/yaml"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/protobuf"
	"skiff/pkg/apiserver/registry"
)

// readBody reads a request body of at most MaxBodyBytes and returns it with its
// media type. allowed lists the content types the verb accepts; YAML is
// converted to JSON (and reported as JSON).
func readBody(r *http.Request, allowed ...string) ([]byte, string, error) {
	ct := r.Header.Get("Content-Type")
	mt := "application/json"
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, "", api.NewUnsupportedMediaType(fmt.Sprintf("the Content-Type %q could not be parsed", ct))
		}
	}
	ok := false
	for _, a := range allowed {
		ok = ok || a == mt
	}
	if !ok {
		return nil, "", api.NewUnsupportedMediaType(fmt.Sprintf("the body of the request was in an unknown format %q - accepted media types include: %s",
			mt, strings.Join(allowed, ", ")))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, "", api.NewBadRequest("could not read the request body: " + err.Error())
	}
	if len(data) > MaxBodyBytes {
		return nil, "", api.NewRequestEntityTooLarge(fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "", api.NewBadRequest("the request body is empty: send the object as JSON")
	}
	if mt == "application/yaml" {
		if data, err = yaml.YAMLToJSON(data); err != nil {
			return nil, "", api.NewBadRequest("the YAML body could not be parsed: " + err.Error())
		}
		mt = "application/json"
	}
	return data, mt, nil
}

// fieldValidation is the fieldValidation query parameter: what to do about unknown
// or duplicate fields in a body.
type fieldValidation string

const (
	validationIgnore fieldValidation = "Ignore"
	validationWarn   fieldValidation = "Warn"
	validationStrict fieldValidation = "Strict"
)

func parseFieldValidation(r *http.Request) (fieldValidation, error) {
	switch v := r.URL.Query().Get("fieldValidation"); v {
	case "", "Warn":
		return validationWarn, nil
	case "Ignore":
		return validationIgnore, nil
	case "Strict":
		return validationStrict, nil
	default:
		return "", api.NewBadRequest(fmt.Sprintf("fieldValidation parameter unsupported: %q; use Ignore, Warn or Strict", v))
	}
}

// objectTypes are the body types of create and update: JSON, YAML and the
// Kubernetes protobuf that client-go's typed clients (and kubectl's imperative
// commands) send.
var objectTypes = []string{"application/json", "application/yaml", protobuf.ContentType}

// decodeObject decodes a body (JSON, or protobuf when mediaType says so) into a
// new object of res's kind. It checks that kind and apiVersion, if given, match
// the endpoint, and applies the field validation mode to JSON: Strict rejects
// unknown and duplicate fields, Warn returns them as warnings.
func decodeObject(res *registry.Resource, data []byte, mediaType string, mode fieldValidation) (api.Object, []string, error) {
	return decodeInto(res.NewObject(), res.Kind, res.GroupVersion(), data, mediaType, mode)
}

// decodeInto is decodeObject for any target, such as a Scale or a Binding.
func decodeInto(obj api.Object, kind, groupVersion string, data []byte, mediaType string, mode fieldValidation) (api.Object, []string, error) {
	cannot := fmt.Sprintf("%s in version %q cannot be handled as a %s: ", kind, versionOf(groupVersion), kind)
	if mediaType == protobuf.ContentType {
		apiVersion, gotKind, err := protobuf.Decode(data, obj)
		if err != nil {
			return nil, nil, api.NewBadRequest(cannot + err.Error())
		}
		if err := checkTypeMeta(api.TypeMeta{Kind: gotKind, APIVersion: apiVersion}, kind, groupVersion); err != nil {
			return nil, nil, err
		}
		tm := obj.GetTypeMeta()
		tm.Kind, tm.APIVersion = kind, groupVersion
		return obj, nil, nil
	}
	var tm api.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, nil, api.NewBadRequest(fmt.Sprintf("the request body is not valid JSON: %v (at byte %d)", err, syn.Offset))
		}
		if !json.Valid(data) {
			return nil, nil, api.NewBadRequest("the request body is not valid JSON: " + err.Error())
		}
		return nil, nil, api.NewBadRequest(cannot + err.Error())
	}
	if err := checkTypeMeta(tm, kind, groupVersion); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, nil, api.NewBadRequest(cannot + err.Error())
	}
	var warnings []string
	if mode != validationIgnore {
		problems, err := checkFields(data, obj)
		if err != nil {
			return nil, nil, api.NewBadRequest(cannot + err.Error())
		}
		if len(problems) > 0 && mode == validationStrict {
			return nil, nil, api.NewBadRequest(cannot + "strict decoding error: " + strings.Join(problems, ", "))
		}
		warnings = problems
	}
	tmOut := obj.GetTypeMeta()
	tmOut.Kind, tmOut.APIVersion = kind, groupVersion
	return obj, warnings, nil
}

// checkTypeMeta checks that a body's kind and apiVersion, if set, are the
// endpoint's.
func checkTypeMeta(tm api.TypeMeta, kind, groupVersion string) error {
	if tm.APIVersion != "" && tm.APIVersion != groupVersion {
		return api.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", tm.APIVersion, groupVersion))
	}
	if tm.Kind != "" && tm.Kind != kind {
		return api.NewBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", tm.Kind, kind))
	}
	return nil
}

func versionOf(groupVersion string) string {
	if i := strings.LastIndex(groupVersion, "/"); i >= 0 {
		return groupVersion[i+1:]
	}
	return groupVersion
}

// addWarnings sends warnings as HTTP Warning headers, which kubectl prints, each
// once (a retried update may have collected one twice).
func addWarnings(w http.ResponseWriter, warnings []string) {
	seen := map[string]bool{}
	for _, msg := range warnings {
		if !seen[msg] {
			seen[msg] = true
			w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
		}
	}
}
