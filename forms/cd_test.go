package forms

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"lifeboat"
)

var morphine = CDProduct{Drug: "Morphine sulfate", Form: "oral solution", Strength: "10 mg/5 ml"}

func cdEntry(id string, typ CDEntryType, qty string) CDEntry {
	e := CDEntry{ID: id, CDProduct: morphine, Location: "Ward 7", Type: typ}
	switch typ {
	case CDReceipt:
		e.From = "Pharmacy"
	case CDAdministration:
		e.PatientID, e.Witness = "p1", "RN Jones"
	case CDReturn:
		e.To = "Pharmacy"
	case CDDestruction:
		e.Witness, e.Reason = "Pharmacist Patel", "expired"
	case CDCorrection:
		e.Reason = "miscount"
		e.Adjustment = MustQuantity(qty)
		return e
	}
	e.Quantity = MustQuantity(qty)
	return e
}

func TestRegisterKey(t *testing.T) {
	a := RegisterKey(CDProduct{" Morphine  Sulfate ", "Oral solution", "10 mg/5 ml"}, "WARD 7")
	b := RegisterKey(morphine, "ward 7")
	if a != b || a != "morphine sulfate|oral solution|10 mg/5 ml|ward 7" {
		t.Errorf("RegisterKey = %q and %q, want both %q", a, b, "morphine sulfate|oral solution|10 mg/5 ml|ward 7")
	}
	if RegisterKey(morphine, "ward 7") == RegisterKey(CDProduct{morphine.Drug, morphine.Form, "20 mg/ml"}, "ward 7") {
		t.Errorf("RegisterKey: two strengths share a register")
	}
}

