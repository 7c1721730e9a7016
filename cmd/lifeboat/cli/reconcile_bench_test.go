package cli

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/internal/fhirtest"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

// benchEvents is the size of the downtime the send figures are for.
const benchEvents = 100000

// mustBigDemo is a demo ward grown by n events from the site (demo
// --events n), signed in as the admin, with its whole log.
func mustBigDemo(b *testing.B, n int) (*store.DB, *store.Session, []lifeboat.Event) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), StoreFile)
	if err := SeedDemoLoad(ctx, path, store.TestKDF, time.Now(), n); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Unlock(ctx, DemoPassphrase); err != nil {
		b.Fatal(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var s *store.Session
	for _, u := range users {
		if u.Name == "Ada Admin" {
			s, err = db.SignIn(ctx, u.ID, DemoAdminPIN, "")
		}
	}
	if s == nil || err != nil {
		b.Fatalf("sign in: %v", err)
	}
	evs, err := wholeLog(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	return db, s, evs
}

// BenchmarkExport100k maps a 100k-event store's log to FHIR transaction
// Bundles (target >= 20,000 events/s). Reading the log is not timed.
func BenchmarkExport100k(b *testing.B) {
	db, _, evs := mustBigDemo(b, benchEvents)
	db.Close() // nothing of the store's runs while timing
	runtime.GC()
	b.ResetTimer()
	var x *reconcile.Export
	for i := 0; i < b.N; i++ {
		var err error
		if x, err = reconcile.ExportFHIR(evs, reconcile.ExportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(x.Events)), "exported")
	b.ReportMetric(float64(len(evs)), "log-events")
}

// BenchmarkSend100k sends a 100k-event store's downtime to the test FHIR
// server (Medplum's router in memory, on this machine), recording every
// outcome in the store as lifeboat send does. Each iteration starts a fresh
// server (not timed), so every send creates everything.
func BenchmarkSend100k(b *testing.B) {
	db, s, evs := mustBigDemo(b, benchEvents)
	x, err := reconcile.ExportFHIR(evs, reconcile.ExportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var secs float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := fhirtest.Start(b)
		b.StartTimer()
		start := time.Now()
		rep, err := reconcile.Send(context.Background(), &reconcile.Client{BaseURL: srv.URL}, x, appender(db, s), "bench", time.Now, nil)
		secs += time.Since(start).Seconds()
		if err != nil || rep.Rejected != 0 {
			b.Fatalf("send = %+v, %v", rep, err)
		}
	}
	b.ReportMetric(secs/float64(b.N), "send-s")
	b.ReportMetric(float64(len(x.Events)*b.N)/secs, "events/s")
	b.ReportMetric(float64(len(x.Events)), "exported")
	b.ReportMetric(float64(len(x.Bundles)), "bundles")
}
