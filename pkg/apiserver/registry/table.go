package registry

import (
	"fmt"
	"time"

	"skiff/pkg/api"
)

// Table renders objects of one kind as `kubectl get` shows them.
type Table struct {
	Columns []api.TableColumnDefinition
	// Row returns the cells of one object, one per column.
	Row func(obj api.Object, now time.Time) []any
}

// Column helpers. Priority 1 columns only show with -o wide.
func col(name, typ, desc string) api.TableColumnDefinition {
	return api.TableColumnDefinition{Name: name, Type: typ, Description: desc}
}

func wide(name, typ, desc string) api.TableColumnDefinition {
	c := col(name, typ, desc)
	c.Priority = 1
	return c
}

var (
	nameColumn = api.TableColumnDefinition{Name: "Name", Type: "string", Format: "name",
		Description: "Name must be unique within a namespace."}
	ageColumn = col("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.")
)

// DefaultTable is NAME and AGE, for kinds without their own table.
var DefaultTable = &Table{
	Columns: []api.TableColumnDefinition{nameColumn, ageColumn},
	Row: func(obj api.Object, now time.Time) []any {
		m := obj.GetObjectMeta()
		return []any{m.Name, Age(m.CreationTimestamp, now)}
	},
}

// Age formats the time since t as kubectl does: "45s", "3m20s", "5h", "12d".
func Age(t api.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t.Time))
}

// HumanDuration is Kubernetes' duration.HumanDuration.
func HumanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		if s := int(d/time.Second) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", minutes, s)
		}
		return fmt.Sprintf("%dm", minutes)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	switch {
	case hours < 8:
		if m := int(d/time.Minute) % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", hours, m)
		}
		return fmt.Sprintf("%dh", hours)
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 24*8:
		if h := hours % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", hours/24, h)
		}
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*2:
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*8:
		if dy := (hours / 24) % 365; dy != 0 {
			return fmt.Sprintf("%dy%dd", hours/24/365, dy)
		}
		return fmt.Sprintf("%dy", hours/24/365)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
