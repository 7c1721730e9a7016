package app

import (
	"net/http"
	"net/http/httptest"
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
