package reconcile

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// A drill's made-up records never leave: the export of a drill store's
// log is refused whole, while the same records in a live store export.
func TestExportFHIR_RefusesDrill(t *testing.T) {
	ctx := context.Background()
	for _, drill := range []bool{false, true} {
		db, s, err := store.Init(ctx, filepath.Join(t.TempDir(), "ward.lifeboat"), store.Setup{SiteName: "St Elsewhere",
			Ward: "Ward 7", Passphrase: storetest.Passphrase, AdminName: "Ada Admin", AdminPIN: storetest.AdminPIN,
			KDF: store.TestKDF, AdminPassphrase: storetest.AdminPassphrase, AdminKDF: store.TestKDF, Drill: drill}, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-time.Hour)
		p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Training", "Tina", "1980-01-01", "9990000018", at))
		storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, "w7", "b1", at))
		events, err := db.EventsAfter(ctx, nil, 1<<30)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		x, err := ExportFHIR(events, ExportOptions{})
		switch {
		case drill && !errors.Is(err, ErrDrill):
			t.Errorf("drill store exported: %v", err)
		case drill && !errors.Is(err, lifeboat.ErrPermission):
			t.Errorf("drill refusal %v is not a permission error", err)
		case !drill && (err != nil || len(x.Bundles) == 0):
			t.Errorf("live store: %v, %d bundles", err, len(x.Bundles))
		}
	}
}
