package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Status is the body of every error response, and of some successful deletes.
type Status struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Status   string         `json:"status,omitempty"`
	Message  string         `json:"message,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Details  *StatusDetails `json:"details,omitempty"`
	Code     int32          `json:"code,omitempty"`
}

// StatusDetails names the object an error is about and, for invalid objects, the
// offending fields.
type StatusDetails struct {
	Name              string        `json:"name,omitempty"`
	Group             string        `json:"group,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	UID               string        `json:"uid,omitempty"`
	Causes            []StatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int32         `json:"retryAfterSeconds,omitempty"`
}

// StatusCause is one reason an object was rejected, usually one field.
type StatusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Status values and the reasons Kubernetes clients switch on.
const (
	StatusSuccess = "Success"
	StatusFailure = "Failure"

	ReasonBadRequest            = "BadRequest"
	ReasonUnauthorized          = "Unauthorized"
	ReasonForbidden             = "Forbidden"
	ReasonNotFound              = "NotFound"
	ReasonMethodNotAllowed      = "MethodNotAllowed"
	ReasonAlreadyExists         = "AlreadyExists"
	ReasonConflict              = "Conflict"
	ReasonGone                  = "Gone"
	ReasonExpired               = "Expired"
	ReasonRequestEntityTooLarge = "RequestEntityTooLarge"
	ReasonUnsupportedMediaType  = "UnsupportedMediaType"
	ReasonNotAcceptable         = "NotAcceptable"
	ReasonInvalid               = "Invalid"
	ReasonTimeout               = "Timeout"
	ReasonTooManyRequests       = "TooManyRequests"
	ReasonInternalError         = "InternalError"
	ReasonServiceUnavailable    = "ServiceUnavailable"
)

// StatusError is the one error type of the API: a Status that can travel as a Go
// error inside the server and the client alike.
type StatusError struct {
	ErrStatus Status
}

func (e *StatusError) Error() string { return e.ErrStatus.Message }

// Code returns the HTTP status code of the error.
func (e *StatusError) Code() int { return int(e.ErrStatus.Code) }

func newStatusError(code int, reason, message string, details *StatusDetails) *StatusError {
	return &StatusError{Status{
		TypeMeta: TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   StatusFailure,
		Message:  message,
		Reason:   reason,
		Details:  details,
		Code:     int32(code),
	}}
}

// GroupResource names a resource for error messages: "pods" or "deployments.apps".
type GroupResource struct {
	Group    string
	Resource string
}

func (gr GroupResource) String() string {
	if gr.Group == "" {
		return gr.Resource
	}
	return gr.Resource + "." + gr.Group
}

