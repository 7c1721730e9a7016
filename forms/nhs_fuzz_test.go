package forms

import (
	"testing"
)

// FuzzParseNHSNumber checks that ParseNHSNumber never panics, returns
// only 10 digits with a good check digit, and reads its own formatting.
func FuzzParseNHSNumber(f *testing.F) {
	for _, s := range []string{
		"9434765919", "943 476 5919", "943-476-5919", "9434765918", "9990000018", "1234567890",
		"", "abc", "٩٤٣٤٧٦٥٩١٩", "943 476 591９", " - ", "99900000180",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseNHSNumber(s)
		if err != nil {
			if d != "" {
				t.Fatalf("ParseNHSNumber(%q) = %q, %v, want empty with the error", s, d, err)
			}
			return
		}
		if len(d) != 10 || !allDigits(d) {
			t.Fatalf("ParseNHSNumber(%q) = %q, want 10 digits", s, d)
		}
		if c, ok := NHSCheckDigit(d[:9]); !ok || c != int(d[9]-'0') {
			t.Fatalf("ParseNHSNumber(%q) = %q, want a good check digit", s, d)
		}
		if again, err := ParseNHSNumber(FormatNHSNumber(d)); err != nil || again != d {
			t.Fatalf("ParseNHSNumber(FormatNHSNumber(%q)) = %q, %v, want %q", d, again, err, d)
		}
	})
}
