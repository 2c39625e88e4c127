package resource

import (
	"encoding/json"
	"strings"
)

// MarshalJSON writes q as a JSON string in canonical form, e.g. "1536Mi".
func (q Quantity) MarshalJSON() ([]byte, error) {
	return json.Marshal(q.String())
}

// UnmarshalJSON reads a quantity from a JSON string ("100m") or a JSON number
// (0.1), as Kubernetes accepts both. Spaces around the quantity are ignored,
// and null sets q to zero.
func (q *Quantity) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*q = Quantity{}
		return nil
	}
	s := string(data) // a JSON number is parsed as it is written
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
	}
	parsed, err := ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = parsed
	return nil
}
