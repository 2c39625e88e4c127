package patch

import (
	"fmt"
	"strconv"
	"strings"
)

// pointer is a parsed JSON Pointer (RFC 6901): its reference tokens with "~1" and "~0"
// already turned back into "/" and "~". The empty pointer names the whole document.
type pointer []string

// parsePointer parses s, which must be empty or start with "/".
func parsePointer(s string) (pointer, error) {
	if s == "" {
		return pointer{}, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("invalid JSON pointer %q: must be empty or start with \"/\"", s)
	}
	tokens := strings.Split(s[1:], "/")
	for i, t := range tokens {
		u, ok := unescapeToken(t)
		if !ok {
			return nil, fmt.Errorf("invalid JSON pointer %q: \"~\" must be followed by \"0\" or \"1\"", s)
		}
		tokens[i] = u
	}
	return tokens, nil
}

// unescapeToken turns "~1" into "/" and "~0" into "~"; any other "~" is an error.
func unescapeToken(t string) (string, bool) {
	for i := range len(t) {
		if t[i] == '~' && (i+1 == len(t) || t[i+1] != '0' && t[i+1] != '1') {
			return "", false
		}
	}
	return tokenUnescaper.Replace(t), true
}

// tokenUnescaper works left to right in one pass, so "~01" becomes "~1", not "/".
var tokenUnescaper = strings.NewReplacer("~1", "/", "~0", "~")

// arrayIndex parses token as an index into an array of length n. With end set, the
// index may also be n itself, written as the number or as "-" (where add appends).
func arrayIndex(token string, n int, end bool) (int, bool) {
	if token == "-" {
		return n, end
	}
	if token == "" || len(token) > 1 && token[0] == '0' {
		return 0, false // RFC 6901 forbids leading zeros
	}
	for _, c := range token {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(token)
	if err != nil || i > n || i == n && !end {
		return 0, false
	}
	return i, true
}

// parent returns the pointer to the value holding the one p names. p must not be empty.
func (p pointer) parent() pointer { return p[:len(p)-1] }

// last returns p's final token. p must not be empty.
func (p pointer) last() string { return p[len(p)-1] }

// get returns the value p names in doc.
func (p pointer) get(doc any) (any, bool) {
	v := doc
	for _, t := range p {
		switch c := v.(type) {
		case map[string]any:
			child, ok := c[t]
			if !ok {
				return nil, false
			}
			v = child
		case []any:
			i, ok := arrayIndex(t, len(c), false)
			if !ok {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// set replaces the value p names, which must exist, with v and returns the document:
// doc itself, or v when p is empty.
func (p pointer) set(doc, v any) any {
	if len(p) == 0 {
		return v
	}
	switch c, _ := p.parent().get(doc); c := c.(type) {
	case map[string]any:
		c[p.last()] = v
	case []any:
		if i, ok := arrayIndex(p.last(), len(c), false); ok {
			c[i] = v
		}
	}
	return doc
}

// hasPrefix reports whether q is p or lies inside the value p names.
func (p pointer) hasPrefix(q pointer) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}
