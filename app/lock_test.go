package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
)

func TestUnlock_WrongPassphrase(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	mustShow(t, ui, "Unlock this device", "DOWNTIME MODE")
	test.Type(entry(t, ui, "Ward passphrase"), "not the passphrase")
	tap(t, ui, "Unlock")
	mustShow(t, ui, MsgWrongSecret)
	if !db.Locked() {
		t.Error("store unlocked by a wrong passphrase")
	}
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	if db.Locked() {
		t.Fatal("store still locked after the right passphrase")
	}
	mustShow(t, ui, "Who are you?", "Nia Nurse", "Ada Admin", "Ward 7 - Acute Medicine")
}

func TestSignIn_WrongPINLocksOut(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	tap(t, ui, "Nia Nurse")
	typePIN(t, ui, "9999")
	tap(t, ui, "Sign in")
	mustShow(t, ui, MsgWrongSecret)
	if ui.Session() != nil {
		t.Fatal("signed in with a wrong PIN")
	}
	for range 5 {
		typePIN(t, ui, "9999")
		tap(t, ui, "Sign in")
	}
	mustShow(t, ui, "Too many wrong PINs. Locked out until 09:")
	typePIN(t, ui, cli.DemoNursePIN)
	tap(t, ui, "Sign in")
	if ui.Session() != nil {
		t.Error("signed in while locked out")
	}
}

func TestSignIn_BreakGlassNeedsReason(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	tap(t, ui, "Break")
	typePIN(t, ui, "7391")
	tap(t, ui, "Sign in")
	mustShow(t, ui, "Say why you are using the break-glass account")
	if ui.Session() != nil {
		t.Fatal("break-glass signed in without a reason")
	}
	// The PIN typed stays: only the reason is missing.
	test.Type(entry(t, ui, "Why are you using break-glass"), "Nurse in charge locked out, patient deteriorating")
	tap(t, ui, "Sign in")
	s := ui.Session()
	if s == nil {
		t.Fatalf("break-glass not signed in; screen shows %q", texts(ui))
	}
	if s.Reason == "" {
		t.Error("session has no break-glass reason")
	}
	log, err := db.AuditLog(t.Context(), 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || log[0].Action != "user.break_glass_sign_in" {
		t.Errorf("newest audit entry = %+v, want the break-glass sign-in", log)
	}
}

func TestSwitchUser(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	mustShow(t, ui, "Signed in: Nia Nurse")
	tap(t, ui, "Switch user")
	if ui.Session() != nil {
		t.Error("still signed in after Switch user")
	}
	if db.Locked() {
		t.Error("Switch user locked the store: it should only sign out")
	}
	mustShow(t, ui, "Who are you?", "Not signed in")
	tap(t, ui, "Ada Admin")
	typePIN(t, ui, cli.DemoAdminPIN)
	tap(t, ui, "Sign in")
	if s := ui.Session(); s == nil || s.User.Name != "Ada Admin" {
		t.Fatalf("Session() = %+v, want Ada Admin", s)
	}
	mustShow(t, ui, "Signed in: Ada Admin")
}

func TestIdleLock(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	clock.Advance(4 * time.Minute)
	ui.checkIdle()
	if db.Locked() {
		t.Fatal("locked after 4 minutes, want 5")
	}
	tap(t, ui, "Ward list") // use resets the idle time
	clock.Advance(4 * time.Minute)
	ui.checkIdle()
	if db.Locked() {
		t.Fatal("locked 4 minutes after the last tap")
	}
	clock.Advance(time.Minute + time.Second)
	ui.checkIdle()
	settle(ui)
	if !db.Locked() {
		t.Fatal("not locked after 5 minutes idle")
	}
	if ui.Session() != nil {
		t.Error("still signed in after the idle lock")
	}
	mustShow(t, ui, "Unlock this device")
	if shows(ui, "OKAFOR") {
		t.Error("patient data still on screen after the idle lock")
	}
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
}
