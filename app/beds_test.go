package app

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// demoBed returns how the demo ward's bed board shows bed id.
func demoBed(t *testing.T, db *store.DB, id string) forms.BedView {
	t.Helper()
	b, err := db.BedBoard(t.Context(), "w7")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range b.Beds {
		if v.Bed.ID == id {
			return v
		}
	}
	t.Fatalf("no bed %s on the demo ward", id)
	return forms.BedView{}
}

func openBeds(t *testing.T, ui *UI) {
	t.Helper()
	signInAs(t, ui, "Bea Beds", "3691")
	ui.ShowSection("beds")
	settle(ui)
}

func TestBeds_Board(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			openBeds(t, ui)
			// Every bed is a tile with its state in words and who is in it.
			mustShow(t, ui, "Bed 1", "OKAFOR, Grace", "Occupied", "Bed 17", "Available", "Bed 20", "Closed",
				"Bed 21", "Isolation", "Trolley 2", "Escalation")
			if n := cards(ui); n < 24 {
				t.Errorf("%d tiles, want the 24 beds", n)
			}
			golden(t, ui, "beds_board_"+sizeSuffix(size))
		})
	}
}

func TestBeds_ChangeState(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	test.Tap(card(t, ui, "Bed 17"))
	settle(ui)
	// Closing needs a reason: refused without one, nothing saved.
	tap(t, ui, "Mark closed")
	if got := demoBed(t, db, "b17").State; got != forms.BedAvailable {
		t.Fatalf("closed without a reason: bed 17 is %s", got)
	}
	mustShow(t, ui, "give the reason the bed is closed")
	test.Type(entry(t, ui, "Reason"), "no nurse for the bay")
	tap(t, ui, "Mark closed")
	if got := demoBed(t, db, "b17").State; got != forms.BedClosed {
		t.Fatalf("bed 17 is %s, want closed", got)
	}
	mustShow(t, ui, "21 open beds")
	// An occupied bed offers no hand-set states, only the patient.
	test.Tap(card(t, ui, "Bed 2"))
	settle(ui)
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.Button); ok && len(b.Text) > 5 && b.Text[:5] == "Mark " {
			t.Errorf("occupied bed offers %q", b.Text)
		}
	}
	mustShow(t, ui, "Move SMITH, Richard", "Open SMITH, Richard")
}

func TestBeds_MovePatient(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	test.Tap(card(t, ui, "Bed 1"))
	settle(ui)
	tap(t, ui, "Move OKAFOR, Grace")
	sel := choose(t, ui, "Choose a free bed")
	// Only free beds of this ward are offered.
	for _, o := range sel.Options {
		if o == "Ward 7 - Acute Medicine, Bed 2" {
			t.Errorf("occupied bed 2 offered as a destination")
		}
	}
	sel.SetSelected("Ward 7 - Acute Medicine, Bed 19")
	tap(t, ui, "Move")
	pts, _ := db.Patients(t.Context(), "")
	for _, p := range pts {
		if p.Surname == "Okafor" && p.Bed != "b19" {
			t.Fatalf("Grace is in %s, want b19", p.Bed)
		}
	}
	// Bed 1 waits for cleaning; bed 19 shows her.
	if got := demoBed(t, db, "b1").State; got != forms.BedCleaning {
		t.Errorf("bed 1 is %s after she left, want cleaning", got)
	}
	if v := demoBed(t, db, "b19"); v.State != forms.BedOccupied {
		t.Errorf("bed 19 is %s, want occupied", v.State)
	}
	mustShow(t, ui, "Cleaning")
}

