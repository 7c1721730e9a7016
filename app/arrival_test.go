package app

import (
	"net/http/httptest"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

// fillArrival types the new-arrival form's details.
func fillArrival(t *testing.T, ui *UI, surname, given, dob, nhs string) {
	t.Helper()
	entry(t, ui, "Surname").SetText(surname)
	settle(ui)
	entry(t, ui, "First name").SetText(given)
	settle(ui)
	entry(t, ui, "Date of birth").SetText(dob)
	settle(ui)
	entry(t, ui, "NHS number").SetText(nhs)
	settle(ui)
}

// livePatients counts the live records on the store.
func livePatients(t *testing.T, db *store.DB) int {
	t.Helper()
	ps, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		if p.Live() {
			n++
		}
	}
	return n
}

// TestNewArrival_DuplicateOfferOpensExistingRecord: a look-alike of SMITH,
// Richard (surname misspelt, date of birth with day and month swapped) is
// offered as he is typed in, and choosing him opens his record; nothing
// is registered.
func TestNewArrival_DuplicateOfferOpensExistingRecord(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			before := livePatients(t, db)
			tap(t, ui, "New arrival")
			fillArrival(t, ui, "Smyth", "Richard", "03/04/1957", "")
			choose(t, ui, "Sex").SetSelected("Male")
			mustShow(t, ui, "Is this the same person?", "SMITH, Richard", "date of birth with day and month swapped and similar name")
			golden(t, ui, "arrival_duplicate_"+sizeSuffix(size))

			// Registering anyway needs the check ticked.
			tap(t, ui, "Register and admit")
			mustShow(t, ui, "may already have a record")
			if n := livePatients(t, db); n != before {
				t.Fatalf("registered with a possible duplicate unchecked: %d records, want %d", n, before)
			}
			tap(t, ui, "Open record of SMITH, Richard")
			mustShow(t, ui, "Born 04-Mar-1957   NHS 999 000 0379", "Record observations")
			if n := livePatients(t, db); n != before {
				t.Errorf("opening the existing record registered someone: %d records, want %d", n, before)
			}
		})
	}
}

// TestNewArrival_SameNHSNumberRefused: an NHS number a live record holds
// is refused however the rest differs, with the record offered.
func TestNewArrival_SameNHSNumberRefused(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	before := livePatients(t, db)
	tap(t, ui, "New arrival")
	fillArrival(t, ui, "Nobody", "Else", "01/01/2000", "999 000 0379")
	choose(t, ui, "Sex").SetSelected("Female")
	mustShow(t, ui, "NHS number 999 000 0379 is already SMITH, Richard's", "Open record of SMITH, Richard")
	if button(t, ui, "Open record").Text == "" || shows(ui, "I have checked") {
		t.Error("the same NHS number offers a tick to register anyway")
	}
	tap(t, ui, "Register and admit")
	mustShow(t, ui, "This NHS number already has a record")
	if n := livePatients(t, db); n != before {
		t.Errorf("registered a second record with one NHS number: %d records, want %d", n, before)
	}
}

