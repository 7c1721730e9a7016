package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

var asOf = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

func mustCSV(t *testing.T, name string, at time.Time) Census {
	t.Helper()
	c, err := ParseCensusCSV(bytes.NewReader(mustRead(t, name)), name, at)
	if err != nil {
		t.Fatalf("ParseCensusCSV(%s) = %v", name, err)
	}
	return c
}

func TestParseCensusCSV_Good(t *testing.T) {
	c := mustCSV(t, "census-good.csv", asOf)
	if len(c.Patients) != 3 {
		t.Fatalf("patients = %d, want 3", len(c.Patients))
	}
	p := c.Patients[0]
	if p.NHSNumber != "9990000018" || p.Surname != "OKAFOR" || p.Ward != "w7" || p.Bed != "b1" || len(p.Medicines) != 2 {
		t.Errorf("first patient = %+v", p)
	}
	if m := p.Medicines[0]; m.Dose != forms.Units(1) || m.DoseUnit != "g" || m.Frequency != forms.FreqQDS || m.DMDCode == "" {
		t.Errorf("first medicine = %+v", m)
	}
	if m := c.Patients[2].Medicines[0]; !m.PRN || m.Dose != 2500 {
		t.Errorf("PRN medicine = %+v, want PRN 2.5", m)
	}
	if !c.Patients[0].AdmittedAt.Equal(time.Date(2026, 11, 20, 9, 15, 0, 0, time.UTC)) {
		t.Errorf("admitted_at = %v", c.Patients[0].AdmittedAt)
	}
}

