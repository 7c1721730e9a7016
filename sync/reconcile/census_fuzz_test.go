package reconcile

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeCensusCSV: any bytes give a census or an *ImportError, never a
// panic, and every parsed patient has a checked NHS number.
func FuzzDecodeCensusCSV(f *testing.F) {
	for _, n := range []string{"census-good.csv", "census-bad.csv", "census-newer.csv"} {
		f.Add(mustRead(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCensusCSV(bytes.NewReader(b), "fuzz.csv", asOf)
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *ImportError", err)
		}
		for _, p := range c.Patients {
			if len(p.NHSNumber) != 10 || p.Surname == "" || (p.Bed != "" && p.Ward == "") {
				t.Fatalf("accepted bad patient %+v", p)
			}
		}
	})
}

// FuzzDecodeCensusFHIR: any bytes give a census or an *ImportError.
func FuzzDecodeCensusFHIR(f *testing.F) {
	for _, n := range []string{"census-bundle.json", "census-bundle-bad.json", "Patient-example.json", "Bundle-bundle-transaction.json"} {
		f.Add(mustRead(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCensusFHIR(b, "fuzz.json", time.Time{})
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *ImportError", err)
		}
		for _, p := range c.Patients {
			if len(p.NHSNumber) != 10 || p.Surname == "" {
				t.Fatalf("accepted bad patient %+v", p)
			}
		}
	})
}