// Two devices apart moved the same patient: every device shows the
// conflict in red until a person keeps one place, which is a new move
// made having seen both.
func TestBeds_ResolveConflict(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	ctx := t.Context()
	admin := adminSession(t, db)
	peer, ps := storetest.MustJoin(t, db, admin, store.Options{})
	all := func(from *store.DB) []lifeboat.Event { evs, _ := from.EventsAfter(ctx, nil, 1<<30); return evs }
	if _, err := peer.ApplyRemote(ctx, all(db)); err != nil {
		t.Fatal(err)
	}
	var grace string
	pts, _ := db.Patients(ctx, "")
	for _, p := range pts {
		if p.Surname == "Okafor" {
			grace = p.ID
		}
	}
	// Apart: this device moves her to bed 19, the laptop to bed 22.
	storetest.MustAppend(t, db, ui.Session(), store.Draft{Kind: forms.KindPatientTransferred, Subject: grace, PerformedAt: demoNow,
		Payload: forms.Transfer{PatientID: grace, Ward: "w7", Bed: "b19"}})
	storetest.MustAppend(t, peer, ps, store.Draft{Kind: forms.KindPatientTransferred, Subject: grace, PerformedAt: demoNow,
		Payload: forms.Transfer{PatientID: grace, Ward: "w7", Bed: "b22"}})
	if res, err := db.ApplyRemote(ctx, all(peer)); err != nil || len(res.Refused) > 0 {
		t.Fatalf("apply the laptop's events: %v %+v", err, res.Refused)
	}
	settle(ui)
	mustShow(t, ui, "Conflict: OKAFOR, Grace is recorded in 2 places")
	tap(t, ui, "Keep in Bed 19")
	if cs, err := db.BedConflicts(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("conflicts after keeping bed 19: %+v, %v", cs, err)
	}
	if shows(ui, "Conflict:") {
		t.Errorf("conflict still shown: %q", texts(ui))
	}
	if v := demoBed(t, db, "b22"); len(v.Patients) != 0 {
		t.Errorf("bed 22 still holds %v", v.Patients)
	}
}

func TestBeds_SiteCapacity(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	showTab(t, ui, "Site capacity")
	mustShow(t, ui, "Whole site", "Ward 7 - Acute Medicine", "occupied")
	golden(t, ui, "beds_capacity_desktop")
}

// The sitrep is saved as CSV: a row per ward and the site total, with
// the export audited.
func TestBeds_SaveSitrep(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	showTab(t, ui, "Site capacity")
	var buf bytes.Buffer
	var name string
	old := saveFile
	saveFile = func(_ *UI, n string, write func(io.Writer) error, done func(error)) {
		name = n
		done(write(&buf))
	}
	t.Cleanup(func() { saveFile = old })
	tap(t, ui, "Save today's sitrep")
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("sitrep CSV: %v", err)
	}
	if name != "sitrep-2026-11-22.csv" || len(rows) != 3 || !slices.Equal(rows[0], forms.SitrepCSVHeader) || rows[1][2] != "Ward 7 - Acute Medicine" {
		t.Fatalf("saved %q: %q; want the header, Ward 7 and the site total", name, rows)
	}
	entries, _ := db.AuditLog(t.Context(), 0, 5)
	if !slices.ContainsFunc(entries, func(e store.AuditEntry) bool {
		return e.Action == "data.exported" && strings.Contains(e.Detail, "sitrep")
	}) {
		t.Errorf("the sitrep export was not audited: %+v", entries)
	}
}

// The move dialog offers only beds that can take a patient, on every
// ward: an isolation bed is marked "isolation" and asks why before it is
// used (the reason goes with the move); closed beds and beds waiting to
// be cleaned are never offered. The choice is shown in full.
func TestBeds_MoveToIsolationBedAsksWhy(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	test.Tap(card(t, ui, "Bed 1"))
	settle(ui)
	tap(t, ui, "Move OKAFOR, Grace")
	sel := choose(t, ui, "Choose a free bed")
	const iso = "Ward 7 - Acute Medicine, Bed 21 (isolation)"
	if !slices.Contains(sel.Options, iso) {
		t.Fatalf("options %q, want %q", sel.Options, iso)
	}
	for _, o := range sel.Options {
		for _, not := range []string{"Bed 20", "Bed 2", "Trolley 1"} { // closed, occupied, closed escalation
			if strings.HasSuffix(o, ", "+not) {
				t.Errorf("offered %q: not a free bed", o)
			}
		}
	}
	sel.SetSelected(iso)
	mustShow(t, ui, "To: "+iso, "held for isolation")
	tap(t, ui, "Move")
	mustShow(t, ui, "Say why this patient needs the isolation bed")
	if v := demoBed(t, db, "b21"); len(v.Patients) != 0 {
		t.Fatalf("moved into the isolation bed without a reason: %+v", v)
	}
	test.Type(entry(t, ui, "Why this patient needs"), "C. diff positive")
	tap(t, ui, "Move")
	if v := demoBed(t, db, "b21"); !slices.Equal(v.Patients, []string{okaforID(t, db)}) {
		t.Fatalf("bed 21 holds %v, want Grace", v.Patients)
	}
	recs, err := db.Records(t.Context(), forms.KindPatientTransferred, okaforID(t, db))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		var tr forms.Transfer
		if decodeRecord(r, &tr) == nil && tr.Bed == "b21" {
			found = tr.Reason == "C. diff positive"
		}
	}
	if !found {
		t.Error("the move into bed 21 does not carry its reason")
	}
}

