package app

import (
	"encoding/json"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store/storetest"
)

// A set another device recorded with an impossible reading (SpO2 150%)
// is kept on the patient's chart and flagged there, with what is wrong in
// plain words, where the nurse reading the chart sees it; a possible set
// beside it is not flagged.
func TestObsChart_PeersImpossibleSetFlagged(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeSuffix(size), func(t *testing.T) { peersImpossibleSetFlagged(t, size) })
	}
}

func peersImpossibleSetFlagged(t *testing.T, size fyne.Size) {
	ui, db, _ := newTestUI(t, size)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	ctx := t.Context()
	var id string
	pts, err := db.Patients(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if forms.DisplayName(p.Patient) == "SMITH, Richard" {
			id = p.ID
		}
	}
	admin, _ := userNamed(t, db, "Ada Admin")
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, adminSession(t, db), dev.Pub, "Old laptop"); err != nil {
		t.Fatal(err)
	}
	spo2, resp := 150, 18
	b, _ := json.Marshal(forms.Observations{PatientID: id, SpO2: &spo2, RespRate: &resp})
	bad := dev.Next(admin.ID, forms.KindObsRecorded, id, b, demoNow.Add(-20*time.Minute))
	if res, err := db.ApplyRemote(ctx, []lifeboat.Event{bad}); err != nil || res.Applied != 1 {
		t.Fatalf("ApplyRemote = %+v, %v, want the set kept", res, err)
	}

	entry(t, ui, "Search name").SetText("smith")
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	mustShow(t, ui, "CHECK: NOT POSSIBLE", "Oxygen saturation must be between 0 and 100", "Recorded on another device: check it")
	n := 0
	for _, o := range mustObs(t, db, id) {
		if len(o.Problems) > 0 {
			n++
			if o.EventID != bad.ID {
				t.Errorf("set %s recorded here is flagged: %v", o.EventID, o.Problems)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d sets flagged, want the peer's one", n)
	}
	golden(t, ui, "obschart_flagged_"+sizeSuffix(size))
}
