package reconcile

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// TestConfirmMatch_MergesOntoNHSNumberAlreadyHeld: matching a temporary
// patient to an NHS number another live record holds merges the two
// (never two live records with one number); a match that is not safe is
// refused with the way forward and records nothing.
func TestConfirmMatch_MergesOntoNHSNumberAlreadyHeld(t *testing.T) {
	d := MustDowntime(t)
	ctx := t.Context()
	at := storetest.T0.Add(10 * time.Hour)
	known := add(t, d, storetest.PatientDraft("Doe", "Jane", "1980-05-05", "9434765919", at)).Subject

	// Grace Okafor's number: a different date of birth and name, refused.
	before, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	_, err := ConfirmMatch(ctx, d.db, StoreAppender(d.db, d.s), d.tempPID, "9990000018", at)
	var ps forms.Problems
	if !errors.As(err, &ps) || !strings.Contains(ps[0].Message, "check identity") {
		t.Fatalf("ConfirmMatch onto another person's number = %v, want refused with the way forward", err)
	}
	if after, _ := d.db.EventsAfter(ctx, nil, 1<<30); len(after) != len(before) {
		t.Fatalf("a refused match recorded %d events", len(after)-len(before))
	}

	got, err := ConfirmMatch(ctx, d.db, StoreAppender(d.db, d.s), d.tempPID, "943 476 5919", at)
	if err != nil || got.ID != known {
		t.Fatalf("ConfirmMatch onto a held number = %+v, %v; want merged into the record holding it", got, err)
	}
	v, _ := d.db.Patient(ctx, d.tempPID)
	if v.Status != store.PatientMerged || v.MergedInto != known {
		t.Errorf("temporary record after the match = %s into %s, want merged into %s", v.Status, v.MergedInto, known)
	}
	sv, _ := d.db.Patient(ctx, known)
	if sv.Status != store.PatientAdmitted || sv.Bed != "b3" || len(sv.Merged) != 1 {
		t.Errorf("survivor = %+v, want admitted to the temporary record's bed with it merged in", sv)
	}
	temps, _ := TempMatches(ctx, d.db)
	for _, tp := range temps {
		if tp.ID == d.tempPID {
			t.Errorf("the merged temporary patient is still waiting for a match")
		}
	}
	shared, _ := SharedNHS(ctx, d.db)
	if len(shared) != 0 {
		t.Errorf("after the merge, NHS numbers shared by live records: %+v", shared)
	}
}

// TestSharedNHS_FlagsAndMergeClears: two live records with one NHS number
// are listed (survivor the first registered) until MergeShared merges
// them; an unsafe merge is refused.
func TestSharedNHS_FlagsAndMergeClears(t *testing.T) {
	d := MustDowntime(t)
	ctx := t.Context()
	at := storetest.T0.Add(10 * time.Hour)
	first := add(t, d, storetest.PatientDraft("Doe", "John", "1970-01-02", "9434765919", at)).Subject
	second := add(t, d, storetest.PatientDraft("DOE", "Jon", "1970-01-02", "943 476 5919", at.Add(time.Minute))).Subject
	odd := add(t, d, storetest.PatientDraft("Other", "Person", "1999-09-09", "9434765919", at.Add(2*time.Minute))).Subject

	shared, err := SharedNHS(ctx, d.db)
	if err != nil || len(shared) != 1 || shared[0].NHSNumber != "9434765919" || shared[0].Survivor.ID != first || len(shared[0].Others) != 2 {
		t.Fatalf("SharedNHS = %+v, %v; want one number, first registered surviving, two others", shared, err)
	}
	if err := MergeShared(ctx, d.db, StoreAppender(d.db, d.s), first, odd, "checked", at); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("MergeShared of two different people = %v, want refused", err)
	}
	if err := MergeShared(ctx, d.db, StoreAppender(d.db, d.s), first, d.tempPID, "checked", at); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("MergeShared of a record without the number = %v, want refused", err)
	}
	if err := MergeShared(ctx, d.db, StoreAppender(d.db, d.s), first, second, "same man, checked with him", at); err != nil {
		t.Fatal(err)
	}
	shared, _ = SharedNHS(ctx, d.db)
	if len(shared) != 1 || len(shared[0].Others) != 1 || shared[0].Others[0].ID != odd {
		t.Errorf("after one merge, SharedNHS = %+v; want only the other person left", shared)
	}
}
