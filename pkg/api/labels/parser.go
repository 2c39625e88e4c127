package labels

import (
	"errors"
	"fmt"
	"slices"
)

// Parse reads a selector in the Kubernetes string syntax: requirements separated by
// commas, all of which must match.
//
//	key             the label exists
//	!key            the label does not exist
//	key=value       also key==value
//	key!=value      the label is absent or has another value
//	key in (a,b)    also key notin (a,b); an empty element such as "()" means ""
//	key>5, key<5    the label is an integer greater or less than 5
//
// Whitespace may surround tokens. The empty string selects everything. Keys and
// values are validated as NewRequirement does.
func Parse(s string) (Selector, error) {
	p := parser{tokens: lex(s)}
	reqs, err := p.parse()
	if err != nil {
		return nil, err
	}
	return NewSelector(reqs...), nil
}

// parser is a recursive-descent parser over the tokens of one selector string.
type parser struct {
	tokens []token
	pos    int
}

// peek returns the next token without consuming it.
func (p *parser) peek() token { return p.tokens[p.pos] }

// next consumes and returns the next token; at the end it keeps returning endOfString.
func (p *parser) next() token {
	t := p.tokens[p.pos]
	if t.kind != endOfString {
		p.pos++
	}
	return t
}

// parse reads requirement (',' requirement)* until the end of the string.
func (p *parser) parse() ([]Requirement, error) {
	var reqs []Requirement
	for {
		t := p.peek()
		switch {
		case t.kind == endOfString:
			return reqs, nil
		case t.kind == identifier || t.is("!"):
			r, err := p.parseRequirement()
			if err != nil {
				return nil, fmt.Errorf("unable to parse requirement: %w", err)
			}
			reqs = append(reqs, r)
			switch t := p.next(); {
			case t.kind == endOfString:
				return reqs, nil
			case t.is(","):
				if n := p.peek(); n.kind != identifier && !n.is("!") {
					return nil, fmt.Errorf("found '%s', expected: identifier after ','", n.lit)
				}
			default:
				return nil, fmt.Errorf("found '%s', expected: ',' or 'end of string'", t.lit)
			}
		default:
			return nil, fmt.Errorf("found '%s', expected: !, identifier, or 'end of string'", t.lit)
		}
	}
}

// parseRequirement reads one requirement: `key`, `!key`, or key, operator and values.
func (p *parser) parseRequirement() (Requirement, error) {
	key, op, err := p.parseKeyAndInferOperator()
	if err != nil {
		return Requirement{}, err
	}
	if op == Exists || op == DoesNotExist {
		return NewRequirement(key, op, nil)
	}
	if op, err = p.parseOperator(); err != nil {
		return Requirement{}, err
	}
	var values []string
	if op == In || op == NotIn {
		values, err = p.parseValues()
	} else {
		values, err = p.parseExactValue()
	}
	if err != nil {
		return Requirement{}, err
	}
	return NewRequirement(key, op, values)
}

// parseKeyAndInferOperator reads an optional '!' and a key. It returns DoesNotExist
// after a '!', Exists for a bare key, and "" when an operator should follow.
func (p *parser) parseKeyAndInferOperator() (string, Operator, error) {
	var op Operator
	t := p.next()
	if t.is("!") {
		op = DoesNotExist
		t = p.next()
	}
	if t.kind != identifier {
		return "", "", fmt.Errorf("found '%s', expected: identifier", t.lit)
	}
	if msgs := ValidateLabelKey(t.lit); len(msgs) > 0 {
		return "", "", errors.New(invalid("key", t.lit, msgs...))
	}
	if n := p.peek(); op == "" && (n.kind == endOfString || n.is(",")) {
		op = Exists
	}
	return t.lit, op, nil
}

// parseOperator reads a binary operator. The words in and notin are operators only
// here; everywhere else they are plain identifiers, so `in in (in)` is valid.
func (p *parser) parseOperator() (Operator, error) {
	t := p.next()
	switch t.lit {
	case "in":
		return In, nil
	case "notin":
		return NotIn, nil
	case "=":
		return Equals, nil
	case "==":
		return DoubleEquals, nil
	case "!=":
		return NotEquals, nil
	case ">":
		return GreaterThan, nil
	case "<":
		return LessThan, nil
	}
	const expected = "in, notin, =, ==, !=, >, <"
	if t.lit == "exists" {
		return "", fmt.Errorf("found '%s', expected: %s. You may want to use the 'exists' keyword without 'in' / 'notin'", t.lit, expected)
	}
	return "", fmt.Errorf("found '%s', expected: %s", t.lit, expected)
}

// parseValues reads `(v1,v2,...)` and returns the values sorted without duplicates.
// An element may be empty, so `()` and `(a,)` hold the value "".
func (p *parser) parseValues() ([]string, error) {
	if t := p.next(); !t.is("(") {
		return nil, fmt.Errorf("found '%s', expected: '('", t.lit)
	}
	var values []string
	for {
		value, expected := "", "',', ')' or identifier"
		if p.peek().kind == identifier {
			value, expected = p.next().lit, "',' or ')'"
		}
		values = append(values, value)
		switch t := p.next(); {
		case t.is(")"):
			slices.Sort(values)
			return slices.Compact(values), nil
		case !t.is(","):
			return nil, fmt.Errorf("found '%s', expected: %s", t.lit, expected)
		}
	}
}

// parseExactValue reads the single value after =, ==, !=, > or <. A missing value,
// as in `a=` or `a=,b`, is the empty string.
func (p *parser) parseExactValue() ([]string, error) {
	if n := p.peek(); n.kind == endOfString || n.is(",") {
		return []string{""}, nil
	}
	t := p.next()
	if t.kind != identifier {
		return nil, fmt.Errorf("found '%s', expected: identifier", t.lit)
	}
	return []string{t.lit}, nil
}
