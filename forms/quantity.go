package forms

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"lifeboat"
)

// Quantity is an exact amount in thousandths of a unit: 2.5 tablets is
// Quantity(2500). Doses, controlled-drug balances and stock are never held
// as floats, so a running balance adds up to the same figure on every device
// and on paper. The zero value is zero. It encodes to JSON as a decimal
// string ("2.5") and decodes from a string or a plain JSON number.
type Quantity int64

// QuantityScale is the number of Quantity steps in one unit.
const QuantityScale = 1000

// MaxQuantity is the largest magnitude ParseQuantity accepts: just under
// one thousand million million units' worth of thousandths, far beyond any
// real stock, while leaving room to add many without overflow.
const MaxQuantity Quantity = 999_999_999_999_999

// Units returns a Quantity of n whole units.
func Units(n int64) Quantity { return Quantity(n * QuantityScale) }

// ParseQuantity reads a decimal with at most three decimal places: "10",
// "2.5", "0.125", "-1", "+3". It refuses empty input, a missing leading zero
// (".5": the trailing-dot and naked-dot forms are a known cause of tenfold
// dosing errors), a trailing dot, exponents, spaces, commas and more than
// three decimal places, wrapping lifeboat.ErrInvalid.
func ParseQuantity(s string) (Quantity, error) {
	bad := func(why string) (Quantity, error) {
		return 0, fmt.Errorf("parse quantity %q: %s: %w", s, why, lifeboat.ErrInvalid)
	}
	if s == "" {
		return bad("empty")
	}
	r := s
	neg := false
	switch r[0] {
	case '-':
		neg, r = true, r[1:]
	case '+':
		r = r[1:]
	}
	whole, frac, hasDot := strings.Cut(r, ".")
	if whole == "" {
		return bad("no digits before the decimal point")
	}
	if hasDot && frac == "" {
		return bad("no digits after the decimal point")
	}
	if len(frac) > 3 {
		return bad("more than three decimal places")
	}
	for _, p := range []string{whole, frac} {
		for _, c := range p {
			if c < '0' || c > '9' {
				return bad("not a number")
			}
		}
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 {
		return bad("too large")
	}
	var w int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64) // at most 12 digits: cannot fail
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64)
	}
	q := Quantity(w*QuantityScale + f)
	if neg {
		q = -q
	}
	return q, nil
}

// MustQuantity is ParseQuantity for constants in code and tests; it panics
// on a malformed literal and must never see user input.
func MustQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// String formats q in the shortest exact form ParseQuantity reads back:
// "10", "2.5", "-0.125".
func (q Quantity) String() string {
	if q == math.MinInt64 {
		return "-9223372036854775.808"
	}
	sign := ""
	if q < 0 {
		sign, q = "-", -q
	}
	w, f := int64(q)/QuantityScale, int64(q)%QuantityScale
	if f == 0 {
		return sign + strconv.FormatInt(w, 10)
	}
	fs := strings.TrimRight(fmt.Sprintf("%03d", f), "0")
	return sign + strconv.FormatInt(w, 10) + "." + fs
}

// Add returns q+r, or an error wrapping lifeboat.ErrInvalid if the sum
// leaves the range ±MaxQuantity.
func (q Quantity) Add(r Quantity) (Quantity, error) {
	s := q + r
	if (r > 0 && s < q) || (r < 0 && s > q) || s > MaxQuantity || s < -MaxQuantity {
		return 0, fmt.Errorf("add quantities %s and %s: out of range: %w", q, r, lifeboat.ErrInvalid)
	}
	return s, nil
}

// MarshalJSON encodes q as a decimal string, e.g. "2.5".
func (q Quantity) MarshalJSON() ([]byte, error) {
	return json.Marshal(q.String())
}

// UnmarshalJSON accepts a decimal string ("2.5") or a JSON number (2.5)
// and reads its text exactly, with ParseQuantity's rules.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("decode quantity: %w", lifeboat.ErrInvalid)
		}
	}
	v, err := ParseQuantity(s)
	if err != nil {
		return err
	}
	*q = v
	return nil
}
