package resource

import "math/big"

// Add sets q to q + y. If q is zero it takes y's Format, so that adding to an
// empty total keeps the suffix of what is added.
func (q *Quantity) Add(y Quantity) {
	if q.IsZero() {
		q.Format = y.Format
	}
	q.nanos = new(big.Int).Add(q.amount(), y.amount())
}

// Sub sets q to q - y. If q is zero it takes y's Format, as Add does.
func (q *Quantity) Sub(y Quantity) {
	if q.IsZero() {
		q.Format = y.Format
	}
	q.nanos = new(big.Int).Sub(q.amount(), y.amount())
}

// Neg sets q to -q.
func (q *Quantity) Neg() {
	q.nanos = new(big.Int).Neg(q.amount())
}

// Cmp returns -1, 0 or +1 as q is less than, equal to or greater than y.
// The Format is ignored: "1Ki" equals "1024".
func (q Quantity) Cmp(y Quantity) int {
	return q.amount().Cmp(y.amount())
}

// Equal reports whether q and y have the same value, whatever their Format.
// It lets github.com/google/go-cmp compare structs holding quantities.
func (q Quantity) Equal(y Quantity) bool {
	return q.Cmp(y) == 0
}
