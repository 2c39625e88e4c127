// Package resource implements Quantity, the fixed-point number that Kubernetes
// uses for CPU, memory and other resource amounts ("100m", "64Mi", "1.5G").
// Quantities are parsed and printed as k8s.io/apimachinery does (the few
// differences are noted on ParseQuantity and String), so a manifest means the
// same here as in Kubernetes. They are never held as floating point, so sums and
// comparisons in the scheduler and quotas are exact.
package resource

import (
	"math"
	"math/big"
)

// Quantity is an exact decimal amount with nano (10^-9) precision, such as
// "500m" CPU or "64Mi" of memory. The zero value is 0 and ready to use.
//
// A Quantity remembers the Format it was parsed in and prints itself in that
// format's canonical form: "1.5" prints as "1500m" and "1.5Gi" as "1536Mi".
// Compare quantities with Cmp or Equal, not ==.
type Quantity struct {
	// nanos is the amount in units of 10^-9; nil means zero. A stored big.Int is
	// never modified, so copies of a Quantity may share it safely.
	nanos *big.Int

	// Format picks the suffixes String uses. It may be changed at will.
	Format Format
}

// Format is the family of suffixes a Quantity is printed with.
type Format string

// The three formats of Kubernetes. Any other Format prints as DecimalExponent.
const (
	DecimalExponent Format = "DecimalExponent" // 12e6
	BinarySI        Format = "BinarySI"        // 12Mi, that is 12 * 2^20
	DecimalSI       Format = "DecimalSI"       // 12M, that is 12 * 10^6
)

// Scale is a power of ten, used by NewScaledQuantity and ScaledValue.
type Scale int32

// Scales of the decimal SI suffixes.
const (
	Nano  Scale = -9
	Micro Scale = -6
	Milli Scale = -3
	Kilo  Scale = 3
	Mega  Scale = 6
	Giga  Scale = 9
	Tera  Scale = 12
	Peta  Scale = 15
	Exa   Scale = 18
)

// NewQuantity returns value in the given format, e.g. NewQuantity(512, BinarySI).
func NewQuantity(value int64, format Format) Quantity {
	return Quantity{nanos: scale10(big.NewInt(value), 9), Format: format}
}

// NewMilliQuantity returns value/1000 in the given format, e.g. 250 millicores.
func NewMilliQuantity(value int64, format Format) Quantity {
	return Quantity{nanos: scale10(big.NewInt(value), 6), Format: format}
}

// NewScaledQuantity returns value * 10^scale in DecimalSI format. A scale below
// Nano rounds away from zero to the nearest nano, as parsing does. The result is
// exact, so scale should be a small number such as one of the constants above.
func NewScaledQuantity(value int64, scale Scale) Quantity {
	return Quantity{nanos: scale10(big.NewInt(value), int64(scale)+9), Format: DecimalSI}
}

// amount returns the value in nanos, never nil. Callers must not modify it.
func (q Quantity) amount() *big.Int {
	if q.nanos == nil {
		return new(big.Int)
	}
	return q.nanos
}

// IsZero reports whether q is zero. It makes the json "omitzero" option work.
func (q Quantity) IsZero() bool {
	return q.nanos == nil || q.nanos.Sign() == 0
}

// Sign returns -1, 0 or +1 as q is negative, zero or positive.
func (q Quantity) Sign() int {
	return q.amount().Sign()
}

// DeepCopy returns a copy of q. Quantities never share mutable state, so this is
// the same as assigning q; it exists for generated-style DeepCopy code.
func (q Quantity) DeepCopy() Quantity {
	return q
}

// Value returns q as an integer, rounded away from zero: "100m" is 1 and
// "-1.5" is -2. It saturates at math.MaxInt64 and math.MinInt64.
func (q Quantity) Value() int64 {
	return q.ScaledValue(0)
}

// MilliValue returns q in thousandths, rounded away from zero: "1.5" is 1500
// and "1n" is 1. It saturates at math.MaxInt64 and math.MinInt64.
func (q Quantity) MilliValue() int64 {
	return q.ScaledValue(Milli)
}

// ScaledValue returns q in units of 10^scale, rounded away from zero:
// MustParse("1G").ScaledValue(Mega) is 1000. It saturates at math.MaxInt64 and
// math.MinInt64, where Kubernetes would silently overflow.
func (q Quantity) ScaledValue(scale Scale) int64 {
	n := q.amount()
	k := -9 - int64(scale) // the value in units of 10^scale is n * 10^k
	if n.Sign() == 0 {
		return 0
	}
	if k <= 19 { // otherwise |n * 10^k| >= 10^20 overflows without computing it
		if v := scale10(n, k); v.IsInt64() {
			return v.Int64()
		}
	}
	if n.Sign() < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}

// scale10 returns a new big.Int holding n * 10^k. A negative k divides, rounding
// away from zero, so that any non-zero n stays non-zero. Large positive k build
// numbers of about k digits: callers bound it.
func scale10(n *big.Int, k int64) *big.Int {
	if k >= 0 {
		return new(big.Int).Mul(n, pow10(k))
	}
	if n.Sign() == 0 {
		return new(big.Int)
	}
	if -k > int64(n.BitLen()) { // 10^-k > 2^BitLen > |n|: the quotient is below 1
		return big.NewInt(int64(n.Sign()))
	}
	quo, rem := new(big.Int).QuoRem(n, pow10(-k), new(big.Int))
	if rem.Sign() != 0 {
		quo.Add(quo, big.NewInt(int64(n.Sign())))
	}
	return quo
}

// pow10 returns 10^k for k >= 0.
func pow10(k int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil)
}
