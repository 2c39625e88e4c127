// Package patch applies the three PATCH formats kubectl and client-go send: JSON Patch
// (RFC 6902), JSON Merge Patch (RFC 7386) and Kubernetes strategic merge patch. It works
// on JSON bytes in, JSON bytes out, and needs to know nothing about the object's Go type
// except the list merge rules a Schema describes.
package patch

import (
	"errors"
	"fmt"
	"strings"
)

// Content types of the patch formats Apply understands, as sent in the PATCH request's
// Content-Type header.
const (
	JSONPatch      = "application/json-patch+json"
	MergePatch     = "application/merge-patch+json"
	StrategicMerge = "application/strategic-merge-patch+json"
)

var (
	// ErrInvalidPatch is matched by every error that is the client's fault: a patch that
	// is not valid JSON, an unknown operation or directive, a failed JSON Patch "test",
	// or a path that does not exist.
	ErrInvalidPatch = errors.New("patch: invalid patch")

	// ErrUnsupportedType is returned by Apply for a content type it does not know.
	ErrUnsupportedType = errors.New("patch: unsupported content type")
)

// Error says why a patch was rejected, in words fit to show the client. It matches
// ErrInvalidPatch under errors.Is.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidPatch) true.
func (e *Error) Unwrap() error { return ErrInvalidPatch }

// invalidf returns an *Error with a formatted reason.
func invalidf(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Apply applies patch, whose format is given by contentType, to the JSON document
// original and returns the new document. Media type parameters such as
// "; charset=utf-8" are ignored. The schema is used only by strategic merge patch.
//
// Errors wrap ErrInvalidPatch when the patch is at fault and ErrUnsupportedType for an
// unknown content type; any other error means original is not a valid document.
// original and patch are never modified.
func Apply(contentType string, original, patch []byte, schema Schema) ([]byte, error) {
	mediaType, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(mediaType)) {
	case JSONPatch:
		return ApplyJSONPatch(original, patch)
	case MergePatch:
		return ApplyMergePatch(original, patch)
	case StrategicMerge:
		return ApplyStrategicMergePatch(original, patch, schema)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnsupportedType, contentType)
	}
}
