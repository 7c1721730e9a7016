package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lifeboat/store"
	"lifeboat/store/storetest"
)

// Lock (the idle auto-lock) runs on its own goroutine while others append,
// advance site keys and change the passphrase. Under -race this fails on
// main before this change: Lock zeroed the device key in place while
// Append was still signing with it (a data race, and an event signed
// with a half-zeroed key).
func TestDB_LockWhileAppending(t *testing.T) {
	ctx := context.Background()
	db, s := storetest.MustInit(t, store.Options{})
	pat := storetest.MustAppend(t, db, s, storetest.PatientDraft("Race", "Rita", "1950-01-01", "", storetest.T0))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	worker := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := f(); err != nil && !errors.Is(err, store.ErrLocked) {
					errs <- err
					return
				}
			}
		}()
	}
	var appended sync.Map
	for range 2 {
		worker(func() error {
			e, err := db.Append(ctx, s, storetest.ObsDraft(pat.Subject, 16, 97, 120, 80, 37.0, storetest.T0.Add(time.Minute)))
			if err == nil {
				appended.Store(e.ID, true)
			}
			return err
		})
	}
	worker(func() error { _, err := db.AdvanceSiteKeys(ctx); return err })
	worker(func() error { return db.ChangePassphrase(ctx, s, storetest.Passphrase, store.TestKDF) })
	deadline := time.Now().Add(3 * time.Second)
	locks := 0
	for time.Now().Before(deadline) && len(errs) == 0 {
		db.Lock()
		locks++
		if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("while locking: %v", err)
	}
	n := 0
	appended.Range(func(_, _ any) bool { n++; return true })
	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("Verify after %d locks and %d appends = %+v, %v; want every event intact", locks, n, rep, err)
	}
	t.Logf("%d locks, %d events appended, all verified", locks, n)
}
