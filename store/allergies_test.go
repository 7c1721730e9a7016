package store_test

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

// allergyState renders a list as "Substance:status ..." with "NKA" last
// when no known allergies stands.
func allergyState(l forms.AllergyList) string {
	var s []string
	for _, a := range l.Allergies {
		s = append(s, a.Substance+":"+a.Status)
	}
	if l.NoneKnown {
		s = append(s, "NKA")
	}
	if l.NoneKnownDisputed {
		s = append(s, "DISPUTED")
	}
	return strings.Join(s, " ")
}

func mustAllergies(t *testing.T, db *store.DB, pid string) (forms.AllergyList, []store.Record) {
	t.Helper()
	l, recs, err := db.AllergyRecords(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(l.Allergies) {
		t.Fatalf("AllergyRecords gave %d records for %d allergies", len(recs), len(l.Allergies))
	}
	for i, a := range l.Allergies {
		if recs[i].Kind != forms.KindAllergyRecorded || !strings.Contains(string(recs[i].Payload), `"substance":"`+a.Substance+`"`) || !recs[i].Final() {
			t.Errorf("record %d = %+v, want the standing record of %s", i, recs[i], a.Substance)
		}
	}
	return l, recs
}

func TestAllergies_RecordCorrectCancel(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", day))
	pid := p.Subject
	step := func(d store.Draft) lifeboat.Event {
		t.Helper()
		clock.Advance(time.Minute)
		d.PerformedAt = clock.Now()
		return storetest.MustAppend(t, db, s, d)
	}
	allergy := func(id, sub, status string) forms.Allergy {
		return forms.Allergy{ID: id, PatientID: pid, Substance: sub, Status: status, Source: forms.SourceEntered}
	}
	want := func(state string) {
		t.Helper()
		if l, _ := mustAllergies(t, db, pid); allergyState(l) != state {
			t.Errorf("allergies = %q, want %q", allergyState(l), state)
		}
	}

	want("")
	step(store.Draft{Kind: forms.KindAllergyNoneKnown, Payload: forms.NoKnownAllergies{PatientID: pid}})
	want("NKA")
	// An allergy learnt after "no known allergies" outranks it.
	latex := step(store.Draft{Kind: forms.KindAllergyRecorded, Payload: allergy("a1", "Latex", forms.AllergyActive)})
	want("Latex:active")
	// A correction names the record it amends; the old one stops standing.
	fixed := step(store.Draft{Kind: forms.KindAllergyRecorded, Corrects: latex.ID, Payload: allergy("a1", "Latex gloves", forms.AllergyActive)})
	want("Latex gloves:active")
	// "No known allergies" recorded now does not hide it.
	step(store.Draft{Kind: forms.KindAllergyNoneKnown, Payload: forms.NoKnownAllergies{PatientID: pid}})
	want("Latex gloves:active DISPUTED")
	pen := step(store.Draft{Kind: forms.KindAllergyRecorded, Payload: allergy("a2", "Penicillin", forms.AllergyActive)})
	want("Latex gloves:active Penicillin:active DISPUTED")
	resolved := step(store.Draft{Kind: forms.KindAllergyRecorded, Corrects: fixed.ID, Payload: allergy("a1", "Latex gloves", forms.AllergyResolved)})
	want("Penicillin:active Latex gloves:resolved")
	_, recs := mustAllergies(t, db, pid)
	if recs[0].EventID != pen.ID || recs[1].EventID != resolved.ID {
		t.Errorf("records = %s, %s; want %s, %s", recs[0].EventID, recs[1].EventID, pen.ID, resolved.ID)
	}
	// Entered in error: the allergy was never so.
	clock.Advance(time.Minute)
	if _, err := db.EnterInError(ctx, s, pen.ID, "wrong patient", clock.Now()); err != nil {
		t.Fatal(err)
	}
	want("Latex gloves:resolved")
	l, err := db.Allergies(ctx, pid)
	if err != nil || l.Summary() != "No active allergies (past ones on record)" {
		t.Errorf("Summary() = %q, %v", l.Summary(), err)
	}
	// Asked again: none known now.
	step(store.Draft{Kind: forms.KindAllergyNoneKnown, Payload: forms.NoKnownAllergies{PatientID: pid}})
	want("Latex gloves:resolved NKA")
}

func TestAllergies_LocalAppendValidated(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	db, s := storetest.MustInit(t, testOpts(clock))
	pid := storetest.MustAppend(t, db, s, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", day)).Subject
	now := clock.Now()
	for _, tt := range []struct {
		name string
		d    store.Draft
	}{
		{"allergy with no substance", store.Draft{Kind: forms.KindAllergyRecorded, Payload: forms.Allergy{ID: "a1", PatientID: pid, Status: forms.AllergyActive, Source: forms.SourceEntered}}},
		{"allergy with a made-up status", store.Draft{Kind: forms.KindAllergyRecorded, Payload: forms.Allergy{ID: "a1", PatientID: pid, Substance: "Latex", Status: "maybe", Source: forms.SourceEntered}}},
		{"allergy with a made-up severity", store.Draft{Kind: forms.KindAllergyRecorded, Payload: forms.Allergy{ID: "a1", PatientID: pid, Substance: "Latex", Severity: "bad", Status: forms.AllergyActive, Source: forms.SourceEntered}}},
		{"weight in grams", store.Draft{Kind: forms.KindWeightRecorded, Payload: forms.Weight{PatientID: pid, Kg: forms.Units(70000)}}},
		{"weight of nothing", store.Draft{Kind: forms.KindWeightRecorded, Payload: forms.Weight{PatientID: pid}}},
		{"weight measured tomorrow", store.Draft{Kind: forms.KindWeightRecorded, Payload: forms.Weight{PatientID: pid, Kg: forms.Units(70), MeasuredAt: now.Add(24 * time.Hour)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.PerformedAt = now
			if _, err := db.Append(ctx, s, tt.d); !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("Append = %v, want ErrInvalid", err)
			}
		})
	}
	// A weight outside the typical range is unusual, not refused; the
	// newest measured stands, whatever order they were recorded in.
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindWeightRecorded, PerformedAt: now,
		Payload: forms.Weight{PatientID: pid, Kg: forms.MustQuantity("1.2"), MeasuredAt: now.Add(-time.Hour)}})
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindWeightRecorded, PerformedAt: now,
		Payload: forms.Weight{PatientID: pid, Kg: forms.MustQuantity("80"), MeasuredAt: now.Add(-48 * time.Hour), Estimated: true}})
	w, ok, err := db.LatestWeight(ctx, pid)
	if err != nil || !ok || w.Kg != forms.MustQuantity("1.2") || !w.MeasuredAt.Equal(now.Add(-time.Hour)) {
		t.Errorf("LatestWeight = %+v, %v, %v; want 1.2 kg measured an hour ago", w, ok, err)
	}
}

