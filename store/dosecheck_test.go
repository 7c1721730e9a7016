package store_test

import (
	"errors"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// TestDoses_StoreRefusesWhatTheScreenWouldWarnOf: the store's own check of
// a local dose, whatever made it: a dose at or after the order's stop, a
// dose past a warning with no override, and a controlled drug whose
// witness is not an eligible person other than the giver are refused with
// nothing written; the dose and its register line are both or neither.
func TestDoses_StoreRefusesWhatTheScreenWouldWarnOf(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(14 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	pid, regular := seedWard(t, db, s)
	nurse := storetest.MustPerson(t, db, s, "Nia Nurse", lifeboat.RoleWardStaff)
	storetest.MustPerson(t, db, s, "Bea Beds", lifeboat.RoleBedManager)
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for _, u := range users {
		id[u.Name] = u.ID
	}
	stop := day.Add(5 * time.Hour)
	prn := forms.MedicationOrder{ID: "ord-prn", PatientID: pid, Drug: "Paracetamol 500 mg tablets", Dose: q("1"), DoseUnit: "g", Route: "oral",
		PRN: true, MinIntervalHours: q("4"), MaxDailyDose: q("4"), MaxDailyDoseUnit: "g", Start: day, Source: "entered"}
	ibu := forms.MedicationOrder{ID: "ord-ibu", PatientID: pid, Drug: "Ibuprofen 400 mg tablets", Dose: q("400"), DoseUnit: "mg", Route: "oral",
		PRN: true, Start: day, Source: "entered"}
	morphine := forms.CDProduct{Drug: "Morphine sulfate", Form: "injection", Strength: "10 mg/1 ml"}
	cd := forms.MedicationOrder{ID: "ord-cd", PatientID: pid, Drug: "Morphine sulfate 10 mg/1 ml injection", Dose: q("10"), DoseUnit: "mg", Route: "SC",
		PRN: true, Controlled: true, CDProduct: &morphine, Start: day, Source: "entered"}
	for _, o := range []forms.MedicationOrder{prn, ibu, cd} {
		storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedOrdered, PerformedAt: day.Add(time.Hour), Payload: o})
	}
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedStopped, PerformedAt: day.Add(4 * time.Hour),
		Payload: forms.MedicationStop{OrderID: ibu.ID, PatientID: pid, Effective: stop, Reason: "AKI"}})
	give := func(o forms.MedicationOrder) forms.Administration {
		return forms.Administration{OrderID: o.ID, PatientID: pid, Outcome: forms.OutcomeGiven, Dose: o.Dose}
	}
	count := func() int {
		recs, err := db.Administrations(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	refused := func(name string, sess *store.Session, drafts ...store.Draft) {
		t.Helper()
		before := count()
		lines, _ := db.CDRegister(ctx, morphine, "w7")
		if _, err := db.AppendAll(ctx, sess, drafts); !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		after, _ := db.CDRegister(ctx, morphine, "w7")
		if count() != before || len(after) != len(lines) {
			t.Errorf("%s: something was written", name)
		}
	}
	dose := func(at time.Time, a forms.Administration) store.Draft {
		return store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at, Payload: a}
	}

	// Stop: exactly at the stop is refused; a minute before is a dose.
	refused("dose at the stop instant", s, dose(stop, give(ibu)))
	refused("dose after the stop", s, dose(clock.Now(), give(ibu)))
	storetest.MustAppend(t, db, s, dose(stop.Add(-time.Minute), give(ibu)))

	// PRN limits across the regular and PRN orders (06:00 regular given):
	// the warning needs an override with a reason for its own code. (A
	// regular and a PRN order of one drug is the usual pattern: flagged on
	// the MAR, no reason of its own at each dose.)
	at := day.Add(8 * time.Hour)
	ws, err := db.DoseWarnings(ctx, pid, prn.ID, 0, at)
	if err != nil || len(ws) != 1 || ws[0].Code != forms.WarnTooSoon {
		t.Fatalf("DoseWarnings at 08:00 = %+v, %v; want too soon (the 06:00 regular dose)", ws, err)
	}
	refused("no overrides", s, dose(at, give(prn)))
	other := give(prn)
	other.Overrides = []forms.DoseOverride{{Code: forms.WarnOverDailyMax, Reason: "pain"}}
	refused("an override of another warning", s, dose(at, other))
	blank := give(prn)
	blank.Overrides = []forms.DoseOverride{{Code: forms.WarnTooSoon, Reason: "   "}}
	refused("a blank reason", s, dose(at, blank))
	full := give(prn)
	full.Overrides = []forms.DoseOverride{{Code: forms.WarnTooSoon, Reason: "pain"}}
	storetest.MustAppend(t, db, s, dose(at, full))
	// The regular order's own dose now counts the PRN dose: 12:00 is
	// exactly 4 hours after 08:00, allowed.
	slot := forms.DueSlots(regular, day, time.UTC)[1]
	reg := give(regular)
	reg.Slot = forms.SlotTime(slot.Time)
	if ws, _ := db.DoseWarnings(ctx, pid, regular.ID, 0, slot.Time); len(ws) != 0 {
		t.Errorf("regular dose at 12:00 warnings = %+v, want none (exactly the interval)", ws)
	}
	if ws, _ := db.DoseWarnings(ctx, pid, regular.ID, 0, slot.Time.Add(-time.Minute)); len(ws) != 1 || ws[0].Code != forms.WarnTooSoon {
		t.Errorf("regular dose at 11:59 warnings = %+v, want too soon (the PRN order's interval)", ws)
	}

	// Controlled drug: witness rules, then both or neither.
	line := func(qty string) store.Draft {
		return store.Draft{Kind: forms.KindCDEntry, PerformedAt: clock.Now(), Payload: forms.CDEntry{ID: "cd-" + qty, CDProduct: morphine, Location: "w7",
			Type: forms.CDAdministration, Quantity: q(qty), PatientID: pid, Witness: "Phil Pharmacist", OrderID: cd.ID}}
	}
	withWitness := func(w string) forms.Administration { a := give(cd); a.Witness = w; return a }
	refused("no witness", nurse, dose(clock.Now(), give(cd)), line("1"))
	refused("witness is the giver", nurse, dose(clock.Now(), withWitness(id["Nia Nurse"])), line("1"))
	refused("witness not known here", nurse, dose(clock.Now(), withWitness("u-from-elsewhere")), line("1"))
	refused("witness a bed manager", nurse, dose(clock.Now(), withWitness(id["Bea Beds"])), line("1"))
	refused("register would go below zero", nurse, dose(clock.Now(), withWitness(id["Phil Pharmacist"])), line("10"))
	if _, err := db.AppendAll(ctx, nurse, []store.Draft{dose(clock.Now(), withWitness(id["Phil Pharmacist"])), line("1")}); err != nil {
		t.Fatalf("witnessed controlled dose with its register line: %v", err)
	}
	lines, err := db.CDRegister(ctx, morphine, "w7")
	if err != nil || len(lines) != 3 || lines[2].Balance != q("8") {
		t.Errorf("register = %+v, %v; want a third line leaving 8", lines, err)
	}
	reg2, err := db.RegisterDoses(ctx, pid)
	if err != nil || len(reg2) != 2 || reg2[0].Entry.OrderID != "" || reg2[1].Entry.OrderID != cd.ID {
		t.Errorf("RegisterDoses = %+v, %v; want the register screen's line and the MAR's", reg2, err)
	}
}
