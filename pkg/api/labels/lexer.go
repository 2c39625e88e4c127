package labels

// tokenKind says what a token of the selector syntax is.
type tokenKind int

const (
	endOfString tokenKind = iota
	identifier            // a key, a value, or the keywords in and notin
	symbol                // one of = == != ! ( ) , < >
)

// token is one lexeme of a selector string.
type token struct {
	kind tokenKind
	lit  string
}

// is reports whether t is the given symbol.
func (t token) is(sym string) bool { return t.kind == symbol && t.lit == sym }

// lex splits a selector string into tokens, ending with one endOfString token.
// Identifiers run until whitespace or a symbol character, so `a=b` is three tokens and
// `a/b.c` one; whether an identifier is a valid key or value is checked later.
func lex(s string) []token {
	var tokens []token
	i := 0
	for {
		for i < len(s) && isWhitespace(s[i]) {
			i++
		}
		if i == len(s) {
			return append(tokens, token{kind: endOfString})
		}
		start := i
		switch {
		case i+1 < len(s) && (s[i:i+2] == "==" || s[i:i+2] == "!="):
			i += 2
		case isSymbol(s[i]):
			i++
		default:
			for i < len(s) && !isSymbol(s[i]) && !isWhitespace(s[i]) {
				i++
			}
			tokens = append(tokens, token{kind: identifier, lit: s[start:i]})
			continue
		}
		tokens = append(tokens, token{kind: symbol, lit: s[start:i]})
	}
}

func isWhitespace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func isSymbol(c byte) bool {
	switch c {
	case '=', '!', '(', ')', ',', '>', '<':
		return true
	}
	return false
}
