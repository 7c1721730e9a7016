package app

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/sync/reconcile"
)

// TestReconcile_SendRefusedKeepsPending taps Send on the Export tab
// against a server answering 401, 403 and 404: the screen says in plain
// words that the server refused us and nothing was marked rejected, and
// the worklist still has every record pending (before, each was marked
// rejected and the screen said so).
func TestReconcile_SendRefusedKeepsPending(t *testing.T) {
	for _, tt := range []struct {
		status int
		msg    string
	}{
		{401, MsgSendNoAccess},
		{403, MsgSendForbidden},
		{404, MsgSendNoEndpoint},
	} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			ui, db, _ := newTestUI(t, desktop)
			openRecon(t, ui, "Export")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
			}))
			t.Cleanup(srv.Close)
			entry(t, ui, "FHIR server base URL").SetText(srv.URL)
			entry(t, ui, "Access token").SetText("stale")
			tap(t, ui, "Send to core system")
			mustShow(t, ui, tt.msg)
			evs, _ := db.EventsAfter(t.Context(), nil, 1<<62)
			items := reconcile.Worklist(evs)
			if len(items) == 0 {
				t.Fatal("no downtime records to send")
			}
			for _, it := range items {
				if it.Status != reconcile.StatusPending {
					t.Fatalf("after a %d, %s %s is %s %q, want pending", tt.status, it.Kind, it.EventID, it.Status, it.Reason)
				}
			}
		})
	}
}

// TestReconcile_ExportUsesTrustSystems: the Export tab writes under the
// trust's identifier systems (Options.FHIRSystems: the data folder's
// fhir-systems.json, as lifeboat send reads it), so the app and the
// command never send the same record under two systems; a systems file
// that cannot be read stops the export with plain words and writes
// nothing.
func TestReconcile_ExportUsesTrustSystems(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	const base = "https://fhir.trust.nhs.uk/lifeboat"
	ui.systems = func() (reconcile.Systems, error) { return reconcile.SystemsUnder(base), nil }
	openRecon(t, ui, "Export")
	dir := filepath.Join(t.TempDir(), "out")
	entry(t, ui, "Folder to write").SetText(dir)
	tap(t, ui, "Export to folder")
	mustShow(t, ui, "Exported ")
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) == 0 {
		t.Fatal("nothing written")
	}
	for _, name := range names {
		b, _ := os.ReadFile(name)
		if strings.Contains(string(b), "lifeboat.example") || !strings.Contains(string(b), base+"/") {
			t.Fatalf("%s is not under the trust's systems", name)
		}
	}

	ui.systems = func() (reconcile.Systems, error) {
		return reconcile.Systems{}, errors.New("fhir-systems.json: unknown field")
	}
	bad := filepath.Join(t.TempDir(), "bad")
	entry(t, ui, "Folder to write").SetText(bad)
	tap(t, ui, "Export to folder")
	mustShow(t, ui, MsgFHIRSystems)
	if names, _ := filepath.Glob(filepath.Join(bad, "*")); len(names) != 0 {
		t.Errorf("export with a bad systems file wrote %v", names)
	}
}
