package resource

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Errors returned by ParseQuantity, wrapped with the input; test with errors.Is.
var (
	ErrFormatWrong = errors.New("resource: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
	ErrSuffix      = errors.New("resource: unable to parse quantity's suffix")
	ErrNumeric     = errors.New("resource: quantity out of range")
)

// maxDigits bounds the integer part of a decimal quantity: its magnitude must be
// below 10^maxDigits. Kubernetes has no such bound, but no resource comes close
// to it, and it keeps "1e100000000" from building a number with 10^8 digits.
const maxDigits = 100

// The suffixes, smallest first. Decimal suffix i means 10^(3i-9), binary
// suffix i means 2^(10i).
var (
	decimalSuffixes = [...]string{"n", "u", "m", "", "k", "M", "G", "T", "P", "E"}
	binarySuffixes  = [...]string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
)

var (
	// maxBinary is where Kubernetes silently caps a BinarySI quantity: 2^63-1.
	maxBinary = scale10(big.NewInt(1<<63-1), 9)
	// maxDecimal is the nanos of 10^maxDigits, the first value out of range.
	maxDecimal = pow10(maxDigits + 9)
	// oneNano is 10^9, the nanos of 1.
	oneNano = pow10(9)
)

// MustParse is ParseQuantity for constants and tests: it panics on an error.
func MustParse(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// ParseQuantity parses a quantity as Kubernetes writes it: a signed decimal
// number ("1", "-1.5", ".5", "2.") followed by one suffix, either binary
// (Ki Mi Gi Ti Pi Ei), decimal SI (n u m k M G T P E, or none) or a decimal
// exponent (e3, E-6). The suffix sets the Format.
//
// Like Kubernetes, it rounds values finer than a nano away from zero ("0.1n"
// is 1n) and silently caps BinarySI values at 2^63-1 ("8Ei" is 2^63-1).
// Decimal values of 10^100 or more fail with ErrNumeric. A string that does not
// have the shape of a quantity fails with ErrFormatWrong, and one with an
// unknown suffix ("1K", "1e") with ErrSuffix. No whitespace is allowed.
// Unlike Kubernetes, which reads a number without digits ("Mi", ".", "-") as
// zero, ParseQuantity requires a digit, as the Kubernetes grammar does.
func ParseQuantity(s string) (Quantity, error) {
	q, err := parse(s)
	if err != nil {
		return Quantity{}, fmt.Errorf("%w: %q", err, s)
	}
	return q, nil
}

func parse(s string) (Quantity, error) {
	negative, whole, frac, suffix, err := split(s)
	if err != nil {
		return Quantity{}, err
	}
	exp10, exp2, format, err := interpretSuffix(suffix)
	if err != nil {
		return Quantity{}, err
	}
	// The value is digits * 10^exp10 * 2^exp2.
	digits := strings.TrimLeft(whole+frac, "0")
	exp10 -= int64(len(frac))
	if digits == "" {
		return Quantity{Format: format}, nil
	}

	var n *big.Int
	if int64(len(digits))+exp10 > maxDigits { // digits * 10^exp10 >= 10^maxDigits
		if format != BinarySI {
			return Quantity{}, ErrNumeric
		}
		n = maxBinary
	} else {
		n, _ = new(big.Int).SetString(digits, 10)
		n = scale10(n.Lsh(n, exp2), exp10+9)
	}
	switch {
	case format == BinarySI && n.Cmp(maxBinary) > 0:
		n = maxBinary
	case format == BinarySI && n.Cmp(oneNano) < 0:
		format = DecimalSI // a fraction of 1 has no binary form
	case format != BinarySI && n.Cmp(maxDecimal) >= 0:
		return Quantity{}, ErrNumeric // rounding up reached 10^maxDigits
	}
	if negative {
		n = new(big.Int).Neg(n)
	}
	return Quantity{nanos: n, Format: format}, nil
}

// split cuts s into sign, the digits before and after the decimal point, and
// the suffix. It checks only the shape: at least one digit, and a suffix of
// suffix letters, then an optional sign, then digits.
func split(s string) (negative bool, whole, frac, suffix string, err error) {
	rest := s
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		negative = rest[0] == '-'
		rest = rest[1:]
	}
	whole, rest = leadingDigits(rest)
	if rest != "" && rest[0] == '.' {
		frac, rest = leadingDigits(rest[1:])
	}
	if whole == "" && frac == "" {
		return false, "", "", "", ErrFormatWrong
	}
	suffix = rest
	rest = strings.TrimLeft(rest, "eEinumkKMGTP")
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		rest = rest[1:]
	}
	if _, rest = leadingDigits(rest); rest != "" {
		return false, "", "", "", ErrFormatWrong
	}
	return negative, whole, frac, suffix, nil
}

// leadingDigits splits s after its leading ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// interpretSuffix returns the power of ten and of two that suffix stands for,
// and the Format it implies.
func interpretSuffix(suffix string) (exp10 int64, exp2 uint, format Format, err error) {
	for i, s := range decimalSuffixes {
		if s == suffix {
			return int64(3*i - 9), 0, DecimalSI, nil
		}
	}
	for i, s := range binarySuffixes[1:] {
		if s == suffix {
			return 0, uint(10 * (i + 1)), BinarySI, nil
		}
	}
	if len(suffix) > 1 && (suffix[0] == 'e' || suffix[0] == 'E') {
		exp, err := strconv.ParseInt(suffix[1:], 10, 32)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return 0, 0, "", ErrNumeric
		case err != nil:
			return 0, 0, "", ErrSuffix
		}
		return exp, 0, DecimalExponent, nil
	}
	return 0, 0, "", ErrSuffix
}