// TestAllergies_TwoDevicesApart: an allergy recorded on one device and
// "no known allergies" on another that had not heard of it resolve the
// same on both once they sync: the allergy stands, disputed.
func TestAllergies_TwoDevicesApart(t *testing.T) {
	a, as, b, bs := pair(t)
	at := storetest.T0.Add(time.Hour)
	pid := storetest.MustAppend(t, a, as, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", at)).Subject
	mustApply(t, b, allEvents(t, a))
	storetest.MustAppend(t, a, as, store.Draft{Kind: forms.KindAllergyRecorded, PerformedAt: at,
		Payload: forms.Allergy{ID: "a1", PatientID: pid, Substance: "Latex", Status: forms.AllergyActive, Source: forms.SourceEntered}})
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindAllergyNoneKnown, PerformedAt: at.Add(time.Minute),
		Payload: forms.NoKnownAllergies{PatientID: pid}})
	if l, _ := mustAllergies(t, b, pid); allergyState(l) != "NKA" {
		t.Fatalf("B before sync = %q, want NKA", allergyState(l))
	}
	mustApply(t, b, allEvents(t, a))
	mustApply(t, a, allEvents(t, b))
	la, _ := mustAllergies(t, a, pid)
	lb, _ := mustAllergies(t, b, pid)
	// Which came first by clock depends on the two devices' clocks: "no
	// known allergies" after the allergy is disputed, before it outranked.
	if sa, sb := allergyState(la), allergyState(lb); sa != sb || !strings.HasPrefix(sa, "Latex:active") {
		t.Errorf("after sync A = %q, B = %q; want the allergy standing on both, the same", sa, sb)
	}
}
