package api

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldErrorType is the kind of a validation failure, named as Kubernetes names them
// in StatusCause.reason.
type FieldErrorType string

// Field error types.
const (
	FieldValueRequired     FieldErrorType = "FieldValueRequired"
	FieldValueInvalid      FieldErrorType = "FieldValueInvalid"
	FieldValueDuplicate    FieldErrorType = "FieldValueDuplicate"
	FieldValueNotSupported FieldErrorType = "FieldValueNotSupported"
	FieldValueForbidden    FieldErrorType = "FieldValueForbidden"
	FieldValueTooLong      FieldErrorType = "FieldValueTooLong"
)

// FieldError says what is wrong with one field of an object.
type FieldError struct {
	Type     FieldErrorType
	Field    string
	BadValue any
	Detail   string
}

// Error formats the error as Kubernetes does: `spec.replicas: Invalid value: -1: must be ...`.
func (e *FieldError) Error() string { return e.Field + ": " + e.ErrorBody() }

// ErrorBody is the message without the field path.
func (e *FieldError) ErrorBody() string {
	var s string
	switch e.Type {
	case FieldValueRequired:
		s = "Required value"
	case FieldValueForbidden:
		s = "Forbidden"
	case FieldValueTooLong:
		s = "Too long"
	case FieldValueDuplicate:
		s = fmt.Sprintf("Duplicate value: %s", quoteValue(e.BadValue))
	case FieldValueNotSupported:
		s = fmt.Sprintf("Unsupported value: %s", quoteValue(e.BadValue))
	default:
		s = fmt.Sprintf("Invalid value: %s", quoteValue(e.BadValue))
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func quoteValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case *string:
		if v == nil {
			return "null"
		}
		return strconv.Quote(*v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", v)
}

// FieldErrors is a list of validation failures; empty means valid.
type FieldErrors []*FieldError

// Path builds field paths like "spec.containers[0].image".
type Path struct {
	parent *Path
	name   string
	index  string
}

// NewPath starts a path at a top-level field.
func NewPath(name string, more ...string) *Path {
	p := &Path{name: name}
	for _, m := range more {
		p = p.Child(m)
	}
	return p
}

// Child returns the path of a named sub-field.
func (p *Path) Child(name string, more ...string) *Path {
	c := &Path{parent: p, name: name}
	for _, m := range more {
		c = c.Child(m)
	}
	return c
}

// Index returns the path of a list element.
func (p *Path) Index(i int) *Path { return &Path{parent: p, index: strconv.Itoa(i)} }

// Key returns the path of a map value.
func (p *Path) Key(k string) *Path { return &Path{parent: p, index: k} }

// String renders the path.
func (p *Path) String() string {
	if p == nil {
		return ""
	}
	var parts []*Path
	for q := p; q != nil; q = q.parent {
		parts = append(parts, q)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		q := parts[i]
		if q.index != "" {
			b.WriteString("[" + q.index + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(q.name)
	}
	return b.String()
}

// Required reports a missing value.
func Required(p *Path, detail string) *FieldError {
	return &FieldError{Type: FieldValueRequired, Field: p.String(), Detail: detail}
}

// Invalid reports a malformed value.
func Invalid(p *Path, value any, detail string) *FieldError {
	return &FieldError{Type: FieldValueInvalid, Field: p.String(), BadValue: value, Detail: detail}
}

// Duplicate reports a value that must be unique but is not.
func Duplicate(p *Path, value any) *FieldError {
	return &FieldError{Type: FieldValueDuplicate, Field: p.String(), BadValue: value}
}

// NotSupported reports a value outside a fixed set.
func NotSupported(p *Path, value any, valid []string) *FieldError {
	quoted := make([]string, len(valid))
	for i, v := range valid {
		quoted[i] = strconv.Quote(v)
	}
	detail := ""
	if len(valid) > 0 {
		detail = "supported values: " + strings.Join(quoted, ", ")
	}
	return &FieldError{Type: FieldValueNotSupported, Field: p.String(), BadValue: value, Detail: detail}
}

// Forbidden reports a field that may not be set or changed.
func Forbidden(p *Path, detail string) *FieldError {
	return &FieldError{Type: FieldValueForbidden, Field: p.String(), Detail: detail}
}

// TooLong reports a value over its length limit.
func TooLong(p *Path, max int) *FieldError {
	return &FieldError{Type: FieldValueTooLong, Field: p.String(), Detail: fmt.Sprintf("must have at most %d bytes", max)}
}
