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

func TestRegisterArrival_TempIDDuplicatesAndSameNHS(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	known, _ := seedWard(t, db, s) // Richard Smith, 1957-03-04, NHS 943 476 5919
	at := clock.Now()

	// Invalid details come back as problems, and no temporary ID is used up.
	_, err := db.RegisterArrival(ctx, s, store.Arrival{Patient: forms.Patient{Surname: "Jones", BirthDate: "1980-13-01", NHSNumber: "9434765918"}, Ward: "w7"}, at)
	var ps forms.Problems
	if !errors.As(err, &ps) || len(ps.For("given")) == 0 || len(ps.For("birth_date")) == 0 || len(ps.For("nhs_number")) == 0 {
		t.Fatalf("RegisterArrival(bad details) = %v, want problems for given, birth_date, nhs_number", err)
	}

	// A new person without an NHS number gets this device's first temporary ID.
	p, err := db.RegisterArrival(ctx, s, store.Arrival{Patient: forms.Patient{Surname: " Okafor ", Given: "Ada", BirthDate: "1990-05-06", Sex: "female"}, Ward: "w7", Bed: "b2"}, at)
	if err != nil {
		t.Fatalf("RegisterArrival(new): %v", err)
	}
	dev, _ := db.Device(ctx)
	if p.TempID != forms.FormatTempID(dev, 1) || p.Surname != "Okafor" || p.ID == "" {
		t.Errorf("registered %+v, want temp ID %s and a trimmed surname", p, forms.FormatTempID(dev, 1))
	}
	v, err := db.Patient(ctx, p.ID)
	if err != nil || v.Status != store.PatientAdmitted || v.Ward != "w7" || v.Bed != "b2" {
		t.Errorf("Patient(new) = %+v, %v; want admitted to w7 b2", v, err)
	}

	// Day and month swapped, name spelt differently: offered, refused without NotDuplicate.
	like := store.Arrival{Patient: forms.Patient{Surname: "Smyth", Given: "Richard", BirthDate: "1957-04-03"}, Ward: "w7"}
	_, err = db.RegisterArrival(ctx, s, like, at)
	var dup *store.DuplicateError
	if !errors.As(err, &dup) || dup.SameNHS != nil || len(dup.Candidates) != 1 || dup.Candidates[0].Patient.ID != known ||
		!errors.Is(err, lifeboat.ErrConflict) {
		t.Fatalf("RegisterArrival(look-alike) = %v, want one candidate, the known patient", err)
	}
	like.NotDuplicate = true
	if _, err := db.RegisterArrival(ctx, s, like, at); err != nil {
		t.Fatalf("RegisterArrival(look-alike, checked not a duplicate): %v", err)
	}

	// The same NHS number as a live record is refused even when told it is not a duplicate.
	same := store.Arrival{Patient: forms.Patient{Surname: "Other", Given: "Person", BirthDate: "2000-01-01", NHSNumber: "943 476 5919"}, Ward: "w7", NotDuplicate: true}
	_, err = db.RegisterArrival(ctx, s, same, at)
	if !errors.As(err, &dup) || dup.SameNHS == nil || dup.SameNHS.ID != known {
		t.Fatalf("RegisterArrival(same NHS) = %v, want refused naming the known record", err)
	}
}

