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

var day = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func q(s string) forms.Quantity { return forms.MustQuantity(s) }

// seedWard records a ward, a patient admitted to a bed, a medicine order
// with doses, a CD register, handover, pharmacy and stock records.
func seedWard(t *testing.T, db *store.DB, s *store.Session) (patientID string, order forms.MedicationOrder) {
	t.Helper()
	at := day.Add(7 * time.Hour)
	w := forms.Ward{ID: "w7", Name: "Ward 7", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}, {ID: "b2", Label: "Bed 2"}, {ID: "e1", Label: "Trolley 1", Escalation: true}}}
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindWardDefined, PerformedAt: at, Payload: w})
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", at))
	storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, "w7", "b1", at))
	order = forms.MedicationOrder{ID: "ord-1", PatientID: p.Subject, Drug: "Paracetamol 500 mg tablets", Dose: q("1"), DoseUnit: "g",
		Route: "oral", Frequency: "QDS", Start: day, Source: "entered"}
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedOrdered, PerformedAt: at, Payload: order})
	slots := forms.DueSlots(order, day, time.UTC)
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slots[0].Time,
		Payload: forms.Administration{OrderID: order.ID, PatientID: p.Subject, Slot: forms.SlotTime(slots[0].Time), Outcome: forms.OutcomeGiven, Dose: q("1")}})
	morphine := forms.CDProduct{Drug: "Morphine sulfate", Form: "injection", Strength: "10 mg/1 ml"}
	pharm := storetest.MustPerson(t, db, s, "Phil Pharmacist", lifeboat.RolePharmacist)
	storetest.MustAppend(t, db, pharm, store.Draft{Kind: forms.KindCDEntry, PerformedAt: at,
		Payload: forms.CDEntry{ID: "cd-1", CDProduct: morphine, Location: "w7", Type: forms.CDReceipt, Quantity: q("10"), From: "Pharmacy"}})
	storetest.MustAppend(t, db, pharm, store.Draft{Kind: forms.KindCDEntry, PerformedAt: at,
		Payload: forms.CDEntry{ID: "cd-2", CDProduct: morphine, Location: "w7", Type: forms.CDAdministration, Quantity: q("1"), PatientID: p.Subject, Witness: "Nia Nurse"}})
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindHandoverNote, PerformedAt: at,
		Payload: forms.HandoverNote{ID: "n-1", PatientID: p.Subject, Text: "Settled overnight"}})
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindHandoverTask, PerformedAt: at,
		Payload: forms.HandoverTask{ID: "t-1", PatientID: p.Subject, Title: "Repeat potassium", Due: day.Add(18 * time.Hour)}})
	storetest.MustAppend(t, db, pharm, store.Draft{Kind: forms.KindStockLevel, PerformedAt: at,
		Payload: forms.StockLevel{Item: "Insulin aspart", Location: "Pharmacy", Quantity: q("2"), Unit: "cartridges", Minimum: q("5")}})
	storetest.MustAppend(t, db, pharm, store.Draft{Kind: forms.KindPharmacyTaskDone, PerformedAt: at,
		Payload: forms.PharmacyTaskDone{PlanID: "pharmacy-continuity", TaskID: "t1"}})
	return p.Subject, order
}

