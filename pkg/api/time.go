package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Time is a timestamp that serializes as RFC 3339 with second precision, and as null
// when zero, like Kubernetes' metav1.Time.
type Time struct {
	time.Time
}

// Now returns the current time truncated to what Time keeps (seconds).
func Now() Time { return Time{time.Now().UTC().Truncate(time.Second)} }

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t} }

// MarshalJSON writes the time as an RFC 3339 string in UTC, or null when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// UnmarshalJSON reads an RFC 3339 string or null.
func (t *Time) UnmarshalJSON(b []byte) (err error) {
	t.Time, err = unmarshalTime(b, time.RFC3339)
	return err
}

// unmarshalTime reads a JSON string in layout, or null or "" as the zero time.
func unmarshalTime(b []byte, layout string) (time.Time, error) {
	if bytes.Equal(b, []byte("null")) {
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}, fmt.Errorf("time must be an RFC 3339 string: %w", err)
	}
	if s == "" {
		return time.Time{}, nil
	}
	parsed, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time must be an RFC 3339 string: %w", err)
	}
	return parsed.Local(), nil
}

// MicroTime is a timestamp with microsecond precision, used by Leases and Events.
type MicroTime struct {
	time.Time
}

// microLayout is Kubernetes' RFC3339Micro.
const microLayout = "2006-01-02T15:04:05.000000Z07:00"

// NowMicro returns the current time truncated to microseconds.
func NowMicro() MicroTime { return MicroTime{time.Now().UTC().Truncate(time.Microsecond)} }

// MarshalJSON writes the time with microseconds in UTC, or null when zero.
func (t MicroTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(microLayout))
}

// UnmarshalJSON reads an RFC 3339 string (with or without fractions) or null.
func (t *MicroTime) UnmarshalJSON(b []byte) (err error) {
	t.Time, err = unmarshalTime(b, time.RFC3339Nano)
	return err
}