func TestCDEntry_Validate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*CDEntry)
		typ    CDEntryType
		fields []string
	}{
		{"receipt ok", nil, CDReceipt, nil},
		{"administration ok", nil, CDAdministration, nil},
		{"return ok", nil, CDReturn, nil},
		{"destruction ok", nil, CDDestruction, nil},
		{"correction ok", nil, CDCorrection, nil},
		{"receipt without supplier", func(e *CDEntry) { e.From = "" }, CDReceipt, []string{"from"}},
		{"administration without witness", func(e *CDEntry) { e.Witness = " " }, CDAdministration, []string{"witness"}},
		{"administration without patient", func(e *CDEntry) { e.PatientID = "" }, CDAdministration, []string{"patient_id"}},
		{"return without destination", func(e *CDEntry) { e.To = "" }, CDReturn, []string{"to"}},
		{"destruction without witness or reason", func(e *CDEntry) { e.Witness, e.Reason = "", "" }, CDDestruction, []string{"witness", "reason"}},
		{"zero quantity", func(e *CDEntry) { e.Quantity = 0 }, CDReceipt, []string{"quantity"}},
		{"negative quantity", func(e *CDEntry) { e.Quantity = -1 }, CDAdministration, []string{"quantity"}},
		{"adjustment on a receipt", func(e *CDEntry) { e.Adjustment = 1 }, CDReceipt, []string{"adjustment"}},
		{"corrects on a receipt", func(e *CDEntry) { e.Corrects = "x" }, CDReceipt, []string{"corrects"}},
		{"correction without target", func(e *CDEntry) { e.Corrects = "" }, CDCorrection, []string{"corrects"}},
		{"correction of zero", func(e *CDEntry) { e.Adjustment = 0 }, CDCorrection, []string{"adjustment"}},
		{"correction with quantity", func(e *CDEntry) { e.Quantity = 1 }, CDCorrection, []string{"quantity"}},
		{"correction without reason", func(e *CDEntry) { e.Reason = "" }, CDCorrection, []string{"reason"}},
		{"no type", func(e *CDEntry) { e.Type = "" }, CDReceipt, []string{"type"}},
		{"unknown type", func(e *CDEntry) { e.Type = "loan" }, CDReceipt, []string{"type"}},
		{"missing product and place", func(e *CDEntry) { e.ID, e.CDProduct, e.Location = "", CDProduct{}, "" }, CDReceipt, []string{"id", "drug", "form", "strength", "location"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cdEntry("e1", tt.typ, "1")
			if tt.typ == CDCorrection {
				e.Corrects = "e0"
			}
			if tt.edit != nil {
				tt.edit(&e)
			}
			ps := e.Validate()
			var got []string
			for _, p := range ps {
				got = append(got, p.Field)
				if p.Soft {
					t.Errorf("Validate() problem %q is soft, want hard", p.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("Validate() fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestApplyCD(t *testing.T) {
	corr := func(adj string) CDEntry {
		e := cdEntry("c1", CDCorrection, adj)
		e.Corrects = "e0"
		return e
	}
	tests := []struct {
		name    string
		balance string
		entry   CDEntry
		want    string
		wantErr string
	}{
		{"receipt adds", "0", cdEntry("e1", CDReceipt, "100"), "100", ""},
		{"administration takes", "100", cdEntry("e1", CDAdministration, "2.5"), "97.5", ""},
		{"return takes", "10", cdEntry("e1", CDReturn, "4"), "6", ""},
		{"destruction takes", "10", cdEntry("e1", CDDestruction, "3"), "7", ""},
		{"correction up", "10", corr("1.5"), "11.5", ""},
		{"correction down", "10", corr("-0.5"), "9.5", ""},
		{"administration to exactly zero", "2.5", cdEntry("e1", CDAdministration, "2.5"), "0", ""},
		{"administration one thousandth below", "2.499", cdEntry("e1", CDAdministration, "2.5"), "2.499", "administration of 2.5 would leave a balance of -0.001 (balance now 2.499)"},
		{"administration one below", "1", cdEntry("e1", CDAdministration, "2"), "1", "administration of 2 would leave a balance of -1 (balance now 1)"},
		{"destruction at zero", "0", cdEntry("e1", CDDestruction, "1"), "0", "destruction of 1 would leave a balance of -1"},
		{"return one below", "3", cdEntry("e1", CDReturn, "4"), "3", "return of 4 would leave a balance of -1"},
		{"correction to exactly zero", "2", corr("-2"), "0", ""},
		{"correction one below", "2", corr("-3"), "2", "correction of -3 would leave a balance of -1 (balance now 2)"},
		{"invalid entry refused", "10", func() CDEntry { e := cdEntry("e1", CDAdministration, "1"); e.Witness = ""; return e }(), "10", "witness"},
		{"overflow refused", "999999999999.999", cdEntry("e1", CDReceipt, "1"), "999999999999.999", "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyCD(MustQuantity(tt.balance), tt.entry)
			if got != MustQuantity(tt.want) {
				t.Errorf("ApplyCD(%s, %s %s) = %s, want %s", tt.balance, tt.entry.Type, tt.entry.Quantity, got, tt.want)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ApplyCD(%s, %s) error = %v, want nil", tt.balance, tt.entry.Type, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("ApplyCD(%s, %s) error = %v, want ErrInvalid containing %q", tt.balance, tt.entry.Type, err, tt.wantErr)
			}
		})
	}
}

func TestLedger(t *testing.T) {
	fix := cdEntry("c1", CDCorrection, "-1")
	fix.Corrects = "r1"
	entries := []CDEntry{
		cdEntry("r1", CDReceipt, "10"),
		cdEntry("a1", CDAdministration, "2.5"),
		fix,
		cdEntry("t1", CDReturn, "1"),
		cdEntry("d1", CDDestruction, "0.5"),
	}
	lines, err := Ledger(entries)
	if err != nil {
		t.Fatalf("Ledger() error = %v, want nil", err)
	}
	want := []string{"10", "7.5", "6.5", "5.5", "5"}
	for i, l := range lines {
		if l.Balance.String() != want[i] || l.Problem != "" {
			t.Errorf("Ledger()[%d] balance = %s (%q), want %s", i, l.Balance, l.Problem, want[i])
		}
	}
	if got := lines[0].CorrectedBy; len(got) != 1 || got[0] != "c1" {
		t.Errorf("Ledger()[0].CorrectedBy = %v, want [c1]", got)
	}
	if entries[0].Quantity != Units(10) {
		t.Errorf("Ledger altered the corrected entry")
	}
	if lines, err := Ledger(nil); err != nil || len(lines) != 0 {
		t.Errorf("Ledger(nil) = %v, %v, want empty, nil", lines, err)
	}
}

func TestLedger_Flags(t *testing.T) {
	other := cdEntry("x1", CDReceipt, "1")
	other.Location = "Ward 8"
	badFix := cdEntry("c9", CDCorrection, "1")
	badFix.Corrects = "nope"
	noWitness := cdEntry("a3", CDAdministration, "1")
	noWitness.Witness = ""
	tests := []struct {
		name     string
		entries  []CDEntry
		line     int
		balance  string
		problem  string
		conflict bool
	}{
		{"two devices gave the last dose", []CDEntry{cdEntry("r1", CDReceipt, "1"), cdEntry("a1", CDAdministration, "1"), cdEntry("a2", CDAdministration, "1")}, 2, "-1", "below zero", true},
		{"other register", []CDEntry{cdEntry("r1", CDReceipt, "1"), other}, 1, "2", "belongs to register", false},
		{"repeated ID", []CDEntry{cdEntry("r1", CDReceipt, "1"), cdEntry("r1", CDReceipt, "1")}, 1, "2", "repeats", false},
		{"correction of unknown entry", []CDEntry{cdEntry("r1", CDReceipt, "1"), badFix}, 1, "2", "not earlier", false},
		{"correction before its target", []CDEntry{func() CDEntry { c := badFix; c.Corrects = "r2"; return c }(), cdEntry("r2", CDReceipt, "1")}, 0, "1", "not earlier", false},
		{"invalid line still counted", []CDEntry{cdEntry("r1", CDReceipt, "3"), noWitness}, 1, "2", "witness", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := Ledger(tt.entries)
			if len(lines) != len(tt.entries) {
				t.Fatalf("Ledger() returned %d lines, want %d", len(lines), len(tt.entries))
			}
			l := lines[tt.line]
			if l.Balance.String() != tt.balance || !strings.Contains(l.Problem, tt.problem) {
				t.Errorf("Ledger()[%d] = %s %q, want %s containing %q", tt.line, l.Balance, l.Problem, tt.balance, tt.problem)
			}
			if err == nil {
				t.Fatalf("Ledger() error = nil, want one")
			}
			if got := errors.Is(err, lifeboat.ErrConflict); got != tt.conflict {
				t.Errorf("errors.Is(Ledger() error, ErrConflict) = %v, want %v", got, tt.conflict)
			}
			if !tt.conflict && !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("Ledger() error = %v, want ErrInvalid", err)
			}
		})
	}
}

// BenchmarkCDLedger replays a register of 10,000 entries: a receipt of 100
// then administrations of 1 (with a correction every 500 lines).
func BenchmarkCDLedger(b *testing.B) {
	entries := make([]CDEntry, 0, 10000)
	for i := range 10000 {
		id := fmt.Sprintf("e%05d", i)
		switch {
		case i%100 == 0:
			entries = append(entries, cdEntry(id, CDReceipt, "100"))
		case i%500 == 499:
			c := cdEntry(id, CDCorrection, "-0.5")
			c.Corrects = entries[i-1].ID
			entries = append(entries, c)
		default:
			entries = append(entries, cdEntry(id, CDAdministration, "1"))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Ledger(entries); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCDProduct_Unit(t *testing.T) {
	for form, want := range map[string]string{
		"oral solution":           "ml",
		"Oral Solution":           "ml",
		"solution for injection":  "ampoules",
		"injection":               "ampoules",
		"tablets":                 "tablets",
		"modified-release tablet": "tablets",
		"capsules":                "capsules",
		"transdermal patch":       "patches",
		"oral suspension":         "ml",
		"vial":                    "vials",
		"":                        "",
		"powder":                  "",
	} {
		if got := (CDProduct{Drug: "X", Form: form}).Unit(); got != want {
			t.Errorf("Unit(%q) = %q, want %q", form, got, want)
		}
	}
}
