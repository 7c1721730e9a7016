package reconcile

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeCensusCSV: any bytes give a census or an *ImportError, never a
// panic, and every parsed patient has a checked NHS number.
func FuzzDecodeCensusCSV(f *testing.F) {
	for _, n := range []string{"census-good.csv", "census-bad.csv", "census-newer.csv", "census-full.csv"} {
		f.Add(mustRead(f, n))
	}
	// The shapes #17 made strict: BOM, Latin-1, UTF-16, column counts,
	// birth dates out of range, two in one bed, header only.
	const head = "nhs_number,surname,given,birth_date,ward,bed\n"
	for _, s := range []string{
		"\ufeff" + head + "9990000018,Zoë,Ann,1948-02-11,w7,b1\n",
		head + "9990000018,Zo\xeb,Ann,1948-02-11,w7,b1\n",
		"\xff\xfen\x00h\x00",
		head + "9990000018,Smith,Ann,1948-02-11,w7,b1,x\n9990000026,Jones\n",
		head + "9990000018,Smith,Ann,2099-01-01,w7,b1\n9990000026,Jones,Bob,1879-12-31,w7,b1\n",
		head,
		head + "943 476 5918,,Ann,2099-01-01,,b1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCensusCSV(bytes.NewReader(b), "fuzz.csv", asOf)
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *ImportError", err)
		}
		for _, p := range c.Patients {
			if len(p.NHSNumber) != 10 || p.Surname == "" || (p.Bed != "" && p.Ward == "") || !utf8.ValidString(p.Surname+p.Given) ||
				p.BirthDate > c.AsOf.Format(time.DateOnly) {
				t.Fatalf("accepted bad patient %+v", p)
			}
			mustSafe(t, p, c.AsOf)
		}
	})
}

// FuzzDecodeCensusFHIR: any bytes give a census or an *ImportError.
func FuzzDecodeCensusFHIR(f *testing.F) {
	for _, n := range []string{"census-bundle.json", "census-bundle-bad.json", "Patient-example.json", "Bundle-bundle-transaction.json", "census-orders.json", "census-beds.json"} {
		f.Add(mustRead(f, n))
	}
	f.Add(bundleWith(`{"resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"},
	  "medicationReference": {"reference": "#x"}, "contained": [{"resourceType": "Medication", "id": "x", "code": {"text": "X"}}],
	  "dosageInstruction": [{"asNeededBoolean": true, "timing": {"repeat": {"frequency": 1, "period": 1e300, "periodUnit": "wk"}},
	  "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "g"}}], "route": {"text": "oral"},
	  "maxDosePerPeriod": {"numerator": {"value": 9223372036854775807, "unit": "g"}, "denominator": {"value": 1, "code": "d"}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCensusFHIR(b, "fuzz.json", time.Time{})
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *ImportError", err)
		}
		if err == nil && len(oneBedEach(c.Patients, "entry")) > 0 {
			t.Fatalf("accepted two patients in one bed")
		}
		for _, p := range c.Patients {
			if len(p.NHSNumber) != 10 || p.Surname == "" {
				t.Fatalf("accepted bad patient %+v", p)
			}
			mustSafe(t, p, c.AsOf)
		}
	})
}

// mustSafe fails if a parsed patient carries an order, allergy or weight
// that is not safe to append: every order passes forms' hard checks, every
// allergy and weight is within bounds, and "no known allergies" never
// stands beside an allergy.
func mustSafe(t *testing.T, p CensusPatient, asOf time.Time) {
	t.Helper()
	for _, m := range p.Medicines {
		for _, pr := range m.order("x", "x", asOf).Validate() {
			if !pr.Soft {
				t.Fatalf("accepted unsafe order %+v: %s", m, pr.Message)
			}
		}
	}
	for _, a := range p.Allergies {
		if ms := checkAllergy(a); len(ms) > 0 {
			t.Fatalf("accepted bad allergy %+v: %v", a, ms)
		}
	}
	for _, w := range p.Weights {
		if checkWeight(w) != "" || w.MeasuredAt.After(asOf) {
			t.Fatalf("accepted bad weight %+v", w)
		}
	}
	if p.NoKnownAllergies && len(p.Allergies) > 0 {
		t.Fatalf("no known allergies beside allergies: %+v", p)
	}
}