// A closed bed is refused: it is not offered even after it was free.
func TestBeds_MoveNeverOffersClosedOrCleaning(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	openBeds(t, ui)
	test.Tap(card(t, ui, "Bed 17"))
	settle(ui)
	test.Type(entry(t, ui, "Reason"), "no nurse for the bay")
	tap(t, ui, "Mark closed")
	test.Tap(card(t, ui, "Bed 1"))
	settle(ui)
	tap(t, ui, "Move OKAFOR, Grace")
	sel := choose(t, ui, "Choose a free bed")
	for _, o := range sel.Options {
		if strings.HasSuffix(o, ", Bed 17") {
			t.Errorf("closed bed 17 offered as %q", o)
		}
	}
	if !slices.Contains(sel.Options, "Ward 7 - Acute Medicine, Bed 19") {
		t.Errorf("free bed 19 not offered among %q", sel.Options)
	}
}

// The move dialog with an isolation bed chosen, its name in full and the
// reason asked for, at both sizes.
func TestBeds_MoveGolden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			openBeds(t, ui)
			test.Tap(card(t, ui, "Bed 1"))
			settle(ui)
			tap(t, ui, "Move OKAFOR, Grace")
			choose(t, ui, "Choose a free bed").SetSelected("Ward 7 - Acute Medicine, Bed 21 (isolation)")
			settle(ui)
			golden(t, ui, "beds_move_isolation_"+sizeSuffix(size))
		})
	}
}

func okaforID(t *testing.T, db *store.DB) string {
	t.Helper()
	pts, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.Surname == "Okafor" {
			return p.ID
		}
	}
	t.Fatal("no Okafor in the demo ward")
	return ""
}

// A ward this device does not hold the records of shows on the site
// capacity tab as its ward's own device last counted it, with the time of
// that count; the site total includes it.
func TestBeds_SiteCapacityFromWardSummary(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			signInAs(t, ui, "Bea Beds", "3691")
			addSummarisedWard(t, db)
			ui.ShowSection("beds")
			settle(ui)
			showTab(t, ui, "Site capacity")
			mustShow(t, ui, "Ward 9 - Surgical", "From the ward's summary, 08:35 (25 min ago)",
				"4 open · 1 occupied · 3 available · 0 cleaning · 0 isolation · 0 closed · 25% occupied")
			var w9 forms.WardCapacity
			cs, total, err := db.SiteCapacity(t.Context())
			for _, c := range cs {
				if c.Ward == "w9" {
					w9 = c
				}
			}
			if err != nil || !w9.FromSummary || total.Open < w9.Open+1 {
				t.Errorf("SiteCapacity() = %+v, %+v, %v; want w9 from its summary, in the total", cs, total, err)
			}
			golden(t, ui, "beds_capacity_summary_"+sizeSuffix(size))
		})
	}
}