func TestWorkflows_RoundTripAndRebuild(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	pid, order := seedWard(t, db, s)

	mar, err := db.MAR(ctx, pid, day, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(mar.Rows) != 1 || mar.Rows[0].Order.ID != order.ID || mar.Rows[0].Cells[0].Status != forms.StatusGiven {
		t.Fatalf("MAR = %+v, want one row with the first dose given", mar.Rows)
	}
	lines, err := db.CDRegister(ctx, forms.CDProduct{Drug: "Morphine sulfate", Form: "injection", Strength: "10 mg/1 ml"}, "w7")
	if err != nil || len(lines) != 2 || lines[1].Balance != q("9") {
		t.Fatalf("CD register = %+v, %v; want 2 lines ending at 9", lines, err)
	}
	board, err := db.BedBoard(ctx, "w7")
	if err != nil {
		t.Fatal(err)
	}
	if board.Beds[0].State != forms.BedOccupied || len(board.Beds[0].Patients) != 1 || board.Beds[0].Patients[0] != pid {
		t.Errorf("bed board b1 = %+v, want occupied by the patient", board.Beds[0])
	}
	sums, site, err := db.SiteCapacity(ctx)
	if err != nil || len(sums) != 1 || site.Occupied != 1 || site.CoreBeds != 2 {
		t.Errorf("site capacity = %+v %+v, %v; want 1 of 2 core beds occupied", sums, site, err)
	}
	h, err := db.PatientHandover(ctx, pid, day.Add(19*time.Hour+30*time.Minute))
	if err != nil || len(h.Notes) != 1 || len(h.Tasks) != 1 || !h.Tasks[0].Overdue {
		t.Errorf("handover = %+v, %v; want one note and one overdue task carried over", h, err)
	}
	stock, err := db.Stock(ctx)
	if err != nil || len(stock) != 1 || !stock[0].BelowMinimum() {
		t.Errorf("stock = %+v, %v; want insulin below minimum", stock, err)
	}

	_, before := digests(t, db)
	if err := db.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	_, after := digests(t, db)
	if before != after {
		t.Error("workflow views after Rebuild differ from the incrementally built ones")
	}
}

func TestWorkflows_RulesRefuseBeforeRecording(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	pid, order := seedWard(t, db, s)
	morphine := forms.CDProduct{Drug: "Morphine sulfate", Form: "injection", Strength: "10 mg/1 ml"}
	at := day.Add(8 * time.Hour)
	tests := []struct {
		name string
		d    store.Draft
		want error
	}{
		{"CD balance below zero", store.Draft{Kind: forms.KindCDEntry, PerformedAt: at,
			Payload: forms.CDEntry{ID: "cd-9", CDProduct: morphine, Location: "w7", Type: forms.CDAdministration, Quantity: q("10"), PatientID: pid, Witness: "W"}}, lifeboat.ErrInvalid},
		{"CD administration without witness", store.Draft{Kind: forms.KindCDEntry, PerformedAt: at,
			Payload: forms.CDEntry{ID: "cd-8", CDProduct: morphine, Location: "w7", Type: forms.CDAdministration, Quantity: q("1"), PatientID: pid}}, lifeboat.ErrInvalid},
		{"occupied bed made available", store.Draft{Kind: forms.KindBedState, PerformedAt: at,
			Payload: forms.BedStateSet{Ward: "w7", Bed: "b1", State: forms.BedAvailable}}, lifeboat.ErrInvalid},
		{"unknown bed", store.Draft{Kind: forms.KindBedState, PerformedAt: at,
			Payload: forms.BedStateSet{Ward: "w7", Bed: "b99", State: forms.BedClosed}}, lifeboat.ErrInvalid},
		{"dose for an unknown order", store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at,
			Payload: forms.Administration{OrderID: "nope", PatientID: pid, Outcome: forms.OutcomeGiven, Dose: q("1")}}, lifeboat.ErrNotFound},
		{"omitted without reason", store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at,
			Payload: forms.Administration{OrderID: order.ID, PatientID: pid, Slot: forms.SlotTime(day.Add(12 * time.Hour)), Outcome: forms.OutcomeOmitted}}, lifeboat.ErrInvalid},
		{"order for an unknown patient", store.Draft{Kind: forms.KindMedOrdered, PerformedAt: at,
			Payload: forms.MedicationOrder{ID: "o2", PatientID: "ghost", Drug: "X", Dose: q("1"), DoseUnit: "mg", Route: "oral", Frequency: "OD", Start: day, Source: "entered"}}, lifeboat.ErrNotFound},
		{"subject that disagrees with the payload", store.Draft{Kind: forms.KindHandoverNote, Subject: "someone-else", PerformedAt: at,
			Payload: forms.HandoverNote{ID: "n-2", PatientID: pid, Text: "x"}}, lifeboat.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.Append(ctx, s, tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Append(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
	// Discharge frees the bed for cleaning, which then may become available.
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindPatientDischarged, Subject: pid, PerformedAt: at, Payload: forms.Discharge{PatientID: pid}})
	board, _ := db.BedBoard(ctx, "w7")
	if board.Beds[0].State != forms.BedCleaning {
		t.Errorf("bed after discharge = %s, want cleaning", board.Beds[0].State)
	}
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindBedState, PerformedAt: at, Payload: forms.BedStateSet{Ward: "w7", Bed: "b1", State: forms.BedAvailable}})
}