// NewNotFound says the named object does not exist.
func NewNotFound(gr GroupResource, name string) *StatusError {
	msg := fmt.Sprintf("%s %q not found", gr, name)
	if name == "" {
		msg = fmt.Sprintf("%s not found", gr)
	}
	return newStatusError(http.StatusNotFound, ReasonNotFound, msg,
		&StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewAlreadyExists says an object with that name exists already.
func NewAlreadyExists(gr GroupResource, name string) *StatusError {
	return newStatusError(http.StatusConflict, ReasonAlreadyExists,
		fmt.Sprintf("%s %q already exists", gr, name),
		&StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewConflict says a write lost a race, usually on a stale resourceVersion.
func NewConflict(gr GroupResource, name, why string) *StatusError {
	return newStatusError(http.StatusConflict, ReasonConflict,
		fmt.Sprintf("Operation cannot be fulfilled on %s %q: %s", gr, name, why),
		&StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewInvalid says an object failed validation, one cause per field.
func NewInvalid(kind, name string, errs FieldErrors) *StatusError {
	causes := make([]StatusCause, 0, len(errs))
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		causes = append(causes, StatusCause{Type: string(e.Type), Message: e.ErrorBody(), Field: e.Field})
		msgs = append(msgs, e.Error())
	}
	msg := fmt.Sprintf("%s %q is invalid: %s", kind, name, joinErrors(msgs))
	return newStatusError(http.StatusUnprocessableEntity, ReasonInvalid, msg,
		&StatusDetails{Name: name, Kind: kind, Causes: causes})
}

func joinErrors(msgs []string) string {
	if len(msgs) == 1 {
		return msgs[0]
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// NewBadRequest says the request itself is malformed.
func NewBadRequest(msg string) *StatusError {
	return newStatusError(http.StatusBadRequest, ReasonBadRequest, msg, nil)
}

// NewUnauthorized says the request carries no valid credentials.
func NewUnauthorized(msg string) *StatusError {
	return newStatusError(http.StatusUnauthorized, ReasonUnauthorized, msg, nil)
}

// NewForbidden says the user may not do what the request asks.
func NewForbidden(gr GroupResource, name, msg string) *StatusError {
	return newStatusError(http.StatusForbidden, ReasonForbidden, msg,
		&StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewMethodNotAllowed says the verb is not supported on that path.
func NewMethodNotAllowed(msg string) *StatusError {
	return newStatusError(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, msg, nil)
}

// NewGone says a resourceVersion or continue token is too old to serve.
func NewGone(msg string) *StatusError {
	return newStatusError(http.StatusGone, ReasonExpired, msg, nil)
}

// NewRequestEntityTooLarge says the body is over the size limit.
func NewRequestEntityTooLarge(msg string) *StatusError {
	return newStatusError(http.StatusRequestEntityTooLarge, ReasonRequestEntityTooLarge, msg, nil)
}

// NewUnsupportedMediaType says the server cannot read the body's content type.
func NewUnsupportedMediaType(msg string) *StatusError {
	return newStatusError(http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType, msg, nil)
}

// NewNotAcceptable says the server cannot answer in any type the client accepts.
func NewNotAcceptable(msg string) *StatusError {
	return newStatusError(http.StatusNotAcceptable, ReasonNotAcceptable, msg, nil)
}

// NewTimeout says the server gave up waiting.
func NewTimeout(msg string) *StatusError {
	return newStatusError(http.StatusGatewayTimeout, ReasonTimeout, msg, nil)
}

// NewServiceUnavailable says the server cannot serve now but may later.
func NewServiceUnavailable(msg string) *StatusError {
	return newStatusError(http.StatusServiceUnavailable, ReasonServiceUnavailable, msg, nil)
}

// NewInternalError hides an internal failure behind a generic message; the caller
// logs the real error.
func NewInternalError() *StatusError {
	return newStatusError(http.StatusInternalServerError, ReasonInternalError,
		"Internal error occurred: the server could not complete the request; see the server log", nil)
}

// NewGenericError builds a Status for any code and reason, for example one decoded
// from a server that answered without a Status body.
func NewGenericError(code int, reason, msg string) *StatusError {
	return newStatusError(code, reason, msg, nil)
}

// ReasonOf returns the Status reason of err, or "" if err is not a StatusError.
func ReasonOf(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return se.ErrStatus.Reason
	}
	return ""
}

// CodeOf returns the HTTP code of err, or 0 if err is not a StatusError.
func CodeOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return int(se.ErrStatus.Code)
	}
	return 0
}

// IsNotFound reports whether err says an object does not exist.
func IsNotFound(err error) bool { return ReasonOf(err) == ReasonNotFound }

// IsAlreadyExists reports whether err says an object exists already.
func IsAlreadyExists(err error) bool { return ReasonOf(err) == ReasonAlreadyExists }

// IsConflict reports whether err is a write conflict (409 Conflict).
func IsConflict(err error) bool { return ReasonOf(err) == ReasonConflict }

// IsInvalid reports whether err is a validation failure (422).
func IsInvalid(err error) bool { return ReasonOf(err) == ReasonInvalid }

// IsGone reports whether err says a resourceVersion is too old (410).
func IsGone(err error) bool { return CodeOf(err) == http.StatusGone }

// IsForbidden reports whether err is a 403.
func IsForbidden(err error) bool { return ReasonOf(err) == ReasonForbidden }
