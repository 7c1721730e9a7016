package store_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// crashChild appends observations forever, printing each event's ID only
// after Append has returned (the acknowledgement a nurse would see).
func crashChild(path string) {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fail(err)
	}
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		fail(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		fail(err)
	}
	var s *store.Session
	for _, u := range users {
		if u.Role == lifeboat.RoleITAdmin {
			if s, err = db.SignIn(ctx, u.ID, storetest.AdminPIN, ""); err != nil {
				fail(err)
			}
		}
	}
	pts, err := db.Patients(ctx, "")
	if err != nil || len(pts) == 0 {
		fail(fmt.Errorf("no patient: %v", err))
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		e, err := db.Append(ctx, s, storetest.ObsDraft(pts[0].ID, 12+i%10, 96, 120, 70, 37, time.Now()))
		if err != nil {
			fail(err)
		}
		fmt.Fprintln(out, e.ID)
		out.Flush()
	}
}

// TestCrash_AcknowledgedSavesSurviveKill9 kills a writing process at random
// moments, 50 times, and checks after each restart that every acknowledged
// event is there and the database is intact.
func TestCrash_AcknowledgedSavesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs 50 child processes")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{})
	storetest.MustAppend(t, db, s, storetest.PatientDraft("Crash", "Test", "1970-01-01", "", time.Now()))
	db.Close()

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var acked []string
	for round := range 50 {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), "LIFEBOAT_CRASH_CHILD="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of acknowledgements, then a random
		// sub-millisecond delay so the kill lands anywhere in the next write.
		target := 1 + rng.IntN(30)
		sc := bufio.NewScanner(stdout)
		for n := 0; n < target && sc.Scan(); n++ {
			acked = append(acked, sc.Text())
		}
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() { // acknowledgements printed before the kill landed
			acked = append(acked, sc.Text())
		}
		cmd.Wait()

		db, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
			t.Fatalf("round %d: unlock after kill: %v", round, err)
		}
		for _, id := range acked {
			if _, err := db.Event(ctx, id); err != nil {
				t.Fatalf("round %d: acknowledged event %s lost: %v", round, id, err)
			}
		}
		rep, err := db.Verify(ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("round %d: verify after kill: %v %v", round, err, rep.Problems)
		}
		db.Close()
	}
	t.Logf("%d acknowledged events survived 50 kills", len(acked))
}