func TestParseCensusCSV_BadRowsAllReported(t *testing.T) {
	_, err := ParseCensusCSV(bytes.NewReader(mustRead(t, "census-bad.csv")), "census-bad.csv", asOf)
	var ie *ImportError
	if !errors.As(err, &ie) || !errors.Is(err, lifeboat.ErrInvalid) {
		t.Fatalf("err = %v, want *ImportError wrapping ErrInvalid", err)
	}
	want := []string{
		"line 2: NHS number 943 476 5918 fails its check digit",
		"line 3: surname is empty",
		`line 3: birth_date "1950-13-01" is not a date like 1948-02-11`,
		`line 4: admitted_at "yesterday" is not a date and time`,
		`line 4: sex "robot" is not male, female, other or unknown`,
		"line 4: bed is given but ward is empty",
		`line 5: dose ".5" is not a number like 500 or 2.5`,
		`line 5: frequency "DAILY" is not OD`,
		`line 6: surname "Blue" differs from line 5 ("Green")`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

func TestParseCensusCSV_Header(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "line 1: cannot read the header: the file is empty"},
		{"missing column", "nhs_number,surname,given\n", `line 1: missing column "birth_date"`},
		{"unknown column", "nhs_number,surname,given,birth_date,colour\n", `line 1: unknown column "colour"`},
		{"twice", "nhs_number,surname,given,birth_date,ward,ward\n", `column "ward" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCensusCSV(strings.NewReader(tt.in), "x.csv", asOf)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCensusCSV = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseCensusFHIR(t *testing.T) {
	tests := []struct {
		file     string
		patients int
		meds     int
		want     string // an error fragment, or "" for success
	}{
		{"census-bundle.json", 1, 2, ""},
		{"Patient-example.json", 0, 0, "entry 1: (Patient/example) has no NHS number (identifier system https://fhir.nhs.uk/Id/nhs-number)"},
		{"Bundle-bundle-transaction.json", 0, 0, `a census Bundle must be a searchset or collection, not "transaction"`},
		{"Encounter-example.json", 0, 0, `expected a Bundle or a Patient, not "Encounter"`},
		{"census-bundle-bad.json", 0, 0, "entry 1: (Patient/p1) NHS number 943 476 5918 fails its check digit"},
		{"census-bundle-bad.json", 0, 0, "entry 2: (Patient/p2) given name is empty"},
		{"census-bundle-bad.json", 0, 0, `entry 2: (Patient/p2) birth_date "1950" is not a date`},
		{"census-bundle-bad.json", 0, 0, "entry 3: (MedicationRequest/m1) subject Patient/nobody is not a Patient in this bundle"},
		{"census-bundle-bad.json", 0, 0, "entry 4: (MedicationRequest/m2) has no doseQuantity"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want, func(t *testing.T) {
			c, err := ParseCensusFHIR(mustRead(t, tt.file), tt.file, time.Time{})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) || len(c.Patients) != 0 {
					t.Fatalf("ParseCensusFHIR(%s) = %d patients, %v; want error %q", tt.file, len(c.Patients), err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCensusFHIR(%s) = %v", tt.file, err)
			}
			if len(c.Patients) != tt.patients || len(c.Patients[0].Medicines) != tt.meds {
				t.Fatalf("census = %+v", c)
			}
			p := c.Patients[0]
			if p.Surname != "Chalmers" || p.Given != "Peter James" || p.Ward != "w7" || p.Bed != "b4" || p.NHSNumber != "9990000085" || !c.AsOf.Equal(asOf) {
				t.Errorf("patient = %+v as of %v", p, c.AsOf)
			}
		})
	}
}

func TestImport_NewerSnapshotUpdatesWithoutDuplicates(t *testing.T) {
	ctx := t.Context()
	db, s := MustStore(t)
	app := StoreAppender(db, s)
	res, err := Import(ctx, db, app, mustCSV(t, "census-good.csv", asOf))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportCounts{Patients: 3, NewPatients: 3, Admissions: 3, Medicines: 3}); res.Counts != want {
		t.Errorf("first import counts = %+v, want %+v", res.Counts, want)
	}
	before, _ := db.Patients(ctx, "")
	// The same snapshot again changes nothing but records the import.
	res, err = Import(ctx, db, app, mustCSV(t, "census-good.csv", asOf))
	if err != nil || res.Events != 1 {
		t.Fatalf("re-import = %+v, %v; want only the census record", res, err)
	}
	res, err = Import(ctx, db, app, mustCSV(t, "census-newer.csv", asOf.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportCounts{Patients: 4, NewPatients: 1, UpdatedPatients: 1, Admissions: 1, Transfers: 1, StoppedMedicines: 1}); res.Counts != want {
		t.Errorf("newer import counts = %+v, want %+v", res.Counts, want)
	}
	after, err := db.Patients(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 4 {
		t.Fatalf("patients after = %d, want 4", len(after))
	}
	ids := map[string]store.PatientView{}
	for _, p := range after {
		ids[p.NHSNumber] = p
	}
	for _, p := range before {
		if ids[p.NHSNumber].ID != p.ID {
			t.Errorf("patient %s got a new ID", p.NHSNumber)
		}
	}
	if p := ids["9990000018"]; p.Given != "Grace Adaeze" {
		t.Errorf("amended given = %q", p.Given)
	}
	if p := ids["9990000026"]; p.Bed != "b5" {
		t.Errorf("moved bed = %q, want b5", p.Bed)
	}
	// An older snapshot is refused.
	if _, err := Import(ctx, db, app, mustCSV(t, "census-good.csv", asOf)); !errors.Is(err, lifeboat.ErrConflict) {
		t.Errorf("older import = %v, want ErrConflict", err)
	}
	evs, _ := db.EventsOfKind(ctx, KindCensusImported)
	var ci CensusImported
	json.Unmarshal(evs[len(evs)-1].Payload, &ci)
	if len(evs) != 3 || ci.Source != "census-newer.csv" || !ci.AsOf.Equal(asOf.Add(time.Hour)) || ci.Events != 5 {
		t.Errorf("census records = %d, last %+v", len(evs), ci)
	}
}

func TestImport_FHIRBundle(t *testing.T) {
	ctx := t.Context()
	db, s := MustStore(t)
	c, err := ParseCensusFHIR(mustRead(t, "census-bundle.json"), "census-bundle.json", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, db, StoreAppender(db, s), c); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Patients(ctx, "w7")
	if len(ps) != 1 || ps[0].Bed != "b4" || ps[0].Status != store.PatientAdmitted {
		t.Fatalf("patients = %+v", ps)
	}
	orders, _ := db.EventsOfKind(ctx, forms.KindMedOrdered)
	if len(orders) != 2 {
		t.Errorf("orders = %d, want 2", len(orders))
	}
}

func TestImport_StoreRefusalWritesNothing(t *testing.T) {
	ctx := t.Context()
	db, s := MustStore(t)
	c := mustCSV(t, "census-good.csv", asOf)
	c.Patients[2].Medicines[0].Route = "" // slips past parsing: the store refuses it
	if _, err := Import(ctx, db, StoreAppender(db, s), c); err == nil {
		t.Fatal("Import with a bad order succeeded")
	}
	if ps, _ := db.Patients(ctx, ""); len(ps) != 0 {
		t.Errorf("patients after a refused import = %d, want 0", len(ps))
	}
}