// TestNewArrival_ProblemsByFieldThenTempID: problems show next to their
// fields in plain words (the NHS check digit among them); once put right,
// a patient with no NHS number is registered with a DT- temporary ID,
// admitted to a free bed and opened.
func TestNewArrival_ProblemsByFieldThenTempID(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			before := livePatients(t, db)
			tap(t, ui, "New arrival")
			fillArrival(t, ui, "Okonkwo", "", "31/02/1990", "943 476 5918")
			tap(t, ui, "Register and admit")
			mustShow(t, ui, "First name is required", "must be a real date", "fails its check digit: please re-check it",
				"Choose the patient's sex", "Check the details marked above.")
			if n := livePatients(t, db); n != before {
				t.Fatalf("registered with problems: %d records, want %d", n, before)
			}

			fillArrival(t, ui, "Okonkwo", "Adaeze", "06/05/1990", "")
			choose(t, ui, "Sex").SetSelected("Female")
			bed := choose(t, ui, "Bed")
			if len(bed.Options) < 2 {
				t.Fatalf("no free bed offered: %v", bed.Options)
			}
			bed.SetSelected(bed.Options[1])
			tap(t, ui, "Register and admit")
			mustShow(t, ui, "OKONKWO, Adaeze", "Born 06-May-1990   Temp ID DT-", bed.Options[1]+", ")
			if n := livePatients(t, db); n != before+1 {
				t.Fatalf("records after registering = %d, want %d", n, before+1)
			}
			ps, _ := db.Patients(t.Context(), "")
			for _, p := range ps {
				if p.Surname == "Okonkwo" && (p.Status != store.PatientAdmitted || !strings.HasPrefix(p.TempID, "DT-")) {
					t.Errorf("registered %+v, want admitted with a temporary ID", p)
				}
			}
			// Back on the ward list, findable by the temporary ID.
			tap(t, ui, "Back")
			entry(t, ui, "Search name").SetText("okonkwo")
			settle(ui)
			if n := cards(ui); n != 1 {
				t.Errorf("ward list search finds %d, want the new arrival", n)
			}
		})
	}
}

// TestReconcile_SendHoldsBackUnmatchedArrival: the records of a new
// arrival still on a temporary ID are held back from "Send to core
// system" and said so, until the box to send them anyway is ticked.
func TestReconcile_SendHoldsBackUnmatchedArrival(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openRecon(t, ui, "Export")
	if _, err := db.RegisterArrival(t.Context(), nurseSession(t, db), store.Arrival{
		Patient: forms.Patient{Surname: "Okonkwo", Given: "Adaeze", BirthDate: "1990-05-06", Sex: "female"}, Ward: "w7"}, demoNow); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	srv := httptest.NewServer(&fhirServer{})
	t.Cleanup(srv.Close)
	entry(t, ui, "FHIR server base URL").SetText(srv.URL)
	tap(t, ui, "Send to core system")
	mustShow(t, ui, "Held back 2 records of 1 patient with no NHS number yet: match them on the Temp IDs tab")
	pending := func() (n int) {
		evs, _ := db.EventsAfter(t.Context(), nil, 1<<62)
		for _, it := range reconcile.Worklist(evs) {
			if it.Status != reconcile.StatusAccepted {
				n++
				if !strings.Contains(it.Patient, "OKONKWO") {
					t.Errorf("%s of %s not accepted", it.Kind, it.Patient)
				}
			}
		}
		return n
	}
	if n := pending(); n != 2 {
		t.Errorf("after send, %d records left, want the arrival's 2", n)
	}
	for _, o := range objects(ui) {
		if c, ok := o.(*widget.Check); ok && strings.HasPrefix(c.Text, "Also send patients with no NHS number") {
			c.SetChecked(true)
		}
	}
	tap(t, ui, "Send to core system")
	if n := pending(); n != 0 {
		t.Errorf("after sending unmatched too, %d records left", n)
	}
}

// TestReconcile_TempIDMatchOntoOtherPersonRefused: typing an NHS number
// another record holds, for someone with a different date of birth, is
// refused with the way forward; nothing is merged.
func TestReconcile_TempIDMatchOntoOtherPersonRefused(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openRecon(t, ui, "Temp IDs")
	p, err := db.RegisterArrival(t.Context(), nurseSession(t, db), store.Arrival{
		Patient: forms.Patient{Surname: "Okonkwo", Given: "Adaeze", BirthDate: "1990-05-06", Sex: "female"}, Ward: "w7"}, demoNow)
	if err != nil {
		t.Fatal(err)
	}
	settle(ui)
	entry(t, ui, "NHS number from").SetText("999 000 0379") // SMITH, Richard's
	tapExact(t, ui, "Confirm")
	tapExact(t, ui, "Confirm") // the dialog's
	mustShow(t, ui, "Dates of birth differ (04-Mar-1957 and 06-May-1990): check identity")
	if v, _ := db.Patient(t.Context(), p.ID); !v.Live() || v.NHSNumber != "" {
		t.Errorf("after a refused match the arrival is %+v, want unchanged", v)
	}
}