func TestMerge_EventsFollowSurvivorAndBothIDsFindable(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	known, order := seedWard(t, db, s)
	at := clock.Now()
	temp, err := db.RegisterArrival(ctx, s, store.Arrival{Patient: forms.Patient{Surname: "Smith", Given: "Rick", BirthDate: "1957-03-04"}, Ward: "w7", Bed: "b2", NotDuplicate: true}, at)
	if err != nil {
		t.Fatal(err)
	}
	// Care recorded on the temporary record: obs, a handover note, a dose of the known patient's order.
	storetest.MustAppend(t, db, s, storetest.ObsDraft(temp.ID, 16, 97, 120, 80, 37.0, at))
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindHandoverNote, PerformedAt: at,
		Payload: forms.HandoverNote{ID: "n-temp", PatientID: temp.ID, Text: "Arrived by ambulance"}})
	tord := order
	tord.ID, tord.PatientID = "ord-temp", temp.ID
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedOrdered, PerformedAt: at, Payload: tord})
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at,
		Payload: forms.Administration{OrderID: tord.ID, PatientID: temp.ID, Slot: forms.SlotTime(day.Add(12 * time.Hour)), Outcome: forms.OutcomeGiven, Dose: q("1")}})

	merge := store.Draft{Kind: forms.KindPatientMerged, Subject: known, PerformedAt: at,
		Payload: forms.PatientMerge{SurvivorID: known, MergedID: temp.ID, NHSNumber: "9434765919", TempID: temp.TempID, Reason: "matched in the core system"}}
	pharm := storetest.MustPerson(t, db, s, "Phil Pharmacist", lifeboat.RolePharmacist)
	if _, err := db.Append(ctx, pharm, merge); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("a pharmacist merging records: %v, want ErrPermission", err)
	}
	me := storetest.MustAppend(t, db, s, merge)

	check := func(when string) {
		t.Helper()
		obs, err := db.Observations(ctx, known)
		if err != nil || len(obs) != 1 {
			t.Errorf("%s: survivor's observations = %d, %v; want the merged record's set", when, len(obs), err)
		}
		h, err := db.PatientHandover(ctx, known, day.Add(20*time.Hour))
		if err != nil || len(h.Notes) != 2 {
			t.Errorf("%s: survivor's handover notes = %d, %v; want both records' notes", when, len(h.Notes), err)
		}
		mar, err := db.MAR(ctx, known, day, clock.Now())
		if err != nil || len(mar.Rows) != 2 {
			t.Errorf("%s: survivor's MAR has %d rows, %v; want both records' orders", when, len(mar.Rows), err)
		}
		admins, err := db.Administrations(ctx, known)
		if err != nil || len(admins) != 2 {
			t.Errorf("%s: survivor's doses = %d, %v; want both records' doses", when, len(admins), err)
		}
		evs, err := db.Events(ctx, temp.ID, forms.KindObsRecorded)
		if err != nil || len(evs) != 1 {
			t.Errorf("%s: events read by the old ID = %d, %v", when, len(evs), err)
		}
		v, err := db.Patient(ctx, temp.ID)
		if err != nil || v.Status != store.PatientMerged || v.MergedInto != known || v.Live() {
			t.Errorf("%s: merged record = %+v, %v; want merged into the survivor", when, v, err)
		}
		sv, err := db.Patient(ctx, known)
		if err != nil || len(sv.Merged) != 1 || sv.Merged[0].TempID != temp.TempID || !sv.KnownAs(temp.ID) {
			t.Errorf("%s: survivor = %+v, %v; want the temporary record findable through it", when, sv, err)
		}
		if sv.Status != store.PatientAdmitted || sv.Bed != "b2" {
			t.Errorf("%s: survivor is %s in %s, want admitted to the bed of the newest admission (b2)", when, sv.Status, sv.Bed)
		}
		cands, _ := db.PossibleDuplicates(ctx, forms.Patient{Surname: "Smith", Given: "Rick", BirthDate: "1957-03-04"})
		if len(cands) != 1 || cands[0].Patient.ID != known {
			t.Errorf("%s: duplicates of the merged details = %+v, want the survivor only", when, cands)
		}
	}
	check("after the merge")
	if err := db.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a rebuild")

	// Merging the merged record again is refused.
	if _, err := db.Append(ctx, s, merge); !errors.Is(err, lifeboat.ErrConflict) {
		t.Errorf("merging an already merged record: %v, want ErrConflict", err)
	}
	// Entered in error, the merge splits the records again; nothing was lost.
	if _, err := db.EnterInError(ctx, s, me.ID, "wrong patient", at); err != nil {
		t.Fatal(err)
	}
	v, _ := db.Patient(ctx, temp.ID)
	obs, _ := db.Observations(ctx, known)
	if !v.Live() || v.Bed != "b2" || len(obs) != 0 {
		t.Errorf("after the merge was cancelled: temp record %+v, survivor has %d obs; want two separate records again", v, len(obs))
	}
}