// addSummarisedWard gives db what a bed manager's device holds of another
// ward, Ward 9: its layout and the summary its own device counted at
// 08:35 (one patient in four beds), and none of its patients' records.
func addSummarisedWard(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var admin *store.Session
	for _, u := range users {
		if u.Name == "Ada Admin" {
			if admin, err = db.SignIn(ctx, u.ID, cli.DemoAdminPIN, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.UnlockAdmin(ctx, admin, cli.DemoAdminPassphrase); err != nil {
		t.Fatal(err)
	}
	// This device holds the demo ward (and the site) only.
	dev, err := db.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetDeviceScopes(ctx, admin, dev, lifeboat.Subscription{lifeboat.WardScope("w7")}); err != nil {
		t.Fatal(err)
	}
	at := demoNow.Add(-25 * time.Minute)
	w9dev, w9admin := storetest.MustJoin(t, db, admin, store.Options{Now: func() time.Time { return at }, NoBackup: true, MaxClockAhead: 100 * 365 * 24 * time.Hour})
	w9 := forms.Ward{ID: "w9", Name: "Ward 9 - Surgical"}
	for i := range 4 {
		id := fmt.Sprintf("b%d", i+1)
		w9.Beds = append(w9.Beds, forms.BedDef{ID: id, Label: "Bed " + id[1:]})
	}
	storetest.MustAppend(t, w9dev, w9admin, store.Draft{Kind: forms.KindWardDefined, PerformedAt: at, Payload: w9})
	p := storetest.MustAppend(t, w9dev, w9admin, storetest.PatientDraft("Summers", "Wendy", "1961-05-06", "9434765870", at))
	storetest.MustAppend(t, w9dev, w9admin, storetest.AdmitDraft(p.Subject, "w9", "b2", at))
	if _, err := w9dev.PublishWardSummaries(ctx); err != nil {
		t.Fatal(err)
	}
	// What Ward 9's device serves this one: the site's records, with
	// Ward 9's layout and summary, and nothing of Ward 9's patients.
	if res := storetest.Serve(t, w9dev, db); len(res.Refused) > 0 || len(res.Held) > 0 {
		t.Fatalf("Serve() = %+v", res)
	}
	if pts, err := db.Patients(ctx, ""); err != nil || slices.ContainsFunc(pts, func(p store.PatientView) bool { return p.Surname == "Summers" }) {
		t.Fatalf("Ward 9's patient reached this device: %v", err)
	}
}

// A ward summary older than store.SummaryOverdue says in red that the
// ward's devices have not been heard from: its counts may be hours out.
func TestBeds_SiteCapacityOverdueSummary(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	signInAs(t, ui, "Bea Beds", "3691")
	addSummarisedWard(t, db)
	clock.Advance(2 * time.Hour)
	ui.lastUsed = clock.Now()
	ui.ShowSection("beds")
	settle(ui)
	showTab(t, ui, "Site capacity")
	const want = "From the ward's summary, 08:35 (2 h 25 min ago). Nothing heard from the ward's devices since: ring the ward for its beds."
	mustShow(t, ui, want)
	for _, o := range objects(ui) {
		if l, ok := o.(*widget.Label); ok && l.Text == want && l.Importance != widget.DangerImportance {
			t.Errorf("overdue summary shown with importance %v, want danger", l.Importance)
		}
	}
}

// A ward this device does not hold the beds and patients of is never
// drawn from its layout alone (every bed would look free): the bed board
// says where its count is, and the move dialog offers none of its beds.
func TestBeds_WardNotHeldIsNotDrawnNorOffered(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Bea Beds", "3691")
	addSummarisedWard(t, db)
	if _, err := db.BedBoard(t.Context(), "w9"); !errors.Is(err, store.ErrWardNotHeld) {
		t.Fatalf("BedBoard(w9) = %v, want ErrWardNotHeld", err)
	}
	ui.ShowSection("beds")
	settle(ui)
	test.Tap(card(t, ui, "Bed 1"))
	settle(ui)
	tap(t, ui, "Move OKAFOR, Grace")
	sel := choose(t, ui, "Choose a free bed")
	for _, o := range sel.Options {
		if strings.HasPrefix(o, "Ward 9") {
			t.Errorf("offered %q, a bed of a ward whose beds this device does not hold", o)
		}
	}
	tap(t, ui, "Cancel")
	choose(t, ui, "Choose a ward").SetSelected("Ward 9 - Surgical")
	settle(ui)
	mustShow(t, ui, "Ward 9 - Surgical: this device does not hold the ward's beds and patients, so its bed board is not shown here. Its count, from the ward's own summary, is on the Site capacity tab.")
	if shows(ui, "Available") {
		t.Errorf("a bed of Ward 9 is drawn: %q", texts(ui))
	}
}