func TestWorkflows_DoubleDoseWarnedLocallyAndRaisedAcrossDevices(t *testing.T) {
	ctx := t.Context()
	a, as, b, bs := pair(t)
	pid, order := seedWard(t, a, as)
	mustApply(t, b, allEvents(t, a))
	slot := forms.DueSlots(order, day, time.UTC)[1]
	dose := forms.Administration{OrderID: order.ID, PatientID: pid, Slot: forms.SlotTime(slot.Time), Outcome: forms.OutcomeGiven, Dose: q("1")}

	// The two devices are apart: each records the noon dose.
	if _, dup, err := a.DoseAlreadyRecorded(ctx, dose); err != nil || dup {
		t.Fatalf("DoseAlreadyRecorded before any = %v, %v", dup, err)
	}
	storetest.MustAppend(t, a, as, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slot.Time, Payload: dose})
	if _, dup, _ := a.DoseAlreadyRecorded(ctx, dose); !dup {
		t.Error("DoseAlreadyRecorded after recording it = false, want the warning")
	}
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slot.Time, Payload: dose})
	if cs, _ := b.DoseConflicts(ctx, pid); len(cs) != 0 {
		t.Fatalf("conflicts on B before it hears from A = %+v", cs)
	}
	// They meet again: both show the double dose.
	mustApply(t, b, allEvents(t, a))
	mustApply(t, a, allEvents(t, b))
	for name, db := range map[string]*store.DB{"A": a, "B": b} {
		cs, err := db.DoseConflicts(ctx, pid)
		if err != nil || len(cs) != 1 || !cs[0].DoubleDose {
			t.Errorf("conflicts on %s = %+v, %v; want one double dose", name, cs, err)
		}
	}
	// A dose recorded after hearing of the first is a warning, not a conflict.
	next := dose
	next.Slot = forms.SlotTime(forms.DueSlots(order, day, time.UTC)[2].Time)
	storetest.MustAppend(t, a, as, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slot.Time, Payload: next})
	mustApply(t, b, allEvents(t, a))
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slot.Time, Payload: next})
	mustApply(t, a, allEvents(t, b))
	if cs, _ := a.DoseConflicts(ctx, pid); len(cs) != 1 {
		t.Errorf("conflicts after a sequential second record = %d, want still 1", len(cs))
	}
}

func TestWorkflows_PatientInTwoBedsAcrossDevices(t *testing.T) {
	ctx := t.Context()
	a, as, b, bs := pair(t)
	pid, _ := seedWard(t, a, as)
	mustApply(t, b, allEvents(t, a))
	at := day.Add(10 * time.Hour)
	storetest.MustAppend(t, a, as, store.Draft{Kind: forms.KindPatientTransferred, Subject: pid, PerformedAt: at, Payload: forms.Transfer{PatientID: pid, Ward: "w7", Bed: "b2"}})
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindPatientTransferred, Subject: pid, PerformedAt: at, Payload: forms.Transfer{PatientID: pid, Ward: "w7", Bed: "e1"}})
	mustApply(t, b, allEvents(t, a))
	mustApply(t, a, allEvents(t, b))
	for name, db := range map[string]*store.DB{"A": a, "B": b} {
		cs, err := db.BedConflicts(ctx)
		if err != nil || len(cs) != 1 || cs[0].PatientID != pid {
			t.Errorf("bed conflicts on %s = %+v, %v; want the patient in two places", name, cs, err)
		}
	}
	pa, _ := a.Patient(ctx, pid)
	pb, _ := b.Patient(ctx, pid)
	if pa.Bed != pb.Bed {
		t.Errorf("patient list shows bed %s on A and %s on B: views must stay deterministic", pa.Bed, pb.Bed)
	}
}

func TestNewTempID_UniquePerDeviceAndDurable(t *testing.T) {
	ctx := t.Context()
	a, _, b, _ := pair(t)
	seen := map[string]bool{}
	for _, db := range []*store.DB{a, b, a, b, a} {
		id, err := db.NewTempID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || !forms.IsTempID(id) {
			t.Fatalf("NewTempID = %q: repeated or malformed (seen %v)", id, seen)
		}
		seen[id] = true
	}
	dev, _ := a.Device(ctx)
	if !seen[forms.FormatTempID(dev, 3)] {
		t.Errorf("device A's third ID missing from %v", seen)
	}
}
