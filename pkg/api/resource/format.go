package resource

import (
	"math/big"
	"strconv"
	"strings"
)

// String prints q in the canonical form of its Format, as Kubernetes does:
// no fractional digits and the largest suffix that keeps the value exact.
//
//   - DecimalSI: the largest of n u m k M G T P E with an integer mantissa
//     ("1500m", "1k"); past E it uses an exponent ("1e21").
//   - DecimalExponent: the same, with e<exponent> instead of the letters
//     ("1500e-3", "12e6").
//   - BinarySI: an integer of 1024 or more gets the largest of Ki Mi Gi Ti Pi
//     Ei that keeps the mantissa an integer ("1536Mi", or "1025" without a
//     suffix); other values print as DecimalSI ("512", "500m").
//
// Kubernetes caches the string a quantity was parsed from and so echoes some
// non-canonical spellings ("+1", "1E3", "1.500k"); String always prints the
// canonical form ("1", "1e3", "1500").
func (q Quantity) String() string {
	if q.IsZero() {
		return "0"
	}
	switch q.Format {
	case BinarySI:
		if s, ok := binaryString(q.nanos); ok {
			return s
		}
		return decimalString(q.nanos, DecimalSI)
	case DecimalSI:
		return decimalString(q.nanos, DecimalSI)
	default:
		return decimalString(q.nanos, DecimalExponent)
	}
}

// decimalString prints nanos as mantissa and suffix, choosing the largest
// exponent that is a multiple of three and leaves an integer mantissa.
func decimalString(nanos *big.Int, format Format) string {
	digits := new(big.Int).Abs(nanos).String()
	zeros := len(digits) - len(strings.TrimRight(digits, "0"))
	drop := zeros - zeros%3 // nanos are 10^-9, and -9 is a multiple of three
	mantissa, exp := digits[:len(digits)-drop], drop-9

	var suffix string
	switch {
	case format == DecimalSI && exp <= 18:
		suffix = decimalSuffixes[(exp+9)/3]
	case exp != 0:
		suffix = "e" + strconv.Itoa(exp)
	}
	return sign(nanos) + mantissa + suffix
}

// binaryString prints nanos with a binary suffix, or reports false when the
// value is not an integer of at least 1024 and must be printed as DecimalSI.
func binaryString(nanos *big.Int) (string, bool) {
	whole, rem := new(big.Int).QuoRem(new(big.Int).Abs(nanos), oneNano, new(big.Int))
	if rem.Sign() != 0 || whole.Cmp(big.NewInt(1024)) < 0 {
		return "", false
	}
	i := min(int(whole.TrailingZeroBits()/10), len(binarySuffixes)-1)
	mantissa := whole.Rsh(whole, uint(10*i))
	return sign(nanos) + mantissa.String() + binarySuffixes[i], true
}

func sign(n *big.Int) string {
	if n.Sign() < 0 {
		return "-"
	}
	return ""
}
