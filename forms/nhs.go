package forms

import (
	"fmt"
	"strings"

	"lifeboat"
)

// ParseNHSNumber checks an NHS number typed by a person and returns its 10
// digits. Spaces and dashes are accepted anywhere (so "943 476 5919",
// "943-476-5919" and "9434765919" are all the same number); anything else
// is refused. The check digit is verified by modulus 11: digits 1 to 9 are
// weighted 10 down to 2 and summed, the check digit is 11 minus the
// remainder mod 11, 11 becomes 0, and 10 means no valid number has these
// first nine digits. Errors wrap lifeboat.ErrInvalid and are in plain words.
func ParseNHSNumber(s string) (string, error) {
	var b strings.Builder
	b.Grow(10)
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			return "", fmt.Errorf("NHS number can only hold digits, spaces and dashes: %w", lifeboat.ErrInvalid)
		}
	}
	d := b.String()
	if len(d) != 10 {
		return "", fmt.Errorf("NHS number must have 10 digits, not %d: %w", len(d), lifeboat.ErrInvalid)
	}
	check, ok := NHSCheckDigit(d[:9])
	if !ok || check != int(d[9]-'0') {
		return "", fmt.Errorf("NHS number %s fails its check digit: please re-check it: %w", FormatNHSNumber(d), lifeboat.ErrInvalid)
	}
	return d, nil
}

// NHSCheckDigit computes the modulus 11 check digit for the first nine
// digits of an NHS number. ok is false when first9 is not nine ASCII digits
// or when the computed digit would be 10, which no valid number has.
func NHSCheckDigit(first9 string) (digit int, ok bool) {
	if len(first9) != 9 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := first9[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * (10 - i)
	}
	check := 11 - sum%11
	switch check {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return check, true
}

// FormatNHSNumber writes 10 digits in the 3-3-4 form people read and print:
// "9434765919" becomes "943 476 5919". Anything that is not exactly 10
// digits is returned unchanged, so a display never hides what was stored.
func FormatNHSNumber(digits string) string {
	if len(digits) != 10 || !allDigits(digits) {
		return digits
	}
	return digits[:3] + " " + digits[3:6] + " " + digits[6:]
}

// IsTestNHSNumber reports whether digits (10 digits, as ParseNHSNumber
// returns) lies in the range 999 000 0000 to 999 999 9999 reserved for
// testing. Such a number must never be sent to a live core system.
func IsTestNHSNumber(digits string) bool {
	return len(digits) == 10 && allDigits(digits) && strings.HasPrefix(digits, "999")
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
