package labels

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Operator is how a Requirement compares a label with its values.
type Operator string

// The operators of label selectors. In the string syntax GreaterThan and LessThan are
// written `>` and `<`, and Exists and DoesNotExist as `key` and `!key`.
const (
	Equals       Operator = "="
	DoubleEquals Operator = "=="
	NotEquals    Operator = "!="
	In           Operator = "in"
	NotIn        Operator = "notin"
	Exists       Operator = "exists"
	DoesNotExist Operator = "!"
	GreaterThan  Operator = "gt"
	LessThan     Operator = "lt"
)

// operators lists every Operator, in the order Kubernetes lists them in errors.
var operators = []Operator{In, NotIn, Equals, DoubleEquals, NotEquals, Exists, DoesNotExist, GreaterThan, LessThan}

// Requirement is one term of a selector, such as `tier in (front,back)`.
// NewRequirement builds a valid one; Matches and String accept any.
type Requirement struct {
	Key      string
	Operator Operator
	Values   []string
}

// NewRequirement returns a Requirement after checking it as Kubernetes does: the key
// is a qualified name, every value a label value, In and NotIn have at least one
// value, Equals, DoubleEquals and NotEquals exactly one, Exists and DoesNotExist none,
// and GreaterThan and LessThan one integer. The error lists every problem found.
func NewRequirement(key string, op Operator, vals []string) (Requirement, error) {
	var errs []string
	if msgs := ValidateLabelKey(key); len(msgs) > 0 {
		errs = append(errs, invalid("key", key, msgs...))
	}
	switch op {
	case In, NotIn:
		if len(vals) == 0 {
			errs = append(errs, invalid("values", vals, "for 'in', 'notin' operators, values set can't be empty"))
		}
	case Equals, DoubleEquals, NotEquals:
		if len(vals) != 1 {
			errs = append(errs, invalid("values", vals, "exact-match compatibility requires one single value"))
		}
	case Exists, DoesNotExist:
		if len(vals) != 0 {
			errs = append(errs, invalid("values", vals, "values set must be empty for exists and does not exist"))
		}
	case GreaterThan, LessThan:
		if len(vals) != 1 {
			errs = append(errs, invalid("values", vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
		}
		for i, v := range vals {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				errs = append(errs, invalid(fmt.Sprintf("values[%d]", i), v, "for 'Gt', 'Lt' operators, the value must be an integer"))
			}
		}
	default:
		supported := make([]string, len(operators))
		for i, o := range operators {
			supported[i] = strconv.Quote(string(o))
		}
		errs = append(errs, fmt.Sprintf("operator: Unsupported value: %q: supported values: %s", op, strings.Join(supported, ", ")))
	}
	for i, v := range vals {
		if msgs := ValidateLabelValue(v); len(msgs) > 0 {
			errs = append(errs, invalid(fmt.Sprintf("values[%d]", i), v, msgs...))
		}
	}
	if len(errs) > 0 {
		return Requirement{}, aggregate(errs)
	}
	return Requirement{Key: key, Operator: op, Values: slices.Clone(vals)}, nil
}

// Matches reports whether the labels satisfy the requirement. NotIn and NotEquals
// match when the label is absent; GreaterThan and LessThan match only when both the
// label and the value are integers.
func (r Requirement) Matches(ls Labels) bool {
	switch r.Operator {
	case Exists:
		return ls.Has(r.Key)
	case DoesNotExist:
		return !ls.Has(r.Key)
	case In, Equals, DoubleEquals:
		return ls.Has(r.Key) && slices.Contains(r.Values, ls.Get(r.Key))
	case NotIn, NotEquals:
		return !ls.Has(r.Key) || !slices.Contains(r.Values, ls.Get(r.Key))
	case GreaterThan, LessThan:
		if !ls.Has(r.Key) || len(r.Values) != 1 {
			return false
		}
		have, err := strconv.ParseInt(ls.Get(r.Key), 10, 64)
		if err != nil {
			return false
		}
		want, err := strconv.ParseInt(r.Values[0], 10, 64)
		if err != nil {
			return false
		}
		if r.Operator == GreaterThan {
			return have > want
		}
		return have < want
	}
	return false
}

// String returns the requirement in the syntax Parse reads, with In and NotIn values
// sorted: `!a`, `a`, `a=b`, `a!=b`, `a in (b,c)`, `a>5`.
func (r Requirement) String() string {
	values := strings.Join(slices.Sorted(slices.Values(r.Values)), ",")
	switch r.Operator {
	case Exists:
		return r.Key
	case DoesNotExist:
		return "!" + r.Key
	case In, NotIn:
		return r.Key + " " + string(r.Operator) + " (" + values + ")"
	case GreaterThan:
		return r.Key + ">" + values
	case LessThan:
		return r.Key + "<" + values
	}
	return r.Key + string(r.Operator) + values
}

// invalid formats a problem as a Kubernetes field error reads:
// `values[0]: Invalid value: "x": must be ...`.
func invalid(path string, value any, msgs ...string) string {
	return fmt.Sprintf("%s: Invalid value: %q: %s", path, value, strings.Join(msgs, "; "))
}

// aggregate joins problems as Kubernetes aggregates errors: one is shown alone,
// several as "[first, second]".
func aggregate(errs []string) error {
	if len(errs) == 1 {
		return errors.New(errs[0])
	}
	return errors.New("[" + strings.Join(errs, ", ") + "]")
}
